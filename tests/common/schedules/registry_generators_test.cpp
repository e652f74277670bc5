// The schedule catalog, name lookup, and the one-line errors for parameters a generator
// does not accept.
#include <gtest/gtest.h>

#include <set>

#include "common/ir/error.hpp"
#include "common/schedules/registry.hpp"

namespace pipewise {
namespace {

Problem make_problem(std::uint32_t p, std::uint32_t m, std::uint32_t v = 1) {
  Problem problem;
  problem.devices = p;
  problem.microbatches = m;
  problem.chunks = v;
  return problem;
}

// The message of the pipewise::Error that generate_schedule throws, or "" if none.
std::string generation_error(std::string_view name, const Problem& problem) {
  try {
    generate_schedule(name, problem);
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

TEST(ScheduleCatalog, ListsEveryGeneratorInHelpOrder) {
  std::vector<std::string> names;
  for (const auto& info : schedule_catalog()) names.push_back(info.name);
  EXPECT_EQ(names, (std::vector<std::string>{"naive", "gpipe", "1f1b", "interleaved", "pipedream",
                                             "pipedream-2bw", "zb-h1", "zb-h2", "interleaved-zb",
                                             "looped-bfs", "zbv", "v-half", "v-min", "dualpipe",
                                             "dualpipe-v"}));
}

TEST(ScheduleCatalog, OnlyPipedreamsAreAsynchronous) {
  for (const auto& info : schedule_catalog()) {
    EXPECT_EQ(info.asynchronous, info.name == "pipedream" || info.name == "pipedream-2bw")
        << info.name;
  }
}

TEST(ScheduleCatalog, SchedulesOffLoopedPlacementNeedTwoChunksAndSayWhichPlacement) {
  for (const auto& info : schedule_catalog()) {
    if (info.placement == Placement::Looped) {
      EXPECT_EQ(info.fixed_chunks, 0u) << info.name;
    } else {
      EXPECT_EQ(info.fixed_chunks, 2u) << info.name;
      EXPECT_TRUE(info.uses_chunks) << info.name;
    }
  }
  EXPECT_EQ(find_schedule("dualpipe").placement, Placement::Bidirectional);
  EXPECT_EQ(find_schedule("zbv").placement, Placement::VShape);
  EXPECT_TRUE(find_schedule("dualpipe-v").overlaps);
}

TEST(MaxOpCount, SplitBackwardSchedulesCountThreeOpsPerSlot) {
  const Problem problem = make_problem(4, 8);
  // 4 stages × 8 micro-batches: F, I and W each, plus a step per stage.
  EXPECT_EQ(max_op_count(find_schedule("zb-h1"), problem), 3u * 32 + 4);
  EXPECT_EQ(max_op_count(find_schedule("1f1b"), problem), 2u * 32 + 4);
  EXPECT_EQ(generate_schedule("zb-h1", problem).op_count(), 3u * 32 + 4);
}

TEST(ScheduleCatalog, SummariesAreSingleNonEmptyLines) {
  for (const auto& info : schedule_catalog()) {
    EXPECT_FALSE(info.summary.empty()) << info.name;
    EXPECT_EQ(info.summary.find('\n'), std::string::npos) << info.name;
  }
}

TEST(ScheduleCatalog, NamesAndAliasesAreUniqueAndResolveToTheirEntry) {
  std::set<std::string> seen;
  for (const auto& info : schedule_catalog()) {
    EXPECT_TRUE(seen.insert(info.name).second) << info.name;
    EXPECT_EQ(find_schedule(info.name).name, info.name);
    for (const auto& alias : info.aliases) {
      EXPECT_TRUE(seen.insert(alias).second) << alias;
      EXPECT_EQ(find_schedule(alias).name, info.name);
    }
  }
}

TEST(FindSchedule, PipedreamFlushIsAnAliasOf1f1b) {
  EXPECT_EQ(find_schedule("pipedream-flush").name, "1f1b");
}

TEST(FindSchedule, UnknownNameListsTheKnownOnes) {
  try {
    find_schedule("zb-h3");
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_STREQ(error.what(),
                 "unknown schedule \"zb-h3\" (known: naive, gpipe, 1f1b (= pipedream-flush), "
                 "interleaved, pipedream, pipedream-2bw, zb-h1 (= zb1p), zb-h2 (= zb2p), "
                 "interleaved-zb (= interleavedzerobubble), looped-bfs (= loopedbfs), zbv (= zb-v) "
                 "(= zbvzerobubble), v-half, v-min, dualpipe, dualpipe-v (= dualpipev))");
  }
  EXPECT_EQ(generation_error("GPipe", make_problem(2, 2)).rfind("unknown schedule \"GPipe\"", 0),
            0u);
}

TEST(GenerateSchedule, SingleChunkSchedulesRejectChunks) {
  EXPECT_EQ(generation_error("naive", make_problem(2, 4, 2)),
            "naive has no model chunks: v must be 1 (got 2)");
  EXPECT_EQ(generation_error("gpipe", make_problem(2, 4, 2)),
            "gpipe has no model chunks: v must be 1 (got 2)");
  EXPECT_EQ(generation_error("1f1b", make_problem(2, 4, 3)),
            "1f1b has no model chunks: v must be 1 (got 3)");
  EXPECT_EQ(generation_error("pipedream-flush", make_problem(2, 4, 3)),
            "1f1b has no model chunks: v must be 1 (got 3)");
  EXPECT_EQ(generation_error("pipedream", make_problem(2, 4, 2)),
            "pipedream has no model chunks: v must be 1 (got 2)");
  EXPECT_EQ(generation_error("pipedream-2bw", make_problem(2, 4, 2)),
            "pipedream-2bw has no model chunks: v must be 1 (got 2)");
}

TEST(GenerateSchedule, Pipedream2bwNeedsAtLeastOneMicrobatchPerStage) {
  EXPECT_EQ(generation_error("pipedream-2bw", make_problem(4, 2)),
            "pipedream-2bw needs m >= p (got m=2, p=4)");
  EXPECT_EQ(generation_error("pipedream-2bw", make_problem(4, 4)), "");
}

TEST(GenerateSchedule, InterleavedNeedsAtLeastOneMicrobatchPerDeviceWithChunks) {
  EXPECT_EQ(generation_error("interleaved", make_problem(4, 2, 2)),
            "interleaved needs m >= p when v > 1 (got m=2, p=4)");
  EXPECT_EQ(generation_error("interleaved", make_problem(4, 2, 1)), "");
}

TEST(GenerateSchedule, InterleavedNeedsLoopedPlacement) {
  Problem problem = make_problem(2, 4, 2);
  problem.placement = Placement::VShape;
  EXPECT_EQ(generation_error("interleaved", problem),
            "interleaved places chunks looped: placement must be looped (got v-shape)");
}

TEST(GenerateSchedule, InvalidProblemsAreRejectedBeforeScheduleRules) {
  EXPECT_EQ(generation_error("gpipe", make_problem(0, 4)), "devices (p) must be at least 1");
  EXPECT_EQ(generation_error("interleaved", make_problem(4, 0, 2)),
            "micro-batches (m) must be at least 1");
  Problem v_shape = make_problem(2, 4, 3);
  v_shape.placement = Placement::VShape;
  EXPECT_EQ(generation_error("interleaved", v_shape),
            "v-shape placement needs exactly 2 chunks per device, got v = 3");
}

}  // namespace
}  // namespace pipewise
