#include "tools/cli/command_line.hpp"

#include <algorithm>
#include <iostream>

#include "common/ir/error.hpp"
#include "tools/cli/option_vocabulary.hpp"

namespace po = boost::program_options;

namespace pipewise::tools {
namespace {

// Names the positional arguments after `positional`, in order; refuses one more.
void name_positionals(const std::vector<std::string>& positional, po::parsed_options& parsed) {
  std::size_t next = 0;
  for (po::option& option : parsed.options) {
    if (!option.string_key.empty()) continue;  // an option, not a positional argument
    if (next == positional.size()) {
      throw po::error("unexpected argument \"" + option.value.front() + "\"");
    }
    option.string_key = positional[next++];
  }
}

}  // namespace

bool parse_or_help(const std::vector<std::string>& args, const po::options_description& options,
                   po::variables_map& values, const char* usage,
                   const std::vector<std::string>& positional) {
  po::options_description all(options);
  all.add_options()("help,h", "print this help");
  po::parsed_options parsed = po::command_line_parser(args).options(all).run();
  const bool help = std::any_of(parsed.options.begin(), parsed.options.end(),
                                [](const po::option& option) { return option.string_key == "help"; });
  if (help) {
    std::cout << usage << "\n\n" << help_options(all) << "\n";
    return true;
  }
  name_positionals(positional, parsed);
  po::store(parsed, values);
  resolve_aliases(all, values);
  po::notify(values);
  return false;
}

std::uint32_t bounded_option(const po::variables_map& values, const std::string& name,
                             std::uint32_t fallback, std::int64_t minimum, std::int64_t maximum) {
  if (!values.count(name)) return fallback;
  const std::int64_t value = values[name].as<std::int64_t>();
  if (value < minimum || value > maximum) {
    throw Error("--" + name + " must be between " + std::to_string(minimum) + " and " +
                std::to_string(maximum) + " (got " + std::to_string(value) + ")");
  }
  return static_cast<std::uint32_t>(value);
}

}  // namespace pipewise::tools
