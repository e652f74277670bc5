#pragma once
#include <boost/program_options.hpp>
#include <string>

#include "common/ir/schedule.hpp"
#include "tools/cli/command_line.hpp"  // the commands that take these options parse with it

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

}  // namespace pipewise::tools
