#pragma once
// Small parsers for list-valued and choice command-line options shared by the commands
// (aliases are option_vocabulary.hpp's).
#include <boost/program_options.hpp>
#include <initializer_list>
#include <string>
#include <vector>

namespace pipewise::tools {

// The comma-separated items of `text`, each trimmed of blanks. Throws pipewise::Error
// "--OPTION: empty item in "..."" for an empty item.
std::vector<std::string> comma_separated(const std::string& text, const std::string& option);

// Canonical schedule names (find_schedule) of a comma-separated list, duplicates dropped,
// in the order given; "all" is every schedule of the catalog. Throws pipewise::Error naming
// an unknown schedule.
std::vector<std::string> schedule_list(const std::string& text, const std::string& option);

// The value of string option --NAME (which must have one, e.g. by default), when it is one of
// `allowed`. Throws pipewise::Error "--NAME must be one of a, b (got "c")" otherwise.
std::string choice_option(const boost::program_options::variables_map& values,
                          const std::string& name, std::initializer_list<const char*> allowed);

}  // namespace pipewise::tools
