// `recommend --costs`: every configuration is predicted exactly as `run --costs` predicts it
// (same costs, same memory shares, same simulator, so the same numbers), ranked under the
// memory cap, and those that cannot be run or predicted say why.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "common/ir/error.hpp"
#include "common/ir/lower.hpp"
#include "common/schedules/registry.hpp"
#include "sim/cost_file.hpp"
#include "tools/compare/cost_from_profile.hpp"
#include "tools/compare/measured_costs.hpp"
#include "tools/compare/predicted_run.hpp"
#include "tools/compare/profiled_recommend.hpp"
#include "../../exec/exec_test_support.hpp"
#include "tests/tools/compare/stage_profiles.hpp"

namespace pipewise::tools {
namespace {

using testing::timed_stage;

// A profile of exec::test::small_mlp (8 layers) at p = 2, m = 8: stage 0 twice as slow as
// stage 1, each layer timed alone, micro-batches of 4 samples, Adam.
sim::CostConfig measured_file(bool with_allreduce) {
  const exec::MlpModel model(exec::test::small_mlp(), 2);
  exec::ExecutionProfile in_pipeline;
  in_pipeline.stages = {timed_stage(12, 8, 24, 0.8), timed_stage(6, 4, 12, 0.4)};
  in_pipeline.transfer.latency_ms = 0.05;
  in_pipeline.transfer.ms_per_byte = 1e-7;
  if (with_allreduce) {
    in_pipeline.data_parallel.replicas = 2;
    in_pipeline.data_parallel.latency_ms = 0.2;
    in_pipeline.data_parallel.ms_per_byte = 1e-6;
  }
  exec::ExecutionProfile alone;
  for (std::uint32_t l = 0; l < 8; ++l) alone.stages.push_back(timed_stage(1.0 + l % 3, 1, 3, 0.1));
  ProfileSetting setting;
  setting.backend = "cpu";
  setting.schedule = "1f1b";
  setting.microbatch_size = 4;
  setting.optimizer = "adam";
  return sim::parse_cost_config(
      sim::cost_file_text(measured_cost_file(in_pipeline, alone, model, exec::test::problem(2, 8), setting)));
}

// What `run --costs` predicts for `schedule` at p, v, m in one process (run_command.cpp's
// predict with a cost file).
PredictedRun run_prediction(const sim::CostConfig& file, const std::string& schedule, std::uint32_t p,
                            std::uint32_t v, std::uint32_t m) {
  Problem problem = exec::test::problem(p, m, 1, v);
  problem.placement = find_schedule(schedule).placement;
  const exec::MlpModel model(exec::test::small_mlp(), problem.model_stages());
  std::vector<sim::MemoryConfig> memory;
  for (std::uint32_t d = 0; d < p; ++d) {
    memory.push_back(device_memory_config(model, problem, d, 4, exec::OptimizerConfig::adam(0.001f)));
  }
  const sim::CostConfig costs = costs_for_run(file, "costs.json", model, problem, 4, "adam");
  return predict_run(lower_communication(generate_schedule(schedule, problem)), costs, memory);
}

const ProfiledCandidate& find(const ProfiledRecommendation& recommendation, const std::string& schedule,
                              std::uint32_t p, std::uint32_t v) {
  const auto found = std::find_if(recommendation.candidates.begin(), recommendation.candidates.end(),
                                  [&](const ProfiledCandidate& c) {
                                    return c.schedule == schedule && c.stages == p && c.chunks == v;
                                  });
  if (found == recommendation.candidates.end()) throw Error(schedule + " was not searched");
  return *found;
}

TEST(ProfiledRecommend, PredictsEachConfigurationAsRunCostsDoes) {
  const sim::CostConfig file = measured_file(false);
  ProfiledSearch search;
  search.devices = 4;
  search.global_batch = 32;  // m = 8 at d = 1
  search.schedules = {"gpipe", "1f1b", "interleaved", "zb-h1", "zbv", "dualpipe"};
  const ProfiledRecommendation recommendation = recommend_from_profile(file, "costs.json", search);
  for (const auto& [schedule, v] : std::vector<std::pair<std::string, std::uint32_t>>{
           {"gpipe", 1}, {"1f1b", 1}, {"interleaved", 2}, {"zb-h1", 1}, {"zbv", 2}, {"dualpipe", 2}}) {
    const ProfiledCandidate& candidate = find(recommendation, schedule, 4, v);
    ASSERT_TRUE(candidate.validity.ok()) << schedule << ": " << candidate.validity.reason();
    EXPECT_EQ(candidate.replicas, 1u);
    EXPECT_EQ(candidate.microbatches, 8u);
    const PredictedRun expected = run_prediction(file, schedule, 4, v, 8);
    EXPECT_DOUBLE_EQ(candidate.step_ms, expected.metrics.makespan_ms) << schedule;
    EXPECT_DOUBLE_EQ(candidate.bubble_ratio, *expected.metrics.bubble_ratio) << schedule;
    std::uint64_t peak = 0;
    for (const sim::DeviceStats& device : expected.result.devices) peak = std::max(peak, device.peak_bytes);
    EXPECT_EQ(candidate.peak_bytes, peak) << schedule;
    EXPECT_EQ(expected.result.devices[candidate.peak_device].peak_bytes, peak) << schedule;
  }
}

TEST(ProfiledRecommend, RanksWhatFitsByStepTimeThenWhatExceedsTheCapThenTheInvalid) {
  const sim::CostConfig file = measured_file(false);
  ProfiledSearch search;
  search.devices = 4;
  search.global_batch = 32;
  search.schedules = {"gpipe", "1f1b", "interleaved", "dualpipe"};
  const ProfiledRecommendation free = recommend_from_profile(file, "costs.json", search);
  ASSERT_GT(free.fitting, 2u);
  // A cap between the smallest and the largest peak: some fit, some do not.
  std::uint64_t smallest = UINT64_MAX;
  std::uint64_t largest = 0;
  for (std::size_t i = 0; i < free.fitting; ++i) {
    smallest = std::min(smallest, free.candidates[i].peak_bytes);
    largest = std::max(largest, free.candidates[i].peak_bytes);
  }
  ASSERT_LT(smallest, largest);
  search.memory_cap_bytes = static_cast<double>(smallest + largest) / 2;
  const ProfiledRecommendation capped = recommend_from_profile(file, "costs.json", search);
  ASSERT_GT(capped.fitting, 0u);
  ASSERT_GT(capped.exceeding, 0u);
  EXPECT_EQ(capped.fitting + capped.exceeding, free.fitting);
  for (std::size_t i = 0; i < capped.candidates.size(); ++i) {
    const ProfiledCandidate& c = capped.candidates[i];
    const bool in_fitting = i < capped.fitting;
    const bool in_exceeding = !in_fitting && i < capped.fitting + capped.exceeding;
    EXPECT_EQ(c.validity.ok(), in_fitting || in_exceeding) << i;
    if (in_fitting) {
      EXPECT_LE(static_cast<double>(c.peak_bytes), *search.memory_cap_bytes);
    }
    if (in_exceeding) {
      EXPECT_GT(static_cast<double>(c.peak_bytes), *search.memory_cap_bytes);
    }
    const bool same_group_as_next =
        i + 1 < capped.fitting || (i >= capped.fitting && i + 1 < capped.fitting + capped.exceeding);
    if (same_group_as_next) {
      EXPECT_LE(c.step_ms, capped.candidates[i + 1].step_ms) << i;
    }
  }
}

TEST(ProfiledRecommend, DataParallelismNeedsAMeasuredAllReduce) {
  ProfiledSearch search;
  search.devices = 4;
  search.global_batch = 32;
  search.schedules = {"1f1b"};
  const ProfiledRecommendation alone = recommend_from_profile(measured_file(false), "costs.json", search);
  const ProfiledCandidate& p2 = find(alone, "1f1b", 2, 1);
  EXPECT_EQ(p2.replicas, 2u);
  EXPECT_FALSE(p2.validity.ok());
  EXPECT_NE(p2.validity.reason().find("all-reduce"), std::string::npos) << p2.validity.reason();

  const sim::CostConfig file = measured_file(true);
  const ProfiledRecommendation replicated = recommend_from_profile(file, "costs.json", search);
  const ProfiledCandidate& p2d2 = find(replicated, "1f1b", 2, 1);
  ASSERT_TRUE(p2d2.validity.ok()) << p2d2.validity.reason();
  EXPECT_EQ(p2d2.microbatches, 4u);  // 32 samples / (4 per micro-batch x 2 replicas)
  // The all-reduce costs time: the same p = 2, m = 4 pipeline predicted without it is faster.
  const PredictedRun without = run_prediction(measured_file(false), "1f1b", 2, 1, 4);
  EXPECT_GT(p2d2.step_ms, without.metrics.makespan_ms);
}

TEST(ProfiledRecommend, SaysWhyAConfigurationCannotBeRun) {
  ProfiledSearch search;
  search.devices = 16;
  search.global_batch = 8;  // 2 micro-batches of 4 at d = 1; not whole at d = 16
  search.schedules = {"1f1b"};
  const ProfiledRecommendation recommendation =
      recommend_from_profile(measured_file(true), "costs.json", search);
  EXPECT_NE(find(recommendation, "1f1b", 1, 1).validity.reason().find("global batch 8"), std::string::npos);
  EXPECT_NE(find(recommendation, "1f1b", 16, 1).validity.reason().find("8 layers cannot make 16 stages"),
            std::string::npos)
      << find(recommendation, "1f1b", 16, 1).validity.reason();
  EXPECT_EQ(recommendation.fitting, 1u);  // p = 8, d = 2: m = 1
}

// A search that would take minutes is refused before anything is generated: 2^25 micro-batches
// of 1F1B alone hold over 2^26 ops.
TEST(ProfiledRecommend, RefusesASearchTooLargeToRunInSeconds) {
  ProfiledSearch search;
  search.devices = 1;
  search.global_batch = std::uint64_t{4} << 25;
  search.schedules = {"1f1b"};
  try {
    recommend_from_profile(measured_file(false), "costs.json", search);
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("narrow it"), std::string::npos) << error.what();
  }
  search.global_batch = std::uint64_t{4} << 16;  // 2^16 micro-batches: answered
  EXPECT_EQ(recommend_from_profile(measured_file(false), "costs.json", search).fitting, 1u);
}

// The CUDA backend runs one model copy: a GPU profile never recommends DualPipe.
TEST(ProfiledRecommend, AGpuProfileLeavesOutWhatTheCudaBackendCannotRun) {
  sim::CostConfig file = measured_file(false);
  file.profile->backend = "cuda";
  ProfiledSearch search;
  search.devices = 4;
  search.global_batch = 32;
  search.schedules = {"dualpipe", "1f1b"};
  const ProfiledRecommendation recommendation = recommend_from_profile(file, "costs.json", search);
  const ProfiledCandidate& dualpipe = find(recommendation, "dualpipe", 4, 2);
  EXPECT_FALSE(dualpipe.validity.ok());
  EXPECT_NE(dualpipe.validity.reason().find("--backend cpu"), std::string::npos) << dualpipe.validity.reason();
  EXPECT_TRUE(find(recommendation, "1f1b", 4, 1).validity.ok());
}

TEST(ProfiledRecommend, RefusesAFileThatDescribesNoModel) {
  sim::CostConfig file = measured_file(false);
  file.profile.reset();
  ProfiledSearch search;
  search.devices = 2;
  search.global_batch = 8;
  try {
    recommend_from_profile(file, "plain.json", search);
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("plain.json has no \"profile\" section"), std::string::npos)
        << error.what();
  }
}

