// Regression tests for schedules that broke the simulator (sim/engine.hpp), found by
// tests/fuzz/fuzz_validate.cpp and by the resource-limit review. docs/reliability.md lists
// them.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "common/ir/error.hpp"
#include "sim/cost_model.hpp"
#include "sim/engine.hpp"
#include "tests/sim/hand_schedules.hpp"

namespace pipewise::sim {
namespace {

using testing::empty_schedule;
using testing::make_op;

// A one-device, one-micro-batch schedule F, B, then an op of kind 9 (one past
// OptimizerStep) on `stage`.
Schedule with_unknown_op(std::uint32_t stage) {
  Schedule schedule = empty_schedule("custom", 1, 1);
  Op unknown = make_op(OpKind::Forward, stage, 0);
  unknown.kind = static_cast<OpKind>(kOpKindCount);
  schedule.programs[0] = {make_op(OpKind::Forward, 0, 0), make_op(OpKind::Backward, 0, 0),
                          unknown};
  return schedule;
}

TEST(EngineRegression, AnOpOfUnknownKindOutsideTheProblemIsAnErrorNotAnOutOfBoundsRead) {
  // The validator reports such an op as out-of-range; the simulator looked its kind's name
  // up past the end of the name table (ASan: global-buffer-overflow in op_kind_name) while
  // describing it.
  const Schedule schedule = with_unknown_op(1);
  EXPECT_THROW(simulate(schedule, CostModel(schedule.problem, StageCosts{})), Error);
}

TEST(EngineRegression, AnOpOfUnknownKindInsideTheProblemIsAnError) {
  const Schedule schedule = with_unknown_op(0);
  EXPECT_THROW(simulate(schedule, CostModel(schedule.problem, StageCosts{})), Error);
}

// MemTotal + SwapTotal of /proc/meminfo in bytes (0 when unreadable).
std::uint64_t memory_and_swap_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::uint64_t total_kb = 0;
  std::string key;
  std::uint64_t kilobytes = 0;
  std::string unit;
  while (meminfo >> key >> kilobytes >> unit) {
    if (key == "MemTotal:" || key == "SwapTotal:") total_kb += kilobytes;
  }
  return total_kb * 1024;
}

TEST(EngineRegression, AScheduleClaimingMoreSlotsThanMemoryIsRefusedWithTheEstimate) {
  // A two-op schedule whose problem claims m = n = 65536: 2^32 (stage, iteration,
  // micro-batch) slots, the most the simulator accepts, at 17 bytes each (two doubles and
  // a byte): 68 GiB before the first op runs. A schedule read from a small file can claim
  // this; it must be refused up front with the estimate, as generate_schedule refuses, not
  // fail inside std::vector (std::bad_alloc) or, for claims just under the machine's
  // memory, be killed by the kernel after touching it all.
  // Run only where the kernel refuses the first 32 GiB array outright (RAM + swap below
  // it), so that the unfixed simulator fails fast instead of filling a large machine.
  constexpr std::uint64_t kFirstArrayBytes = std::uint64_t{1} << 35;
  const std::uint64_t installed = memory_and_swap_bytes();
  if (installed == 0 || installed >= kFirstArrayBytes) {
    GTEST_SKIP() << "needs a machine with less than 32 GiB of RAM + swap";
  }
  Schedule schedule = empty_schedule("custom", 1, 65536, 1, 65536);
  schedule.programs[0] = {make_op(OpKind::Forward, 0, 0), make_op(OpKind::Backward, 0, 0)};
  std::string message;
  try {
    simulate(schedule, CostModel(schedule.problem, StageCosts{}));
  } catch (const Error& error) {
    message = error.what();
  }
  EXPECT_NE(message.find(" needs 68.0 GiB for "), std::string::npos) << message;
  EXPECT_NE(message.find(" available"), std::string::npos) << message;
}

}  // namespace
}  // namespace pipewise::sim
