// Measured cost files: what `pipewise profile` writes from a profile (stage costs as they ran,
// each stage's time shared among its layers as timed alone), and how `run --costs` costs the split it
// profiled, another split of the same model, or refuses another model.
#include <gtest/gtest.h>

#include <string>

#include "common/ir/error.hpp"
#include "sim/cost_file.hpp"
#include "tools/compare/measured_costs.hpp"
#include "../../exec/exec_test_support.hpp"
#include "tests/tools/compare/stage_profiles.hpp"

namespace pipewise::tools {
namespace {

using testing::timed_stage;

class MeasuredCosts : public ::testing::Test {
 protected:
  // exec::test::small_mlp: 8 layers, split by layers into 2 stages of 4 (the profile) or 4
  // stages of 2 (a run at v = 2).
  MeasuredCosts()
      : profiled_(exec::test::small_mlp(), 2, exec::PartitionRule::ByLayers) {
    // Inside the pipeline: F 12 and 6 ms, B 24 and 12 (W 8 and 4), optimizer 0.8 and 0.4.
    in_pipeline_.stages = {timed_stage(12, 8, 24, 0.8), timed_stage(6, 4, 12, 0.4)};
    in_pipeline_.transfer.latency_ms = 0.05;
    in_pipeline_.transfer.ms_per_byte = 1e-7;
    // Alone, each layer: F 1.5 (12 in all: the pipeline's 18 is 1.5x), B 3 with W 1 (W in
    // all 8, the pipeline's 12 is 1.5x; I 16 against 24), optimizer 0.1 (0.8 against 1.2).
    for (std::uint32_t l = 0; l < 8; ++l) layers_alone_.stages.push_back(timed_stage(1.5, 1, 3, 0.1));
    setting_.backend = "cpu";
    setting_.schedule = "1f1b";
    setting_.microbatch_size = 8;
    setting_.optimizer = "sgd";
  }

  sim::CostConfig written() const {
    const sim::CostFileContents contents = measured_cost_file(
        in_pipeline_, layers_alone_, profiled_, exec::test::problem(2, 8), setting_);
    return sim::parse_cost_config(sim::cost_file_text(contents));
  }

