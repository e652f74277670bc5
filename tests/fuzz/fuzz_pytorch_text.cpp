// libFuzzer target: the PyTorch action-text reader (common/io/pytorch_text.hpp).
// Properties: any input either parses or throws pipewise::Error; what parses round-trips
// through the text writer unchanged (the reader derives weight versions and step dates
// by the rules the writer relies on), writes in PyTorch-compatible form, and converts to
// JSON and back with the same problem and programs (the JSON writer may replace invalid
// UTF-8 in the name).
#include <cstddef>
#include <cstdint>

#include "common/io/json_schedule.hpp"
#include "common/io/pytorch_text.hpp"
#include "common/ir/error.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pipewise;
  Schedule schedule;
  try {
    schedule = schedule_from_pytorch_text(fuzz::as_text(data, size));
  } catch (const Error&) {
    return 0;
  }
  try {
    if (!(schedule_from_pytorch_text(schedule_to_pytorch_text(schedule)) == schedule)) {
      fuzz::broken("text write -> read reproduces the schedule");
    }
  } catch (const Error&) {
    fuzz::broken("the text reader accepts what the text writer writes");
  }
  try {
    schedule_to_pytorch_text(schedule, /*pytorch_compatible=*/true);
  } catch (const Error&) {
    fuzz::broken("a parsed schedule can be written in PyTorch-compatible form");
  }
  try {
    const Schedule converted = schedule_from_json(schedule_to_json(schedule));
    if (!(converted.problem == schedule.problem && converted.programs == schedule.programs)) {
      fuzz::broken("text -> JSON -> schedule keeps the problem and the programs");
    }
  } catch (const Error&) {
    fuzz::broken("the JSON reader accepts what the JSON writer writes of a text schedule");
  }
  return 0;
}
