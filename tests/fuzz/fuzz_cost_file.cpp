// libFuzzer target: the cost-file parser (sim/cost_file.hpp), then the costs it yields
// resolved for two small problems and simulated.
// Properties: any input either parses or throws pipewise::Error; resolve_costs and
// simulate either succeed or throw pipewise::Error; a simulated makespan is never NaN
// and never negative.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "common/ir/error.hpp"
#include "common/ir/lower.hpp"
#include "common/schedules/registry.hpp"
#include "sim/cost_file.hpp"
#include "sim/engine.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

using namespace pipewise;

// An interleaved schedule (p=4, v=2, m=4) and a lowered 1F1B one (p=3, m=5).
const std::vector<Schedule>& schedules() {
  static const std::vector<Schedule> kSchedules = [] {
    Problem interleaved;
    interleaved.devices = 4;
    interleaved.chunks = 2;
    interleaved.microbatches = 4;
    Problem one_f_one_b;
    one_f_one_b.devices = 3;
    one_f_one_b.microbatches = 5;
    return std::vector<Schedule>{generate_schedule("interleaved", interleaved),
                                 lower_communication(generate_schedule("1f1b", one_f_one_b))};
  }();
  return kSchedules;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sim::CostConfig config;
  try {
    config = sim::parse_cost_config(fuzz::as_text(data, size));
  } catch (const Error&) {
    return 0;
  }
  for (const Schedule& schedule : schedules()) {
    try {
      const sim::CostModel costs = sim::resolve_costs(config, schedule.problem);
      sim::SimulationOptions options;
      options.record_timeline = true;
      const sim::SimulationResult result = sim::simulate(schedule, costs, options);
      if (std::isnan(result.makespan_ms) || result.makespan_ms < 0) {
        fuzz::broken("a simulated makespan is a number >= 0");
      }
    } catch (const Error&) {
    }
  }
  return 0;
}
