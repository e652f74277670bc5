#include "tools/cli/option_lists.hpp"

#include <algorithm>

#include "common/ir/error.hpp"
#include "common/schedules/registry.hpp"

namespace pipewise::tools {

std::vector<std::string> comma_separated(const std::string& text, const std::string& option) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const auto first = item.find_first_not_of(" \t");
    const auto last = item.find_last_not_of(" \t");
    item = first == std::string::npos ? "" : item.substr(first, last - first + 1);
    if (item.empty()) throw Error("--" + option + ": empty item in \"" + text + "\"");
    items.push_back(item);
    if (comma == std::string::npos) return items;
    start = comma + 1;
  }
}

std::vector<std::string> schedule_list(const std::string& text, const std::string& option) {
  std::vector<std::string> names;
  const auto add = [&](const std::string& name) {
    const std::string& canonical = find_schedule(name).name;
    if (std::find(names.begin(), names.end(), canonical) == names.end()) names.push_back(canonical);
  };
  for (const std::string& item : comma_separated(text, option)) {
    if (item == "all") {
      for (const ScheduleInfo& info : schedule_catalog()) add(info.name);
    } else {
      add(item);
    }
  }
  return names;
}

std::string choice_option(const boost::program_options::variables_map& values,
                          const std::string& name, std::initializer_list<const char*> allowed) {
  const std::string value = values[name].as<std::string>();
  std::string list;
  for (const char* choice : allowed) {
    if (value == choice) return value;
    list += (list.empty() ? "" : ", ") + std::string(choice);
  }
  throw Error("--" + name + " must be one of " + list + " (got \"" + value + "\")");
}

}  // namespace pipewise::tools
