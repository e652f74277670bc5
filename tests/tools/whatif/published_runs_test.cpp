// pipewise against published Megatron-LM runs (tools/whatif/published_runs.hpp): the
// errors `pipewise published-runs` prints stay under the targets, so a change to
// the cost model that breaks the agreement with real large-model training fails here.
// The published findings on interleaving and scatter/gather are held to the directions
// pipewise reproduces (see the comment above those tests for what it does not).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <utility>

#include "tools/model/hardware.hpp"
#include "tools/whatif/published_runs.hpp"

namespace pipewise::tools {
namespace {

constexpr double kMemoryTarget = 0.03;
constexpr double kTimeTarget = 0.10;
constexpr double kFindingFactor = 1.5;

const HardwareSpec& a100() { return hardware_preset("a100-80gb"); }

std::string describe(const PublishedConfiguration& configuration) {
  return configuration.model + " t=" + std::to_string(configuration.tensor) +
         " p=" + std::to_string(configuration.pipeline) + " v=" + std::to_string(configuration.chunks) +
         " recompute=" + std::string(recompute_name(configuration.recompute)) +
         (configuration.sequence_parallel ? " +SP" : "");
}

TEST(PublishedRuns, MemoryOfEveryTable3ConfigurationIsWithinThreePercentOfMegatron) {
  std::size_t compared = 0;
  for (const MemoryComparison& row : memory_comparisons(a100())) {
    if (row.interleaved_run) continue;
    ++compared;
    const double error = row.pipewise_first_bytes / row.megatron_bytes - 1;
    EXPECT_LE(std::fabs(error), kMemoryTarget) << describe(row.configuration);
    // The fullest device is never emptier than the first.
    EXPECT_GE(row.pipewise_peak_bytes, row.pipewise_first_bytes) << describe(row.configuration);
  }
  // Four models × three recomputations × sequence parallelism on and off.
  EXPECT_EQ(compared, 24u);
}

TEST(PublishedRuns, CalibrationRowsAreOnePerPaper) {
  std::size_t korthikanti = 0;
  std::size_t narayanan = 0;
  for (const PublishedRun& run : published_runs()) {
    if (!run.calibration) continue;
    if (run.source.find("Korthikanti") != std::string::npos) ++korthikanti;
    if (run.source.find("Narayanan") != std::string::npos) ++narayanan;
  }
  EXPECT_LE(korthikanti, 1u);
  EXPECT_LE(narayanan, 1u);
}

TEST(PublishedRuns, ThePresetEfficiencyIsTheFittedOne) {
  // The a100-80gb preset carries the value `published-runs --calibrate` fits: refitting
  // after a cost-model change and forgetting the preset fails here.
  EXPECT_NEAR(calibrate_gemm_efficiency(), a100().gemm_efficiency, 0.005);
}

TEST(PublishedRuns, IterationTimesAndThroughputsAreWithinTenPercent) {
  for (const PublishedRun& run : published_runs()) {
    const double error = predicted_value(run, a100()) / run.published - 1;
    EXPECT_LE(std::fabs(error), kTimeTarget) << run.source;
  }
}

// GPT-3 175B on 96 GPUs (t = 8, p = 12, b = 1, full recomputation), Narayanan et al. SC'21
// Figures 12 and 18: step time of 1F1B (v = 1) or interleaved (v = 4).
double step_ms(std::uint32_t chunks, std::uint64_t batch, bool scatter_gather) {
  for (const PublishedFinding& finding : published_findings()) {
    for (const PublishedConfiguration* configuration : {&finding.faster, &finding.slower}) {
      if (configuration->chunks == chunks && configuration->global_batch == batch &&
          configuration->scatter_gather == scatter_gather) {
        return predicted_step_ms(*configuration, a100());
      }
    }
  }
  ADD_FAILURE() << "no Figure 12/18 configuration v=" << chunks << " B=" << batch;
  return 0;
}

// What pipewise reproduces of the published findings (README, `pipewise published-runs`):
// the directions below. Not reproduced, and reported as missed by the command: the size of
// the interleaved gain at batch 12 (about 50% predicted, "as much as 10%" published: the
// bubble arithmetic alone gives (m+p−1)/(m+(p−1)/v) − 1 = 56%), and 1F1B overtaking the
// interleaved schedule without scatter/gather at batch 60.
TEST(PublishedRuns, InterleavingGainsLessThanItsBubbleAndLessAsTheBatchGrows) {
  const double small = step_ms(1, 12, true) / step_ms(4, 12, true) - 1;
  const double large = step_ms(1, 60, true) / step_ms(4, 60, true) - 1;
  EXPECT_GT(small, 0);
  EXPECT_GT(large, 0);
  EXPECT_LT(large, small);  // "the gap closes as the batch grows"
  // Interleaving pays for its v-times more messages: less than the bubble alone would give.
  const double p = 12;
  const double v = 4;
  for (const auto& [m, gain] : {std::pair{12.0, small}, std::pair{60.0, large}}) {
    EXPECT_LT(gain, (m + p - 1) / (m + (p - 1) / v) - 1) << "m = " << m;
  }
}

TEST(PublishedRuns, ScatterGatherSpeedsTheInterleavedScheduleUp) {
  const double effect = step_ms(4, 60, false) / step_ms(4, 60, true) - 1;
  EXPECT_GT(effect, 0);
  EXPECT_LT(effect, 0.11 * kFindingFactor);  // "up to 11%"
  // Without it the interleaved schedule's advantage over 1F1B shrinks at large batch.
  EXPECT_LT(step_ms(1, 60, false) / step_ms(4, 60, false), step_ms(1, 60, true) / step_ms(4, 60, true));
}

}  // namespace
}  // namespace pipewise::tools
