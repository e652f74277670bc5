// The arena reservation derived from a schedule (exec/cuda/planning/arena_sizing.hpp), worked by
// hand on a two-stage model.
#include <gtest/gtest.h>

#include "common/ir/lower.hpp"
#include "common/ir/weight_versions.hpp"
#include "exec/cuda/planning/arena_sizing.hpp"

namespace pipewise::exec::cuda {
namespace {

// Widths 4 -> 8 -> 2 as two one-layer stages: stage 0 has 8 * (4 + 1) = 40 parameters,
// stage 1 has 2 * (8 + 1) = 18.
MlpModel two_stage_model() {
  MlpConfig config;
  config.widths = {4, 8, 2};
  return MlpModel(config, 2, PartitionRule::ByLayers);
}

Op op(OpKind kind, std::uint16_t stage, std::uint32_t microbatch) {
  Op result;
  result.kind = kind;
  result.stage = stage;
  result.microbatch = microbatch;
  return result;
}

// Stage 0 runs GPipe (F0 F1 B0 B1 STEP), stage 1 runs 1F1B (F0 B0 F1 B1 STEP).
Schedule schedule() {
  Schedule result;
  result.problem.devices = 2;
  result.problem.microbatches = 2;
  result.programs = {
      {op(OpKind::Forward, 0, 0), op(OpKind::Forward, 0, 1), op(OpKind::Backward, 0, 0),
       op(OpKind::Backward, 0, 1), op(OpKind::OptimizerStep, 0, 1)},
      {op(OpKind::Forward, 1, 0), op(OpKind::Backward, 1, 0), op(OpKind::Forward, 1, 1),
       op(OpKind::Backward, 1, 1), op(OpKind::OptimizerStep, 1, 1)}};
  assign_weight_versions(result);
  return lower_communication(result);
}

TEST(ArenaSizing, PeakIsPersistentStatePlusTheMostMicroBatchesInFlight) {
  const MlpModel model = two_stage_model();
  const Schedule plan = schedule();
  constexpr std::uint32_t kRows = 3;
  // Device 0, SGD without momentum: 40 * (1 version + 1 gradient) = 80 floats; a
  // micro-batch holds 3 * (2 * 4 + 2 * 8) = 72 floats, and GPipe holds two at once.
  EXPECT_EQ(device_peak_bytes(plan, model, kRows, 0, 0), (80u + 2 * 72u) * 4);
  // Device 1: 18 * 2 = 36 floats; a micro-batch 3 * (2 * 8 + 2 * 2) = 60; 1F1B holds one.
  EXPECT_EQ(device_peak_bytes(plan, model, kRows, 0, 1), (36u + 60u) * 4);
  // Adam keeps two more floats per parameter: 18 * 4 = 72.
  EXPECT_EQ(device_peak_bytes(plan, model, kRows, 2, 1), (72u + 60u) * 4);
}

TEST(ArenaSizing, ReservationAddsAQuarterAndSixteenMebibytes) {
  EXPECT_EQ(arena_reservation_bytes(896), 896u + 224u + (16u << 20));
  EXPECT_EQ(arena_reservation_bytes(0), 16u << 20);
}

}  // namespace
}  // namespace pipewise::exec::cuda
