#include "tools/cli/report_output.hpp"

#include <utility>

namespace pipewise::tools {

void add_report(OutputSet& outputs, const boost::program_options::variables_map& values,
                std::string report) {
  if (values.count("output")) {
    outputs.add(values["output"].as<std::string>(), std::move(report), "-o");
  } else {
    outputs.add_standard_output(std::move(report), "the report");
  }
}

void add_option_file(OutputSet& outputs, const boost::program_options::variables_map& values,
                     const std::string& option, std::string contents) {
  outputs.add(values[option].as<std::string>(), std::move(contents), "--" + option);
}

void write_report(const boost::program_options::variables_map& values, std::string report) {
  OutputSet outputs;
  add_report(outputs, values, std::move(report));
  outputs.commit();
}

void show_unanswered_report(const boost::program_options::variables_map& values, std::string report) {
  if (values.count("output")) return;
  OutputSet outputs;
  outputs.add_standard_output(std::move(report), "the report");
  outputs.commit();
}

}  // namespace pipewise::tools
