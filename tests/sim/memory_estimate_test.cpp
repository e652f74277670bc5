// What generating and simulating a schedule needs in memory: the estimate, and the
// refusal, with it, of a schedule that cannot fit before it is generated; absurd sizes get
// Problem::check's error instead of an estimate.
#include <gtest/gtest.h>

#include <string>

#include "common/ir/error.hpp"
#include "common/schedules/registry.hpp"
#include "sim/memory_estimate.hpp"

namespace pipewise::sim {
namespace {

Problem make_problem(std::uint32_t p, std::uint32_t m, std::uint32_t v = 1, std::uint32_t n = 1) {
  Problem problem;
  problem.devices = p;
  problem.chunks = v;
  problem.microbatches = m;
  problem.iterations = n;
  return problem;
}

// The message of the pipewise::Error that `action` throws, or "" when it throws none.
template <typename Action>
std::string error_of(Action action) {
  try {
    action();
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

TEST(SimulationMemoryEstimate, FlushedScheduleHasFAndBPerSlotAndOneStepPerStageAndIteration) {
  // p=4, m=8, n=1: 32 slots, 2*32 = 64 compute ops + 4 steps = 68 ops;
  // bytes = 68*16 + 32*17 = 1088 + 544 = 1632.
  const MemoryEstimate estimate = estimate_simulation_memory("1f1b", make_problem(4, 8));
  EXPECT_EQ(estimate.ops, 68u);
  EXPECT_EQ(estimate.bytes, 1632u);
}

TEST(SimulationMemoryEstimate, ChunksAndIterationsMultiplyTheSlots) {
  // p=2, v=3, m=4, n=2: 6 stages * 2 iterations * 4 micro-batches = 48 slots;
  // ops = 96 + 6*2 = 108; bytes = 108*16 + 48*17 = 1728 + 816 = 2544.
  const MemoryEstimate estimate = estimate_simulation_memory("interleaved", make_problem(2, 4, 3, 2));
  EXPECT_EQ(estimate.ops, 108u);
  EXPECT_EQ(estimate.bytes, 2544u);
}

TEST(SimulationMemoryEstimate, PipeDreamCadenceStepsAfterEveryMicroBatch) {
  // p=4, m=8, n=2: 64 slots, each with F, B and a step: 192 ops; 192*16 + 64*17 = 4160.
  const MemoryEstimate estimate = estimate_simulation_memory("pipedream", make_problem(4, 8, 1, 2));
  EXPECT_EQ(estimate.ops, 192u);
  EXPECT_EQ(estimate.bytes, 4160u);
}

TEST(SimulationMemoryEstimate, LargestValidProblemDoesNotOverflow) {
  // p*v = 2^16 stages, m*n = 2^32: 2^48 slots, 3*2^48 ops with a step per slot, and
  // 3*2^48*16 + 2^48*17 = 65*2^48 bytes, well inside 64 bits.
  const MemoryEstimate estimate =
      estimate_simulation_memory("pipedream", make_problem(1u << 15, 1u << 16, 2, 1u << 16));
  EXPECT_EQ(estimate.ops, 3 * (std::uint64_t{1} << 48));
  EXPECT_EQ(estimate.bytes, 65 * (std::uint64_t{1} << 48));
}

TEST(RequireMemoryToSimulate, RefusesAScheduleLargerThanMemoryBeforeGeneratingIt) {
  // 1f1b p=1024 m=10^9: 1.024e12 slots, 2.048e12 + 1024 ops; bytes = 16*ops + 17*slots
  // = 3.2768e13 + 1.7408e13 = 5.0176e13 = 45.6 TiB, more than any machine these tests run
  // on; generating it would take hours and then be killed, so the refusal must come at once.
  const std::string message =
      error_of([] { require_memory_to_simulate("1f1b", make_problem(1024, 1000000000)); });
  EXPECT_EQ(message.rfind("1f1b p=1024 v=1 m=1000000000 n=1 needs 45.6 TiB for its 2.0e+12 "
                          "ops; this machine has ", 0),
            0u)
      << message;
  EXPECT_NE(message.find(" available"), std::string::npos) << message;
}

TEST(RequireMemoryToSimulate, AliasesAreRefusedUnderTheirCanonicalName) {
  const std::string message = error_of(
      [] { require_memory_to_simulate("pipedream-flush", make_problem(1024, 1000000000)); });
  EXPECT_EQ(message.rfind("1f1b p=1024", 0), 0u) << message;
}

TEST(RequireMemoryToSimulate, AbsurdDeviceCountGetsTheProblemsErrorNotAnEstimate) {
  EXPECT_EQ(error_of([] { require_memory_to_simulate("gpipe", make_problem(1000000000, 8)); }),
            "p*v = 1000000000 stages is more than the 65536 the IR supports");
}

TEST(RequireMemoryToSimulate, AbsurdMicroBatchTotalGetsTheProblemsError) {
  EXPECT_EQ(error_of([] { require_memory_to_simulate("1f1b", make_problem(4, 1u << 31, 1, 4)); }),
            "m*n = 8589934592 micro-batches is more than 2^32");
}

TEST(RequireMemoryToSimulate, SchedulesThatFitPassAndTheEstimateCountsTheirOps) {
  EXPECT_NO_THROW(require_memory_to_simulate("pipedream", make_problem(4, 8, 1, 2)));
  const Schedule schedule = generate_schedule("pipedream", make_problem(4, 8, 1, 2));
  // 64 F + 64 B + 64 steps, as the PipeDream cadence estimate counts.
  EXPECT_EQ(schedule.op_count(), estimate_simulation_memory("pipedream", make_problem(4, 8, 1, 2)).ops);
}

TEST(GenerateSchedule, AbsurdSizesGetTheProblemsError) {
  EXPECT_EQ(error_of([] { generate_schedule("gpipe", make_problem(1000000000, 8)); }),
            "p*v = 1000000000 stages is more than the 65536 the IR supports");
}

}  // namespace
}  // namespace pipewise::sim
