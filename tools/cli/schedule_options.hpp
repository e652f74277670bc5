#pragma once
#include <boost/program_options.hpp>
#include <string>
#include <vector>

#include <memory>

#include "common/ir/schedule.hpp"
#include "common/ir/schedule_stream.hpp"
#include "tools/cli/command_line.hpp"  // the commands that take these options parse with it

namespace pipewise::tools {

// Adds the options that pick one schedule: -s/--schedule NAME with -p/--stages,
// -m/--microbatches, -v/--chunks, -n/--iterations and --placement; or --schedule-file FILE
// (JSON or PyTorch text form). The sizes take their Megatron-LM names as aliases
// (option_vocabulary.hpp).
void add_schedule_options(boost::program_options::options_description& options);

// What is done with a schedule read from a file before it is used.
enum class FileCheck {
  AsRead,    // nothing: show and convert display and translate any schedule
  Validated, // validate_schedule, refusing the file with its first finding: simulate and
             // run compute with it (generated schedules are valid by construction, which
             // tests/common/validate/validate_generated_test.cpp checks for every generator)
};

// The schedule those options describe, generated or read from file (not lowered). A file
// carries its own problem, so --schedule-file given with --schedule, a size or --placement
// is refused, naming them. Throws pipewise::Error naming the bad option or file, or, under
// FileCheck::Validated, "FILE: invalid schedule: RULE: MESSAGE".
Schedule schedule_from_options(const boost::program_options::variables_map& values,
                               FileCheck check = FileCheck::AsRead);

// The schedule -s NAME and the sizes describe, as a stream (schedule_stream.hpp) for
// commands that need no op of it kept, when NAME can be streamed (can_stream); null for a
// --schedule-file, a list of names or a schedule that cannot. Throws pipewise::Error as
// schedule_from_options does, or when the schedule has more ops than a streamed
// simulation takes (sim::work_to_simulate_streamed).
std::unique_ptr<ScheduleStream> schedule_stream_from_options(
    const boost::program_options::variables_map& values);

// The schedules of `pipewise run --schedule LIST` (comma-separated names, e.g.
// naive,gpipe,1f1b,interleaved), each generated for the same -p, -m, -n and --placement; -v
// applies to the schedules that take chunks, the others run with their own v (1, or the one
// they fix). One name (or --schedule-file) gives schedule_from_options's one schedule.
// Throws pipewise::Error naming an unknown or repeated name before any is generated.
std::vector<Schedule> schedules_from_options(const boost::program_options::variables_map& values,
                                             FileCheck check = FileCheck::AsRead);

// Reads a schedule file in either form: JSON when its first non-blank character is '{',
// else PyTorch text. Throws pipewise::Error naming the file and the problem.
Schedule read_schedule_file(const std::string& path);

}  // namespace pipewise::tools
