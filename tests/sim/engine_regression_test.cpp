// Regression tests for schedules that broke the simulator (sim/engine.hpp), found by
// tests/fuzz/fuzz_validate.cpp. docs/reliability.md lists them.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace pipewise::sim
