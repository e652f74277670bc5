// Input no command takes is refused with one line naming it (issue 13): an argument no
// option takes, and a value simulate's --recompute does not know.
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

struct Refusal {
  const char* name;
  const char* arguments;
  const char* message;
};

class RecomputeValue : public ::testing::TestWithParam<Refusal> {};

TEST_P(RecomputeValue, IsRefusedWithOneLine) {
  const CliResult result = run_pipewise(GetParam().arguments);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(line_count(result.err), 1u) << result.err;
  EXPECT_NE(result.err.find(GetParam().message), std::string::npos) << result.err;
  EXPECT_EQ(result.out, "");
}

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

}  // namespace
}  // namespace pipewise::tools::testing
