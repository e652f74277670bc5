#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace pipewise::tools {

// One `pipewise` subcommand. `run` receives the arguments after the subcommand name and
// returns the process exit status; it may throw pipewise::Error or a
// boost::program_options error, which main() prints as one line and turns into exit 1.
struct Command {
  std::string_view name;
  std::string_view summary;  // one line for `pipewise --help`
  int (*run)(const std::vector<std::string>& args);
};

// The subcommands, one file each (tools/cli/<name>_command.cpp).
Command convert_command();
Command partition_command();
Command profile_command();
Command published_runs_command();
Command recommend_command();
Command run_command();
Command search_command();
Command show_command();
Command simulate_command();
Command sweep_command();
Command validate_command();

// Every subcommand, sorted by name: the table main() dispatches on.
const std::vector<Command>& all_commands();

}  // namespace pipewise::tools
