#include "tools/cli/report_output.hpp"

#include <iostream>

#include "common/io/atomic_file.hpp"

namespace pipewise::tools {

void write_report(const boost::program_options::variables_map& values, const std::string& report) {
  if (values.count("output")) {
    write_file_atomically(values["output"].as<std::string>(), report);
  } else {
    std::cout << report;
  }
}

}  // namespace pipewise::tools
