// recommend skips configurations whose schedule-free lower bound is slower than every answer
// they could be, and those over the memory cap by Megatron-LM's accounting that cannot beat
// the best: on small spaces the answers are exactly those of simulating everything -
// the best configurations that fit, the best of each schedule and of each pipeline size,
// and the faster ones over the memory cap - and some configurations are indeed skipped.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "tools/model/model_presets.hpp"
#include "tools/whatif/recommend.hpp"

namespace pipewise::tools {
namespace {

// The configuration, without its outcome.
std::string configuration(const Candidate& candidate) {
  const PipelineShape& shape = candidate.shape;
  return candidate.schedule + " t=" + std::to_string(shape.tensor.size) + " p=" +
         std::to_string(shape.devices) + " v=" + std::to_string(shape.chunks) + " d=" +
         std::to_string(shape.replicas) + " b=" + std::to_string(shape.micro_batch_size) +
         " m=" + std::to_string(candidate.microbatches) + " recompute=" + recompute_label(shape) + " sp=" +
         std::to_string(shape.tensor.sequence_parallel) + " dist-opt=" +
         std::to_string(shape.distributed_optimizer) + " split=" +
         std::to_string(static_cast<int>(shape.split));
}

std::string describe(const Candidate& candidate) {
  return configuration(candidate) + " step=" + std::to_string(candidate.metrics->makespan_ms);
}

// What a user is shown: the `count` best that fit, the best per schedule and per p, and
// the fastest ones over the cap that beat the best.
std::vector<std::string> answers(const Recommendation& recommendation, std::size_t count) {
  std::vector<std::string> shown;
  std::map<std::string, const Candidate*> by_schedule;
  std::map<std::uint32_t, const Candidate*> by_stages;
  for (const Candidate& candidate : recommendation.candidates) {
    if (!candidate.is_answer()) continue;
    if (shown.size() < count) shown.push_back("top: " + describe(candidate));
    by_schedule.emplace(candidate.schedule, &candidate);
    by_stages.emplace(candidate.shape.devices, &candidate);
  }
  for (const auto& [schedule, best] : by_schedule) shown.push_back("schedule: " + describe(*best));
  for (const auto& [stages, best] : by_stages) shown.push_back("p: " + describe(*best));
  // The fastest over the cap (kOverCapAnswers of them), when they beat the best that fits.
  const double best = recommendation.fitting > 0 ? recommendation.candidates.front().metrics->makespan_ms
                                                 : std::numeric_limits<double>::infinity();
  std::size_t over_cap = 0;
  for (const Candidate& candidate : recommendation.candidates) {
    if (over_cap == kOverCapAnswers) break;
    if (!candidate.fits && candidate.metrics && candidate.metrics->makespan_ms < best) {
      shown.push_back("over the cap: " + describe(candidate));
      ++over_cap;
    }
  }
  return shown;
}

struct Space {
  const char* preset;
  std::uint32_t devices;
  std::vector<std::string> schedules;
  std::size_t count;
};

class RecommendPruning : public ::testing::TestWithParam<Space> {};

TEST_P(RecommendPruning, GivesTheAnswersOfExhaustiveSearch) {
  const Space& space = GetParam();
  ModelDescription model = find_model_preset(space.preset)->model;
  model.device.count = space.devices;
  RecommendOptions options;
  options.schedules = space.schedules;
  options.exact_answers = space.count;
  options.threads = 2;
  const Recommendation pruned = recommend(model, options);
  options.exhaustive = true;
  const Recommendation exhaustive = recommend(model, options);
  EXPECT_EQ(exhaustive.skipped, 0u);
  EXPECT_GT(pruned.skipped, 0u) << "nothing skipped: the space does not test the pruning";
  EXPECT_EQ(pruned.candidates.size(), exhaustive.candidates.size());
  EXPECT_EQ(answers(pruned, space.count), answers(exhaustive, space.count));
  EXPECT_EQ(exhaustive.over_cap_unsimulated, 0u);
  // A skipped candidate's bound is slower than the answers; its true step is no faster. One
  // left unsimulated over the cap is over it when simulated (by the simulator's peak or by
  // Megatron-LM's accounting), and its bound is no faster than the best that fits or slower
  // than the fastest ones over the cap.
  const double best = pruned.candidates.front().metrics->makespan_ms;
  std::vector<double> over_cap_steps;
  for (const Candidate& candidate : pruned.candidates) {
    if (!candidate.fits && candidate.metrics) over_cap_steps.push_back(candidate.metrics->makespan_ms);
  }
  std::sort(over_cap_steps.begin(), over_cap_steps.end());
  const double slowest_shown = over_cap_steps.size() >= kOverCapAnswers
                                   ? over_cap_steps[kOverCapAnswers - 1]
                                   : std::numeric_limits<double>::infinity();
  const double cap = model.device.hardware.memory_bytes;
  std::map<std::string, const Candidate*> simulated;
  for (const Candidate& candidate : exhaustive.candidates) simulated[configuration(candidate)] = &candidate;
  for (const Candidate& candidate : pruned.candidates) {
    if (candidate.skipped) {
      EXPECT_FALSE(candidate.metrics.has_value());
      EXPECT_GT(candidate.lower_bound_ms, best);
    }
    if (candidate.over_cap_unsimulated) {
      EXPECT_FALSE(candidate.metrics.has_value());
      EXPECT_FALSE(candidate.fits);
      EXPECT_TRUE(candidate.lower_bound_ms >= best || candidate.lower_bound_ms > slowest_shown)
          << configuration(candidate);
      const Candidate& run = *simulated.at(configuration(candidate));
      ASSERT_TRUE(run.metrics.has_value()) << configuration(candidate);
      EXPECT_FALSE(run.fits) << configuration(candidate);
      EXPECT_TRUE(run.metrics->peak_bytes > cap || run.megatron_bytes > cap) << configuration(candidate);
      // The peak it is reported with is the one that showed it over the cap: Megatron-LM's
      // accounting, or its program's fullest device, which the simulation reports too.
      EXPECT_GT(candidate.unsimulated_peak_bytes, cap) << configuration(candidate);
      EXPECT_EQ(candidate.peak_bytes(), candidate.unsimulated_peak_bytes);
      if (candidate.peak_by_megatron_accounting) {
        EXPECT_EQ(candidate.unsimulated_peak_bytes, run.megatron_bytes) << configuration(candidate);
      } else {
        EXPECT_NEAR(candidate.unsimulated_peak_bytes, run.metrics->peak_bytes, 1e-9 * cap)
            << configuration(candidate);
      }
    }
  }
}

// GPT-3 175B on 64 GPUs: many configurations are over the cap by Megatron-LM's accounting
// alone, and those that cannot beat the best are not simulated.
TEST(RecommendPruning, LeavesConfigurationsOverTheCapUnsimulated) {
  ModelDescription model = find_model_preset("gpt3-175b")->model;
  model.device.count = 64;
  RecommendOptions options;
  options.schedules = {"1f1b", "interleaved"};
  options.threads = 2;
  const Recommendation pruned = recommend(model, options);
  EXPECT_GT(pruned.over_cap_unsimulated, 0u);
  std::size_t counted = 0;
  for (const Candidate& candidate : pruned.candidates) counted += candidate.over_cap_unsimulated ? 1 : 0;
  EXPECT_EQ(counted, pruned.over_cap_unsimulated);
}

INSTANTIATE_TEST_SUITE_P(
    SmallSpaces, RecommendPruning,
    ::testing::Values(Space{"bert-large", 16, {"gpipe", "1f1b", "interleaved"}, 3},
                      Space{"bert-large", 32, {"1f1b", "zb-h1", "zbv", "dualpipe"}, 1},
                      Space{"llama3-8b", 16, {"1f1b", "interleaved", "zb-h1"}, 5},
                      Space{"gpt3-175b", 64, {"1f1b", "interleaved"}, 3}),
    [](const ::testing::TestParamInfo<Space>& space) {
      const char first = space.param.preset[0];
      return std::string(first == 'b' ? "Bert" : first == 'l' ? "Llama" : "Gpt") +
             std::to_string(space.param.devices) + "Devices" + std::to_string(space.index);
    });

}  // namespace
}  // namespace pipewise::tools
