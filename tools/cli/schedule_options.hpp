#pragma once
#include <boost/program_options.hpp>
#include <cstdint>
#include <string>

#include "common/ir/schedule.hpp"

namespace pipewise::tools {

// Adds the options that pick a schedule: --schedule NAME with --stages/-p,
// --microbatches/-m, --chunks/-v, --iterations/-n, --placement; or --schedule-file FILE
// (JSON or PyTorch text form). Megatron-LM's names are accepted as aliases for the sizes.
void add_schedule_options(boost::program_options::options_description& options);

// The schedule those options describe, generated or read from file (not lowered).
// Throws pipewise::Error naming the bad option or file.
Schedule schedule_from_options(const boost::program_options::variables_map& values);

// Reads a schedule file in either form: JSON when its first non-blank character is '{',
// else PyTorch text. Throws pipewise::Error naming the file and the problem.
Schedule read_schedule_file(const std::string& path);

// Value of an integer option that must lie in [minimum, maximum]; `fallback` when absent.
// Throws pipewise::Error "--NAME must be between A and B (got X)".
std::uint32_t bounded_option(const boost::program_options::variables_map& values,
                             const std::string& name, std::uint32_t fallback,
                             std::int64_t minimum, std::int64_t maximum);

// Parses `args` against `options`, and returns true after printing help to stdout when
// --help was given. Unknown options and malformed values throw.
bool parse_or_help(const std::vector<std::string>& args,
                   const boost::program_options::options_description& options,
                   boost::program_options::variables_map& values, const char* usage);

}  // namespace pipewise::tools
