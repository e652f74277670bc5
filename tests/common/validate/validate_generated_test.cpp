// Every generator's schedules, as generated and lowered, pass validation over a grid of
// problems: p = 1..16, m in {1..8, 16, 31, 64}, v = 1..4 where the schedule has chunks
// (both placements for v = 2), n = 1 and 3. Points a generator rejects (generate_schedule
// throws) are skipped.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/ir/error.hpp"
#include "common/ir/lower.hpp"
#include "common/schedules/registry.hpp"
#include "common/validate/validate.hpp"

namespace pipewise {
namespace {

std::string first_issue(const ValidationReport& report) {
  return report.ok() ? "" : format_issue(report.issues.front());
}

TEST(ValidateGenerated, EveryGeneratorsSchedulesValidateLoweredOrNot) {
  const std::vector<std::uint32_t> microbatch_counts = {1, 2, 3, 4, 5, 6, 7, 8, 16, 31, 64};
  for (const ScheduleInfo& info : schedule_catalog()) {
    std::uint64_t validated = 0;
    const std::uint32_t max_chunks = info.uses_chunks ? 4 : 1;
    for (std::uint32_t p = 1; p <= 16; ++p) {
      for (const std::uint32_t m : microbatch_counts) {
        for (std::uint32_t v = 1; v <= max_chunks; ++v) {
          for (const std::uint32_t n : {1u, 3u}) {
            for (const Placement placement :
                 {Placement::Looped, Placement::VShape, Placement::Bidirectional}) {
              if (placement != Placement::Looped && v != 2) continue;
              const Problem problem{p, v, m, n, placement};
              Schedule schedule;
              try {
                schedule = generate_schedule(info.name, problem);
              } catch (const Error&) {
                continue;  // the generator does not define this point
              }
              const std::string where = info.name + " p=" + std::to_string(p) +
                                        " v=" + std::to_string(v) + " m=" + std::to_string(m) +
                                        " n=" + std::to_string(n) + " " +
                                        std::string(placement_name(placement));
              EXPECT_EQ(first_issue(validate_schedule(schedule)), "") << where;
              EXPECT_EQ(first_issue(validate_schedule(lower_communication(schedule))), "")
                  << where << " lowered";
              ++validated;
            }
          }
        }
      }
    }
    // Every generator accepts some point of the grid: none passes by being skipped.
    EXPECT_GT(validated, 0u) << info.name;
  }
}

}  // namespace
}  // namespace pipewise
