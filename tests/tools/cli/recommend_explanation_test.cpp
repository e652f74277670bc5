// The words of `pipewise recommend` for configurations it did not simulate, and where each
// schedule runs outside pipewise.
#include <gtest/gtest.h>

#include <string>

#include "common/schedules/registry.hpp"
#include "tools/cli/recommend_explanation.hpp"
#include "tools/cli/recommend_report.hpp"

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

// recommend's answer says where its schedule runs: every schedule pipewise has.
TEST(ScheduleRuntime, EveryScheduleSaysWhereItRuns) {
  for (const ScheduleInfo& info : schedule_catalog()) {
    EXPECT_FALSE(schedule_runtime(info.name).empty()) << info.name;
  }
}

}  // namespace
}  // namespace pipewise::tools
