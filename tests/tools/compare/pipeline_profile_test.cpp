// Profiling ops and messages as they run in the pipeline: over the profiled steps, the median
// of each step's mean op duration replaces the time of the op timed alone, stage by stage and
// kind by kind, and the hand-over of messages whose receiver waits replaces the latency of
// messages timed alone.
#include <gtest/gtest.h>

#include <functional>

#include "common/ir/error.hpp"
#include "exec/core/weight_lifetimes.hpp"
#include "tools/compare/pipeline_profile.hpp"
#include "../../exec/exec_test_support.hpp"

namespace pipewise::tools {
namespace {

// A step of `schedule` in which each op takes duration_ms(op), back to back per device.
exec::StepIntervals step_of(const Schedule& schedule, const std::function<double(const Op&)>& duration_ms) {
  exec::StepIntervals step(schedule.programs.size());
  for (std::size_t d = 0; d < schedule.programs.size(); ++d) {
    std::int64_t now = 0;
    for (const Op& op : schedule.programs[d]) {
      const auto length = static_cast<std::int64_t>(duration_ms(op) * 1e6);
      step[d].push_back({now, now + length});
      now += length;
    }
  }
  return step;
}

// Alone: I = 3, W = 1 (B = 4), F = 2, step 0.2, a stashing step `stashing_step_ms`; stage
// outputs of 1000 bytes, messages at 0.01 ms latency and 1 GB/s.
exec::ExecutionProfile alone(std::uint32_t stages, double stashing_step_ms = 0.0) {
  exec::ExecutionProfile profile;
  for (std::uint32_t s = 0; s < stages; ++s) {
    exec::StageProfile stage;
    stage.forward_ms = 2.0;
    stage.backward_input_ms = 3.0;
    stage.backward_weight_ms = 1.0;
    stage.backward_ms = 4.0;
    stage.optimizer_step_ms = 0.2;
    stage.stashing_step_ms = stashing_step_ms;
    stage.output_bytes = 1000;
    profile.stages.push_back(stage);
  }
  profile.transfer.latency_ms = 0.01;
  profile.transfer.ms_per_byte = 1e-6;  // 1000 bytes take 0.001 ms
  return profile;
}

// Stage s, micro-batch j: F takes 2 + j² + s, B 4 + 2j, I 1 + j, W 0.7, a step 0.5, a
// message 0.1.
double pipeline_duration(const Op& op) {
  const double j = op.microbatch;
  switch (op.kind) {
    case OpKind::Forward: return 2 + j * j + op.stage;
    case OpKind::Backward: return 4 + 2 * j;
    case OpKind::BackwardInput: return 1 + j;
    case OpKind::BackwardWeight: return 0.7;
    case OpKind::OptimizerStep: return 0.5;
    default: return 0.1;
  }
}

TEST(PipelineProfile, WholeBackwardsKeepTheRatioOfTheirPartsMeasuredAlone) {
  const Schedule schedule = exec::test::lowered("gpipe", exec::test::problem(2, 3));
  const exec::ExecutionProfile profile =
      profile_from_steps(alone(2), schedule, {step_of(schedule, pipeline_duration)});
  ASSERT_EQ(profile.stages.size(), 2u);
  // Micro-batches 0, 1, 2: F of stage 0 took 2, 3, 6 (mean 11/3, not the median 3), of
  // stage 1 3, 4, 7; B 4, 6, 8.
  EXPECT_NEAR(profile.stages[0].forward_ms, 11.0 / 3, 1e-9);
  EXPECT_NEAR(profile.stages[1].forward_ms, 14.0 / 3, 1e-9);
  EXPECT_NEAR(profile.stages[0].backward_ms, 6.0, 1e-9);
  // Alone, W was 1/4 of B: 1.5 of the 6, and I the rest.
  EXPECT_NEAR(profile.stages[0].backward_weight_ms, 1.5, 1e-9);
  EXPECT_NEAR(profile.stages[0].backward_input_ms, 4.5, 1e-9);
  EXPECT_NEAR(profile.stages[1].optimizer_step_ms, 0.5, 1e-9);
  // What the pipeline does not time is kept.
  EXPECT_EQ(profile.stages[1].output_bytes, 1000u);
  EXPECT_EQ(profile.transfer.ms_per_byte, 1e-6);
}

TEST(PipelineProfile, SplitBackwardsAreProfiledPartByPart) {
  const Schedule schedule = lower_communication(
      exec::test::with_deferred_weight_gradients(generate_schedule("1f1b", exec::test::problem(2, 3))));
  const exec::ExecutionProfile profile =
      profile_from_steps(alone(2), schedule, {step_of(schedule, pipeline_duration)});
  // I of micro-batches 0, 1, 2 took 1, 2, 3; W 0.7 each.
  EXPECT_NEAR(profile.stages[0].backward_input_ms, 2.0, 1e-9);
  EXPECT_NEAR(profile.stages[0].backward_weight_ms, 0.7, 1e-9);
  EXPECT_NEAR(profile.stages[0].backward_ms, 2.7, 1e-9);
}

// A step of `schedule` timed as pipeline_duration says, but its optimizer steps that keep
// the version they replace (exec/core weight lifetimes) take `stashing_ms`; stage 0's
// in-place steps run only when `stage_zero_steps_in_place`.
exec::StepIntervals stashing_steps_take(const Schedule& schedule, double stashing_ms,
                                        bool stage_zero_steps_in_place) {
  const auto lifetimes = exec::plan_weight_lifetimes(schedule);
  exec::StepIntervals step = step_of(schedule, pipeline_duration);
  for (std::size_t d = 0; d < step.size(); ++d) {
    for (std::size_t i = 0; i < step[d].size(); ++i) {
      const Op& op = schedule.programs[d][i];
      if (op.kind != OpKind::OptimizerStep) continue;
      if (lifetimes[d].keep_previous[i] != 0) {
        step[d][i].end_ns = step[d][i].start_ns + static_cast<std::int64_t>(stashing_ms * 1e6);
      } else if (op.stage == 0 && !stage_zero_steps_in_place) {
        step[d][i] = exec::OpInterval{};
      }
    }
  }
  return step;
}

TEST(PipelineProfile, AFlushedPipelinePricesTheStashingStepWithItsStepsSlowdown) {
  // GPipe steps in place: 0.5 in the pipeline against 0.2 alone, 2.5 times slower. The
  // stashing step, timed alone at 0.3, takes the same slowdown: 0.75.
  const Schedule schedule = exec::test::lowered("gpipe", exec::test::problem(2, 3));
  const exec::ExecutionProfile isolated = alone(2, 0.3);
  const exec::ExecutionProfile profile =
      profile_from_steps(isolated, schedule, {step_of(schedule, pipeline_duration)});
  EXPECT_NEAR(profile.stages[0].optimizer_step_ms, 0.5, 1e-9);
  EXPECT_NEAR(profile.stages[0].stashing_step_ms, 0.75, 1e-9);
}

TEST(PipelineProfile, PipeDreamsStashingStepsAreTimedApartFromItsInPlaceOnes) {
  // PipeDream p = 2, m = 4 (exec/core weight lifetimes): device 0's first three steps keep the
  // version they replace, its last steps in place; device 1 steps in place. Stashing steps
  // take 0.9 here, in-place ones 0.5.
  const Schedule schedule = exec::test::lowered("pipedream", exec::test::problem(2, 4));
  const exec::StepIntervals step = stashing_steps_take(schedule, 0.9, true);
  const exec::ExecutionProfile isolated = alone(2, 0.4);
  const exec::ExecutionProfile profile = profile_from_steps(isolated, schedule, {step});
  EXPECT_NEAR(profile.stages[0].optimizer_step_ms, 0.5, 1e-9);
  EXPECT_NEAR(profile.stages[0].stashing_step_ms, 0.9, 1e-9);
  // Stage 1 never stashed: its stashing step takes the slowdown of its steps, 0.5 / 0.2.
  EXPECT_NEAR(profile.stages[1].optimizer_step_ms, 0.5, 1e-9);
  EXPECT_NEAR(profile.stages[1].stashing_step_ms, 1.0, 1e-9);
}

TEST(PipelineProfile, AStageThatOnlyStashedPricesItsInPlaceStepWithTheStashingSlowdown) {
  // Every step a stashing one (0.9 against 0.4 alone): the in-place step, 0.2 alone, 0.45.
  const Schedule schedule = exec::test::lowered("pipedream", exec::test::problem(2, 4));
  const exec::StepIntervals step = stashing_steps_take(schedule, 0.9, false);
  const exec::ExecutionProfile isolated = alone(2, 0.4);
  const exec::ExecutionProfile profile = profile_from_steps(isolated, schedule, {step});
  EXPECT_NEAR(profile.stages[0].stashing_step_ms, 0.9, 1e-9);
  EXPECT_NEAR(profile.stages[0].optimizer_step_ms, 0.45, 1e-9);
}

TEST(PipelineProfile, TakesTheMedianStepAndSkipsOpsThatDidNotRun) {
  const Schedule schedule = exec::test::lowered("gpipe", exec::test::problem(2, 1));
  const exec::StepIntervals first = step_of(schedule, pipeline_duration);  // F of stage 0: 2
  const exec::StepIntervals disturbed =
      step_of(schedule, [](const Op& op) { return 10 * pipeline_duration(op); });
  exec::StepIntervals failed = disturbed;  // its stage-0 forward never ran
  failed[0][0] = exec::OpInterval{};
  const exec::StepIntervals third = step_of(schedule, [](const Op& op) { return 1.5 * pipeline_duration(op); });
  // Stage 0's F: 2, 20, (none), 3: the median of three steps, 3. Stage 1's: 3, 30, 30, 4.5:
  // the median of four, (4.5 + 30) / 2.
  const exec::ExecutionProfile profile =
      profile_from_steps(alone(2), schedule, {first, disturbed, failed, third});
  EXPECT_NEAR(profile.stages[0].forward_ms, 3.0, 1e-9);
  EXPECT_NEAR(profile.stages[1].forward_ms, 17.25, 1e-9);
}

// GPipe, p = 2, m = 1, lowered: device 0 runs F, SEND_F, RECV_B, B, STEP; device 1 RECV_F,
// F, B, SEND_B, STEP. Times in ms.
exec::StepIntervals handover_step(double gradient_receive_start) {
  const auto at = [](double start, double end) {
    return exec::OpInterval{static_cast<std::int64_t>(start * 1e6), static_cast<std::int64_t>(end * 1e6)};
  };
  return {{at(0, 2), at(2, 2.05), at(gradient_receive_start, 7.2), at(7.2, 11), at(11, 11.5)},
          {at(0, 2.1), at(2.1, 4), at(4, 7), at(7, 7.02), at(7.02, 7.5)}};
}

TEST(PipelineProfile, LatencyIsTheHandOverToAWaitingReceiver) {
  const Schedule schedule = exec::test::lowered("gpipe", exec::test::problem(2, 1));
  // The activation, sent at 2, reaches device 1, waiting since 0, at 2.1; the gradient, sent
  // at 7, reaches device 0, waiting since 2.05, at 7.2. Each 1000-byte message spends 0.001 ms
  // on the link: latencies 0.099 and 0.199, mean 0.149.
  const exec::ExecutionProfile both = profile_from_steps(alone(2), schedule, {handover_step(2.05)});
  EXPECT_NEAR(both.transfer.latency_ms, 0.149, 1e-9);
  EXPECT_EQ(both.transfer.ms_per_byte, 1e-6);
  // A receive that starts after its message was sent measures only part of the hand-over.
  const exec::ExecutionProfile one = profile_from_steps(alone(2), schedule, {handover_step(7.1)});
  EXPECT_NEAR(one.transfer.latency_ms, 0.099, 1e-9);
}

TEST(PipelineProfile, WithoutStepsTheProfileIsKept) {
  const Schedule schedule = exec::test::lowered("gpipe", exec::test::problem(2, 1));
  const exec::ExecutionProfile profile = profile_from_steps(alone(2), schedule, {});
  EXPECT_EQ(profile.stages[0].forward_ms, 2.0);
  EXPECT_EQ(profile.stages[1].backward_ms, 4.0);
  EXPECT_EQ(profile.transfer.latency_ms, 0.01);
}

TEST(PipelineProfile, RejectsAProfileOrStepOfAnotherShape) {
  const Schedule schedule = exec::test::lowered("gpipe", exec::test::problem(2, 1));
  EXPECT_THROW(profile_from_steps(alone(3), schedule, {}), Error);
  exec::StepIntervals step = step_of(schedule, pipeline_duration);
  step[1].pop_back();
  EXPECT_THROW(profile_from_steps(alone(2), schedule, {step}), Error);
}

}  // namespace
}  // namespace pipewise::tools
