// pipewise: pick a pipeline-parallel schedule, simulate it, run it.
#include <boost/program_options/errors.hpp>
#include <cstdio>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include "common/io/output_set.hpp"
#include "common/io/temporary_file_registry.hpp"
#include "common/ir/error.hpp"
#include "common/text/escaped_text.hpp"
#include "tools/cli/command.hpp"

namespace {

void print_usage(std::FILE* out) {
  std::fprintf(out, "usage: pipewise <command> [options]   (pipewise <command> --help)\n\ncommands:\n");
  for (const auto& command : pipewise::tools::all_commands()) {
    std::fprintf(out, "  %-10.*s %.*s\n", static_cast<int>(command.name.size()),
                 command.name.data(), static_cast<int>(command.summary.size()),
                 command.summary.data());
  }
}

// One line on stderr: the message's control characters (a carriage return, an escape
// sequence, a line break from an input file) are shown escaped, never sent raw.
void print_error(const std::string& command, const std::string& message) {
  const std::string line = "pipewise " + command + ": error: " + pipewise::printable(message) + "\n";
  std::fputs(line.c_str(), stderr);
}

}  // namespace

int main(int argc, char** argv) {
  pipewise::remove_temporary_files_on_signals();  // Ctrl-C leaves no half-written output
  if (argc < 2) {
    print_usage(stderr);
    return 2;
  }
  const std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    print_usage(stdout);
    try {
      pipewise::flush_standard_output();
    } catch (const pipewise::Error& error) {
      std::fprintf(stderr, "pipewise: error: %s\n", error.what());
      return 1;
    }
    return 0;
  }
  const std::vector<std::string> args(argv + 2, argv + argc);
  for (const auto& command : pipewise::tools::all_commands()) {
    if (command.name != name) continue;
    try {
      const int status = command.run(args);
      // What the command printed must have arrived: a full disk or a closed stdout fails it.
      pipewise::flush_standard_output();
      return status;
    } catch (const pipewise::Error& error) {
      print_error(name, error.what());
    } catch (const boost::program_options::error& error) {
      print_error(name, std::string(error.what()) + " (see pipewise " + name + " --help)");
    } catch (const std::bad_alloc&) {
      print_error(name, "out of memory: the input or the work it asks for is too large for "
                        "this machine's memory (or the process's limit, ulimit -v)");
    } catch (const std::exception& error) {
      print_error(name, error.what());
    }
    return 1;
  }
  std::fprintf(stderr, "pipewise: error: unknown command \"%s\" (see pipewise --help)\n",
               pipewise::printable(name).c_str());
  return 2;
}
