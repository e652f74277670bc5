#include "tools/cli/command.hpp"

namespace pipewise::tools {

const std::vector<Command>& all_commands() {
  static const std::vector<Command> kCommands = {
      convert_command(), partition_command(), profile_command(),  published_runs_command(),
      recommend_command(), run_command(),     search_command(),   show_command(),
      simulate_command(),  sweep_command(),   validate_command()};
  return kCommands;
}

}  // namespace pipewise::tools