  exec::MlpModel profiled_;
  exec::ExecutionProfile in_pipeline_;
  exec::ExecutionProfile layers_alone_;
  ProfileSetting setting_;
};

TEST_F(MeasuredCosts, WritesTheStagesAsTheyRanAndTheLayersScaledByContention) {
  const sim::CostConfig file = written();
  ASSERT_EQ(file.stages.size(), 2u);
  EXPECT_DOUBLE_EQ(*file.stages[0].costs.forward, 12.0);
  EXPECT_DOUBLE_EQ(*file.stages[0].costs.backward_weight, 8.0);
  EXPECT_DOUBLE_EQ(*file.stages[0].costs.backward_input, 16.0);
  ASSERT_TRUE(file.profile.has_value());
  EXPECT_EQ(file.profile->model_stages, 2u);
  EXPECT_DOUBLE_EQ(file.profile->contention.forward, 1.5);
  EXPECT_DOUBLE_EQ(file.profile->contention.backward_weight, 1.5);
  EXPECT_DOUBLE_EQ(file.profile->contention.backward_input, 1.5);
  EXPECT_NEAR(file.profile->contention.optimizer_step, 1.2 / 0.8, 1e-12);
  // Stage 0's layers share its F of 12 ms, stage 1's its 6 ms (equal layers alone: equally).
  ASSERT_EQ(file.profile->layers.size(), 8u);
  EXPECT_DOUBLE_EQ(file.profile->layers[3].forward, 3.0);
  EXPECT_DOUBLE_EQ(file.profile->layers[3].backward_input, 4.0);
  EXPECT_DOUBLE_EQ(file.profile->layers[4].forward, 1.5);
  EXPECT_DOUBLE_EQ(file.profile->layers[4].backward_weight, 1.0);
}

TEST_F(MeasuredCosts, TheProfiledSplitKeepsItsMeasuredStages) {
  const sim::CostConfig file = written();
  const sim::CostConfig run =
      costs_for_run(file, "costs.json", profiled_, exec::test::problem(2, 16), 8, "sgd");
  ASSERT_EQ(run.stages.size(), 2u);
  EXPECT_DOUBLE_EQ(*run.stages[1].costs.forward, 6.0);
}

// At v = 2 the model is split into 4 stages of 2 layers: each costs its layers' sum, half
// of the profiled stage it lies in.
TEST_F(MeasuredCosts, AnotherSplitCostsEachStageAsTheSumOfItsLayers) {
  const sim::CostConfig file = written();
  const exec::MlpModel interleaved(exec::test::small_mlp(), 4, exec::PartitionRule::ByLayers);
  const Problem problem = exec::test::problem(2, 8, 1, 2);
  const sim::CostConfig run = costs_for_run(file, "costs.json", interleaved, problem, 8, "sgd");
  ASSERT_EQ(run.stages.size(), 4u);
  for (std::uint32_t s = 0; s < 4; ++s) {
    const double half = s < 2 ? 1.0 : 0.5;  // of profiled stage 0 (F 12, I 16, W 8), or 1
    EXPECT_DOUBLE_EQ(*run.stages[s].costs.forward, 6.0 * half) << s;
    EXPECT_DOUBLE_EQ(*run.stages[s].costs.backward_input, 8.0 * half) << s;
    EXPECT_DOUBLE_EQ(*run.stages[s].costs.backward_weight, 4.0 * half) << s;
  }
  EXPECT_NO_THROW(sim::resolve_costs(run, problem));
  // Every boundary crosses devices at v = 2 (stage s on device s mod 2): 24, 32 and 24
  // floats of 8 samples.
  EXPECT_DOUBLE_EQ(run.communication.activation_bytes, (24.0 + 32.0 + 24.0) / 3 * 8 * 4);
}

// The stashing step: stage 0's 2.0 ms (2.5x its 0.8 ms step), stage 1's 0.6 (1.5x its 0.4).
// Each layer's is its step share times its stage's ratio, and another split sums them.
TEST_F(MeasuredCosts, TheStashingStepKeepsEachProfiledStagesRatioToItsStep) {
  in_pipeline_.stages[0].stashing_step_ms = 2.0;
  in_pipeline_.stages[1].stashing_step_ms = 0.6;
  const sim::CostConfig file = written();
  EXPECT_DOUBLE_EQ(*file.stages[0].costs.stashing_step, 2.0);
  EXPECT_DOUBLE_EQ(*file.stages[1].costs.stashing_step, 0.6);
  ASSERT_EQ(file.profile->layers.size(), 8u);
  EXPECT_DOUBLE_EQ(file.profile->layers[0].optimizer_step, 0.2);
  EXPECT_DOUBLE_EQ(file.profile->layers[0].stashing_step_time(), 0.5);
  EXPECT_DOUBLE_EQ(file.profile->layers[7].stashing_step_time(), 0.15);
  const exec::MlpModel interleaved(exec::test::small_mlp(), 4, exec::PartitionRule::ByLayers);
  const sim::CostConfig run =
      costs_for_run(file, "costs.json", interleaved, exec::test::problem(2, 8, 1, 2), 8, "sgd");
  EXPECT_DOUBLE_EQ(*run.stages[0].costs.stashing_step, 1.0);
  EXPECT_DOUBLE_EQ(*run.stages[3].costs.stashing_step, 0.3);
}

TEST_F(MeasuredCosts, WithoutAStashingStepNoneIsWritten) {
  const sim::CostConfig file = written();
  EXPECT_FALSE(file.stages[0].costs.stashing_step.has_value());
  EXPECT_FALSE(file.profile->layers[0].stashing_step.has_value());
  EXPECT_DOUBLE_EQ(file.profile->layers[0].stashing_step_time(), 0.2);
}

TEST_F(MeasuredCosts, RefusesAnotherModelMicroBatchOrOptimizer) {
  const sim::CostConfig file = written();
  exec::MlpConfig other = exec::test::small_mlp();
  other.widths.back() = 6;
  const exec::MlpModel other_model(other, 2, exec::PartitionRule::ByLayers);
  const Problem problem = exec::test::problem(2, 8);
  try {
    costs_for_run(file, "costs.json", other_model, problem, 8, "sgd");
    FAIL() << "another model was accepted";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()),
              "costs.json profiled the model 12,24,24,32,32,24,24,16,5; this run trains "
              "12,24,24,32,32,24,24,16,6");
  }
  EXPECT_THROW(costs_for_run(file, "costs.json", profiled_, problem, 16, "sgd"), Error);
  EXPECT_THROW(costs_for_run(file, "costs.json", profiled_, problem, 8, "adam"), Error);
}

TEST_F(MeasuredCosts, AnUnmeasuredFileMustCostEveryStage) {
  const sim::CostConfig partial = sim::parse_cost_config(R"({"stages": [{"stage": 0, "forward": 1}]})");
  try {
    costs_for_run(partial, "partial.json", profiled_, exec::test::problem(2, 8), 8, "sgd");
    FAIL() << "a file without stage 1 was accepted";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()),
              "partial.json gives no forward time for model stage 1 of the 2 this run splits the "
              "model into");
  }
}

}  // namespace
}  // namespace pipewise::tools