TEST(ProfiledRecommend, TheRunCommandReproducesTheConfiguration) {
  const sim::CostConfig file = measured_file(false);
  ProfiledCandidate candidate;
  candidate.schedule = "interleaved";
  candidate.stages = 2;
  candidate.chunks = 2;
  candidate.microbatches = 8;
  EXPECT_EQ(run_command_line(candidate, *file.profile, "my costs.json"),
            "pipewise run --backend cpu -s interleaved -p 2 -v 2 -m 8 --model 12,24,24,32,32,24,24,16,5 "
            "--microbatch-size 4 --optimizer adam --costs 'my costs.json'");
  candidate.replicas = 2;
  candidate.chunks = 1;
  candidate.schedule = "1f1b";
  EXPECT_EQ(run_command_line(candidate, *file.profile, "it's.json"),
            "mpirun -np 4 pipewise run --backend cpu -s 1f1b -p 2 -m 8 --model 12,24,24,32,32,24,24,16,5 "
            "--microbatch-size 4 --optimizer adam --costs 'it'\\''s.json'");
  // Control characters never reach the terminal raw: bash's $'...' with \xHH.
  const std::string escaped = run_command_line(candidate, *file.profile, "x\x1b[2J'\\.json");
  EXPECT_TRUE(escaped.ends_with(" --costs $'x\\x1b[2J\\'\\\\.json'")) << escaped;
}

}  // namespace
}  // namespace pipewise::tools
