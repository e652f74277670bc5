// pipewise: pick a pipeline-parallel schedule, simulate it, run it.
#include <boost/program_options/errors.hpp>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "common/io/temporary_file_registry.hpp"
#include "common/ir/error.hpp"
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
    return 0;
  }
  const std::vector<std::string> args(argv + 2, argv + argc);
  for (const auto& command : pipewise::tools::all_commands()) {
    if (command.name != name) continue;
    try {
      return command.run(args);
    } catch (const pipewise::Error& error) {
      std::fprintf(stderr, "pipewise %s: error: %s\n", name.c_str(), error.what());
    } catch (const boost::program_options::error& error) {
      std::fprintf(stderr, "pipewise %s: error: %s (see pipewise %s --help)\n", name.c_str(),
                   error.what(), name.c_str());
    } catch (const std::exception& error) {
      std::fprintf(stderr, "pipewise %s: error: %s\n", name.c_str(), error.what());
    }
    return 1;
  }
  std::fprintf(stderr, "pipewise: error: unknown command \"%s\" (see pipewise --help)\n",
               name.c_str());
  return 2;
}
