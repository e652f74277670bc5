// Input no command takes is refused with one line naming it (issue 13): an argument no
// option takes, a value simulate's --recompute does not know, and the flags that would
// describe a --schedule-file's schedule again.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/tools/cli/cli_runner.hpp"

namespace pipewise::tools::testing {
namespace {

class StrayArgument : public ::testing::TestWithParam<const char*> {};

TEST_P(StrayArgument, IsRefusedWithOneLineNamingIt) {
  const CliResult result = run_pipewise(std::string(GetParam()) + " oops");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(line_count(result.err), 1u) << result.err;
  EXPECT_NE(result.err.find("unexpected argument \"oops\""), std::string::npos) << result.err;
  EXPECT_EQ(result.out, "");
}

INSTANTIATE_TEST_SUITE_P(EveryCommand, StrayArgument,
                         ::testing::Values("show -s 1f1b -p 2 -m 4", "simulate -s 1f1b -p 2 -m 4",
                                           "sweep -p 2 -m 4", "recommend --model bert-large",
                                           "partition --stages 2 --model bert-large",
                                           "run -s 1f1b -p 2 -m 2 --steps 1",
                                           "validate schedule.json", "convert in.json out.json"));

TEST(StrayFile, ConvertWritesNothingWhenGivenAThirdFile) {
  const ScratchDirectory scratch;
  const std::string schedule = scratch.write("s.json", run_pipewise("show -s 1f1b -p 2 -m 2 -f json").out);
  const CliResult result =
      run_pipewise("convert '" + schedule + "' '" + scratch.file("s.txt") + "' extra");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("unexpected argument \"extra\""), std::string::npos) << result.err;
  EXPECT_FALSE(std::filesystem::exists(scratch.file("s.txt")));
}

class RecomputeValue : public ::testing::TestWithParam<Refusal> {};

TEST_P(RecomputeValue, IsRefusedWithOneLine) { expect_refused(GetParam()); }

INSTANTIATE_TEST_SUITE_P(
    Commands, RecomputeValue,
    ::testing::Values(
        // Before the vocabulary, simulate's --recompute was a switch and ignored the "false".
        Refusal{"SimulateFalse",
                "simulate -s gpipe -p 2 -m 4 --activation-bytes 1e6 --layers 4 --recompute false",
                "--recompute must be one of off, selective, full (got \"false\")"},
        Refusal{"SimulateSelective", "simulate -s gpipe -p 2 -m 4 --recompute selective",
                "--recompute selective needs a transformer's layers"},
        Refusal{"SweepFalse", "sweep -p 2 -m 4 --model bert-large --recompute false",
                "unknown recomputation \"false\""},
        Refusal{"PartitionFalse", "partition -p 2 --model bert-large --recompute false",
                "unknown recomputation \"false\""}),
    [](const ::testing::TestParamInfo<Refusal>& test) { return std::string(test.param.name); });

class ScheduleFileWith : public ::testing::TestWithParam<Refusal> {};

// A schedule file carries its schedule and its problem: pipewise refuses (rather than
// checks) the flags that would describe them again.
TEST_P(ScheduleFileWith, IsRefusedNamingTheFlag) {
  const ScratchDirectory scratch;
  const std::string schedule = scratch.write("s.json", run_pipewise("show -s 1f1b -p 2 -m 4 -f json").out);
  std::string arguments = GetParam().arguments;
  arguments.replace(arguments.find("FILE"), 4, "'" + schedule + "'");
  const CliResult result = run_pipewise(arguments);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(line_count(result.err), 1u) << result.err;
  EXPECT_NE(result.err.find("--schedule-file carries its own schedule and problem: drop " +
                            std::string(GetParam().message)),
            std::string::npos)
      << result.err;
  EXPECT_EQ(result.out, "");
}

INSTANTIATE_TEST_SUITE_P(
    Flags, ScheduleFileWith,
    ::testing::Values(
        Refusal{"ConflictingStages", "simulate --schedule-file FILE -p 4", "--stages"},
        Refusal{"AgreeingStages", "simulate --schedule-file FILE -p 2", "--stages"},
        Refusal{"MegatronStages", "show --schedule-file FILE --pipeline-model-parallel-size 4", "--stages"},
        Refusal{"SizesAndSchedule", "show --schedule-file FILE -s gpipe -m 8 -v 1 -n 2",
                "--schedule, --microbatches, --chunks, --iterations"},
        Refusal{"Placement", "simulate --schedule-file FILE --placement v-shape", "--placement"},
        Refusal{"RunStages", "run --schedule-file FILE -p 4", "--stages"}),
    [](const ::testing::TestParamInfo<Refusal>& test) { return std::string(test.param.name); });

}  // namespace
}  // namespace pipewise::tools::testing
