#include "tools/command.hpp"

#include <algorithm>

namespace pipewise::cli {
namespace {
std::vector<Command>& command_table() {
  static std::vector<Command> table;  // function-local: safe during static initialisation
  return table;
}
}  // namespace

bool register_command(const Command& command) {
  command_table().push_back(command);
  return true;
}

std::vector<Command> registered_commands() {
  std::vector<Command> commands = command_table();
  std::sort(commands.begin(), commands.end(),
            [](const Command& a, const Command& b) { return a.name < b.name; });
  return commands;
}

}  // namespace pipewise::cli
