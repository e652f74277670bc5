// Memory peaks from the programs alone equal the simulator's, for every schedule of the
// registry (synchronous, asynchronous with weight stashing, split backwards, overlapped
// pairs, bidirectional placement) under stashing, recomputation and split-backward memory,
// and with uneven stages.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/schedules/registry.hpp"
#include "sim/cost_model.hpp"
#include "sim/engine.hpp"
#include "sim/program_memory.hpp"

namespace pipewise::sim {
namespace {

// Memory model variants: 0 stashes whole activations, 1 recomputes (boundaries kept, a
// working set rebuilt), 2 splits the stash between I and W and holds a buffer during each
// optimizer step; the last model stage holds more.
CostConfig memory_config(int variant, std::uint32_t last_stage) {
  CostConfig config;
  config.device_share = {1.0, 2.0, 1.0, 0.5};
  config.memory.parameter_bytes = 5000;
  config.memory.optimizer = Optimizer::Adam;
  config.memory.layers = 4;
  config.memory.activation_bytes_per_layer = 300;
  config.communication.activation_bytes = 70;
  config.communication.gradient_bytes = 70;
  if (variant == 1) {
    config.memory.recompute = true;
    config.memory.working_set_factor = 1.5;
  }
  if (variant == 2) {
    config.memory.weight_gradient_fraction = 0.4;
    config.memory.step_working_bytes = 4000;  // held during each optimizer step
  }
  StageOverride heavy;
  heavy.stage = last_stage;
  heavy.memory.parameter_bytes = 9000;
  heavy.memory.stash_bytes = 2100;
  config.stages.push_back(heavy);
  return config;
}

TEST(ProgramMemory, PeaksEqualTheSimulatorsForEverySchedule) {
  std::size_t compared = 0;
  for (const ScheduleInfo& info : schedule_catalog()) {
    for (const std::uint32_t p : {2u, 3u, 4u}) {
      for (const std::uint32_t m : {p, 2 * p + 2}) {
        for (const std::uint32_t v : {1u, 2u}) {
          Problem problem{p, v, m, 2, info.placement};
          if (info.fixed_chunks != 0) problem.chunks = info.fixed_chunks;
          if (!schedule_accepts(info.name, problem).ok()) continue;
          const Schedule schedule = generate_schedule(info.name, problem);
          for (const int variant : {0, 1, 2}) {
            const CostModel costs =
                resolve_costs(memory_config(variant, problem.model_stages() - 1), problem);
            const SimulationResult run = simulate(schedule, costs);
            const std::vector<ProgramMemoryPeak> peaks = program_memory_peaks(schedule, costs);
            ASSERT_EQ(peaks.size(), run.devices.size());
            for (std::uint32_t d = 0; d < problem.devices; ++d) {
              const std::string where = info.name + " " + problem_sizes(problem) + " variant " +
                                        std::to_string(variant) + " device " + std::to_string(d);
              EXPECT_EQ(peaks[d].static_bytes, run.devices[d].static_bytes) << where;
              EXPECT_EQ(peaks[d].peak_activation_bytes, run.devices[d].peak_activation_bytes) << where;
              EXPECT_EQ(peaks[d].peak_bytes, run.devices[d].peak_bytes) << where;
            }
            ++compared;
          }
        }
      }
    }
  }
  EXPECT_GT(compared, 200u);
}

TEST(ProgramMemory, SizesPastTwoToTheSixtyFourSaturate) {
  const Problem problem{2, 1, 4, 1, Placement::Looped};
  CostConfig config;
  config.memory.activation_bytes_per_layer = 1e19;  // four stashes: past 2^64
  const CostModel costs = resolve_costs(config, problem);
  const std::vector<ProgramMemoryPeak> peaks =
      program_memory_peaks(generate_schedule("gpipe", problem), costs);
  EXPECT_EQ(peaks[0].peak_bytes, ~std::uint64_t{0});
}

}  // namespace
}  // namespace pipewise::sim
