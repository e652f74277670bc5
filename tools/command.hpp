#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace pipewise::cli {

// One `pipewise` subcommand. `run` receives the arguments after the subcommand name and
// returns the process exit status; it may throw pipewise::Error or a
// boost::program_options error, which main() prints as one line and turns into exit 1.
struct Command {
  std::string_view name;
  std::string_view summary;  // one line for `pipewise --help`
  int (*run)(const std::vector<std::string>& args);
};

// Adds a subcommand to the table main() dispatches on. Called at static-initialisation
// time by a `const bool registered = register_command({...});` in each command's file.
bool register_command(const Command& command);

// Every registered subcommand, sorted by name.
std::vector<Command> registered_commands();

}  // namespace pipewise::cli
