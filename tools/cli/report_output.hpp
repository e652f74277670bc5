#pragma once
// Where a command's report goes: the file of -o/--output, else stdout.
#include <boost/program_options.hpp>
#include <string>

namespace pipewise::tools {

// Writes `report` to the file named by --output (whole or not at all, replacing it), or to
// stdout when --output was not given. Throws pipewise::Error naming a file it cannot write.
void write_report(const boost::program_options::variables_map& values, const std::string& report);

}  // namespace pipewise::tools
