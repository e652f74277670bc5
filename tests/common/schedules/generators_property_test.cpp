// Properties every generated schedule must have, over p in 1..8, m in 1..16, v in 1..3 and
// n in 1..2: each (stage, micro-batch, iteration) has exactly one F and one B, on the device
// that owns the stage, with the B after the F; the optimizer steps are where the schedule
// says; and the programs run to the end when every op waits for its producers.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "common/ir/error.hpp"
#include "common/schedules/program_builder.hpp"
#include "common/schedules/registry.hpp"
#include "tests/common/schedules/generator_test_support.hpp"

namespace pipewise {
namespace {

using testing::item_index;
using testing::runs_to_completion;

// Whether `name` accepts the sizes, by the rules each generator documents.
bool accepts(const std::string& name, const Problem& problem) {
  if (name == "interleaved") return problem.chunks == 1 || problem.microbatches >= problem.devices;
  if (name == "looped-bfs") return true;
  if (problem.chunks != 1) return false;
  if (name == "pipedream-2bw") return problem.microbatches >= problem.devices;
  return true;
}

// PipeDream and PipeDream-2BW never flush; the others end every iteration with one.
bool flushes(const std::string& name) { return name != "pipedream" && name != "pipedream-2bw"; }

// Optimizer steps per stage: one per iteration when synchronous or 2BW, one per micro-batch
// for PipeDream.
std::uint64_t steps_per_stage(const std::string& name, const Problem& problem) {
  const std::uint64_t per_iteration = name == "pipedream" ? problem.microbatches : 1;
  return per_iteration * problem.iterations;
}

void expect_well_formed(const Schedule& schedule, const std::string& context) {
  const Problem& problem = schedule.problem;
  const std::size_t items =
      std::size_t{problem.stages()} * problem.iterations * problem.microbatches;
  ASSERT_EQ(schedule.programs.size(), problem.devices) << context;
  std::vector<int> forwards(items, 0), backwards(items, 0);
  std::vector<std::uint64_t> steps(problem.stages(), 0);
  for (std::uint32_t device = 0; device < problem.devices; ++device) {
    const auto& program = schedule.programs[device];
    std::vector<char> forward_seen(items, 0);
    std::vector<const Op*> last_backward(problem.stages(), nullptr);
    std::uint32_t iteration_floor = 0;
    for (const Op& op : program) {
      ASSERT_LT(op.stage, problem.stages()) << context;
      EXPECT_EQ(problem.device_of_stage(op.stage), device) << context << " stage " << op.stage;
      switch (op.kind) {
        case OpKind::Forward:
          ++forwards[item_index(op, problem)];
          forward_seen[item_index(op, problem)] = 1;
          break;
        case OpKind::Backward:
          ++backwards[item_index(op, problem)];
          EXPECT_TRUE(forward_seen[item_index(op, problem)])
              << context << ": B before its F on device " << device;
          last_backward[op.stage] = &op;
          break;
        case OpKind::OptimizerStep:
          ++steps[op.stage];
          // A step is dated to the last backward of its stage before it.
          ASSERT_NE(last_backward[op.stage], nullptr) << context;
          EXPECT_EQ(last_backward[op.stage]->microbatch, op.microbatch) << context;
          EXPECT_EQ(last_backward[op.stage]->iteration, op.iteration) << context;
          break;
        default:
          ADD_FAILURE() << context << ": generators emit F, B and STEP only";
      }
      if (flushes(schedule.name)) {
        // A flush: no op of iteration i after one of iteration i+1.
        EXPECT_GE(op.iteration, iteration_floor) << context;
        iteration_floor = op.iteration;
      }
    }
  }
  for (std::size_t item = 0; item < items; ++item) {
    EXPECT_EQ(forwards[item], 1) << context << " item " << item;
    EXPECT_EQ(backwards[item], 1) << context << " item " << item;
  }
  for (std::uint32_t stage = 0; stage < problem.stages(); ++stage) {
    EXPECT_EQ(steps[stage], steps_per_stage(schedule.name, problem)) << context;
  }
  EXPECT_EQ(schedule.op_count(),
            2 * items + problem.stages() * steps_per_stage(schedule.name, problem))
      << context;
  EXPECT_TRUE(runs_to_completion(schedule)) << context << ": deadlock";
}

TEST(GeneratorProperties, EveryScheduleIsCompleteOrderedAndDeadlockFree) {
  for (const auto& info : schedule_catalog()) {
    // Schedules with split backward (I, W) or another placement are held to their own
    // properties in zero_bubble_generators_test.cpp.
    if (info.splits_backward || info.placement != Placement::Looped) continue;
    for (std::uint32_t p = 1; p <= 8; ++p) {
      for (std::uint32_t m = 1; m <= 16; ++m) {
        for (std::uint32_t v = 1; v <= 3; ++v) {
          for (std::uint32_t n = 1; n <= 2; ++n) {
            Problem problem;
            problem.devices = p;
            problem.microbatches = m;
            problem.chunks = v;
            problem.iterations = n;
            const std::string context = info.name + " p=" + std::to_string(p) +
                                        " m=" + std::to_string(m) + " v=" + std::to_string(v) +
                                        " n=" + std::to_string(n);
            if (!accepts(info.name, problem)) {
              EXPECT_THROW(generate_schedule(info.name, problem), Error) << context;
              continue;
            }
            const Schedule schedule = generate_schedule(info.name, problem);
            EXPECT_EQ(schedule.name, info.name);
            EXPECT_EQ(schedule.problem, problem);
            expect_well_formed(schedule, context);
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace pipewise

namespace pipewise {
namespace {

TEST(StagesOfDevice, AreTheStagesDeviceOfStagePutOnItInAscendingOrder) {
  for (const auto& [placement, chunk_counts] :
       {std::pair{Placement::Looped, std::vector<std::uint32_t>{1, 2, 3, 4}},
        std::pair{Placement::VShape, std::vector<std::uint32_t>{2}},
        std::pair{Placement::Bidirectional, std::vector<std::uint32_t>{2}}}) {
    for (const std::uint32_t v : chunk_counts) {
      for (std::uint32_t p = 1; p <= 7; ++p) {
        const Problem problem{p, v, 2 * p, 1, placement};
        for (std::uint32_t d = 0; d < p; ++d) {
          std::vector<std::uint32_t> expected;
          for (std::uint32_t s = 0; s < problem.stages(); ++s) {
            if (problem.device_of_stage(s) == d) expected.push_back(s);
          }
          EXPECT_EQ(stages_of_device(problem, d), expected) << problem_sizes(problem) << " d=" << d;
        }
      }
    }
  }
}

}  // namespace
}  // namespace pipewise
