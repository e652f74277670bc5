#pragma once
// Reading a command's arguments: its options, the positional arguments it names, and
// nothing else.
#include <boost/program_options.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace pipewise::tools {

// Parses `args` against `options` into `values`; returns true after printing `usage` and
// the options to stdout when --help or -h was given. The arguments that are not options
// fill, in order, the options named in `positional` (validate's FILE, convert's IN and
// OUT); any other is refused. Throws a boost::program_options::error for an unknown
// option, a malformed value or an unexpected argument ("unexpected argument "oops"").
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
