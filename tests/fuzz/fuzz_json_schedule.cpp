// libFuzzer target: the JSON schedule reader (common/io/json_schedule.hpp).
// Properties: any input either parses or throws pipewise::Error; what parses is a schedule
// inside its (valid) problem that the writer writes and the reader reads back unchanged,
// and that validate_schedule checks without throwing.
#include <cstddef>
#include <cstdint>

#include "common/io/json_schedule.hpp"
#include "common/ir/error.hpp"
#include "common/validate/validate.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pipewise;
  Schedule schedule;
  try {
    schedule = schedule_from_json(fuzz::as_text(data, size));
  } catch (const Error&) {
    return 0;
  }
  if (schedule.programs.size() != schedule.problem.devices) {
    fuzz::broken("a parsed schedule has one program per device");
  }
  try {
    if (!(schedule_from_json(schedule_to_json(schedule)) == schedule)) {
      fuzz::broken("JSON write -> read reproduces the schedule");
    }
  } catch (const Error&) {
    fuzz::broken("the reader accepts what the writer writes");
  }
  const ValidationReport report = validate_schedule(schedule);
  for (const ValidationIssue& issue : report.issues) {
    if (format_issue(issue).find('\n') != std::string::npos) {
      fuzz::broken("validation issues are one line");
    }
  }
  return 0;
}
