// The words of `pipewise recommend` for configurations it did not simulate, and where each
// schedule runs outside pipewise.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/schedules/registry.hpp"
#include "tools/cli/recommend_explanation.hpp"
#include "tools/cli/recommend_report.hpp"
#include "tools/model/model_presets.hpp"

namespace pipewise::tools {
namespace {

constexpr double kGiB = 1024.0 * 1024 * 1024;

// A configuration left unsimulated because a peak already passed the cap is reported with
// that peak, not with its static bytes (which fit).
TEST(RecommendExplanation, UnsimulatedOverTheCapNamesThePeakThatShowedIt) {
  Candidate best;
  Candidate candidate;
  candidate.static_bytes = 16 * kGiB;
  candidate.over_cap_unsimulated = true;
  candidate.unsimulated_peak_bytes = 90 * kGiB;
  EXPECT_EQ(explain_versus_best(candidate, best, 80 * kGiB),
            "exceeds memory: its program's fullest device needs 90.0 GiB of 80.0 GiB (not simulated: "
            "it could be no answer)");
  candidate.peak_by_megatron_accounting = true;
  EXPECT_EQ(explain_versus_best(candidate, best, 80 * kGiB),
            "exceeds memory: Megatron-LM's accounting puts its first stage at 90.0 GiB of 80.0 GiB "
            "(not simulated: it could be no answer)");
  EXPECT_EQ(candidate.peak_bytes(), 90 * kGiB);
}

TEST(RecommendExplanation, StaticMemoryOverTheCapSaysSo) {
  Candidate best;
  Candidate candidate;
  candidate.static_bytes = 92 * kGiB;
  EXPECT_EQ(explain_versus_best(candidate, best, 80 * kGiB),
            "exceeds memory: weights, gradients and optimizer state alone need 92.0 GiB of 80.0 GiB");
}

// A slower configuration's reasons leave out a difference its printed figures would not show.
TEST(RecommendExplanation, ADifferenceThatPrintsEqualGoesUnsaid) {
  Candidate best;
  best.fits = true;
  best.metrics = PointMetrics{};
  best.metrics->makespan_ms = 100;
  best.metrics->mean_busy_ms = 65.9;
  best.metrics->bubble_ratio = 0.3410;
  Candidate candidate = best;
  candidate.metrics->makespan_ms = 105.7;
  candidate.metrics->mean_busy_ms = 65.9 * 1.058;
  candidate.metrics->bubble_ratio = 0.3408;  // smaller, but both print as 34.1%
  EXPECT_EQ(explain_versus_best(candidate, best, 80 * kGiB), "5.7% slower: more compute per device (+5.8%)");
  candidate.metrics->bubble_ratio = 0.30;
  EXPECT_EQ(explain_versus_best(candidate, best, 80 * kGiB),
            "5.7% slower: more compute per device (+5.8%), despite a smaller bubble (30.0% vs 34.1%)");
}

// An even split that p·v does not divide is warned about; splits uneven on purpose are not.
TEST(RuleOfThumbWarnings, UnevenStagesAreWarnedAboutOnlyWhereTheSplitIsMeantToBeEven) {
  const ModelDescription model = find_model_preset("llama3-405b")->model;  // 126 layers
  Candidate candidate;
  candidate.schedule = "interleaved";
  candidate.shape.devices = 16;
  candidate.shape.chunks = 4;
  candidate.microbatches = 64;
  const std::vector<std::string> warnings = rule_of_thumb_warnings(candidate, model);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0], "p·v = 64, which does not divide the 126 layers: stages are uneven and the "
                         "slowest one sets the pace");
  candidate.shape.split = LayerSplit::EmbeddingAndLossAsLayers;
  EXPECT_TRUE(rule_of_thumb_warnings(candidate, model).empty());
  candidate.schedule = "1f1b";
  candidate.shape.chunks = 1;
  candidate.shape.split = LayerSplit::Balanced;
  EXPECT_TRUE(rule_of_thumb_warnings(candidate, model).empty());
}

// recommend's answer says where its schedule runs: every schedule pipewise has.
TEST(ScheduleRuntime, EveryScheduleSaysWhereItRuns) {
  for (const ScheduleInfo& info : schedule_catalog()) {
    EXPECT_FALSE(schedule_runtime(info.name).empty()) << info.name;
  }
}

}  // namespace
}  // namespace pipewise::tools
