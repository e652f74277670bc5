#pragma once
// Reading a command's arguments: its options (the shared ones of option_vocabulary.hpp with
// their aliases resolved), the positional arguments it names, and nothing else.
#include <boost/program_options.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace pipewise::tools {

// Parses `args` against `options` into `values`; returns true after printing `usage` and
// the options (each alias named on its option's line, not on a line of its own) to stdout
// when --help or -h was given. The arguments that are not options fill, in order, the
// options named in `positional` (validate's FILE, convert's IN and OUT); any other is
// refused. (An option whose value may be left out, such as simulate's --recompute, takes
// the next argument as its value when that is not an option: `--recompute false` is a
// value to check, not a stray argument.) Throws a
// boost::program_options::error for an unknown option, a malformed value or an unexpected
// argument ("unexpected argument "oops""), and pipewise::Error from resolve_aliases.
bool parse_or_help(const std::vector<std::string>& args,
                   const boost::program_options::options_description& options,
                   boost::program_options::variables_map& values, const char* usage,
                   const std::vector<std::string>& positional = {});

// Value of an integer option that must lie in [minimum, maximum]; `fallback` when absent.
// Throws pipewise::Error "--NAME must be between A and B (got X)".
std::uint32_t bounded_option(const boost::program_options::variables_map& values,
                             const std::string& name, std::uint32_t fallback,
                             std::int64_t minimum, std::int64_t maximum);

}  // namespace pipewise::tools
