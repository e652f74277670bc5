#pragma once
// Where a command's outputs go: the report to the file of -o/--output, else stdout; the
// files of options such as --svg and --trace to their paths. Every command gathers its
// outputs in one OutputSet (common/io/output_set.hpp) and commits them once, at its end, so
// a failure leaves no output file behind.
#include <boost/program_options.hpp>
#include <string>

#include "common/io/output_set.hpp"

namespace pipewise::tools {

// Adds `report` to `outputs`: for the file named by --output when given (named "-o" in
// messages), else for standard output.
void add_report(OutputSet& outputs, const boost::program_options::variables_map& values,
                std::string report);

// Adds `contents` for the path of option `option` (e.g. "svg"), named "--svg" in messages.
// REQUIRES: the option was given.
void add_option_file(OutputSet& outputs, const boost::program_options::variables_map& values,
                     const std::string& option, std::string contents);

// add_report, then commit: for commands whose report is their only output. Throws
// pipewise::Error naming an output it cannot write.
void write_report(const boost::program_options::variables_map& values, std::string report);

// For a command that found no answer and is about to fail: no output file is written (a
// failure leaves none), but the report, which says what was tried and why nothing answered,
// still goes to standard output when no -o was given.
void show_unanswered_report(const boost::program_options::variables_map& values, std::string report);

}  // namespace pipewise::tools
