#pragma once
#include <boost/program_options.hpp>
#include <string>

#include "common/ir/schedule.hpp"
#include "tools/cli/command_line.hpp"  // the commands that take these options parse with it

namespace pipewise::tools {

// Adds the options that pick one schedule: -s/--schedule NAME with -p/--stages,
// -m/--microbatches, -v/--chunks, -n/--iterations and --placement; or --schedule-file FILE
// (JSON or PyTorch text form). The sizes take their Megatron-LM names as aliases
// (option_vocabulary.hpp).
void add_schedule_options(boost::program_options::options_description& options);

// The schedule those options describe, generated or read from file (not lowered). A file
// carries its own problem, so --schedule-file given with --schedule, a size or --placement
// is refused, naming them. Throws pipewise::Error naming the bad option or file.
Schedule schedule_from_options(const boost::program_options::variables_map& values);

// Reads a schedule file in either form: JSON when its first non-blank character is '{',
// else PyTorch text. Throws pipewise::Error naming the file and the problem.
Schedule read_schedule_file(const std::string& path);

}  // namespace pipewise::tools
