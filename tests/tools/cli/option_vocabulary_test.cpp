// The one vocabulary of flags (tools/cli/option_vocabulary.hpp), end to end on the real
// binary: each canonical name works in the commands that take it, each older spelling gives
// the same output as its canonical form (in its own unit), two spellings of one option are
// refused naming both, and --help and the README name every option by its canonical name
// with its aliases.
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <sstream>

#include "tests/tools/cli/cli_runner.hpp"
#include "tools/cli/option_vocabulary.hpp"

namespace pipewise::tools::testing {
namespace {

// `text` with the wall-clock times the reports print ("in 0.12 s") blanked out.
std::string without_times(const std::string& text) {
  static const std::regex seconds(R"(in \d+\.\d+ s)");
  return std::regex_replace(text, seconds, "in (time) s");
}

struct Spellings {
  const char* name;
  const char* canonical;  // the arguments in canonical names
  const char* older;      // the same arguments in older spellings (aliases)
};

class OldSpelling : public ::testing::TestWithParam<Spellings> {};

TEST_P(OldSpelling, GivesTheSameOutputAsTheCanonicalName) {
  const CliResult canonical = run_pipewise(GetParam().canonical);
  const CliResult older = run_pipewise(GetParam().older);
  ASSERT_EQ(canonical.exit_code, 0) << canonical.err;
  ASSERT_EQ(older.exit_code, 0) << older.err;
  EXPECT_FALSE(canonical.out.empty());
  EXPECT_EQ(without_times(older.out), without_times(canonical.out));
}

INSTANTIATE_TEST_SUITE_P(
    Commands, OldSpelling,
    ::testing::Values(
        Spellings{"SimulateCostFlags",
                  "simulate -s 1f1b -p 2 -m 4 -f json --forward-ms 2 --backward-ms 3 "
                  "--backward-weight-ms 1 --optimizer-step-ms 0.5",
                  "simulate -s 1f1b -p 2 -m 4 -f json --cost-f 2 --cost-b 3 --cost-w 1 --cost-step 0.5"},
        Spellings{"SimulateTakesSweepsTimeFlags",
                  "simulate -s gpipe -p 2 -m 4 -f json --forward-ms 2 --backward-ms 3",
                  "simulate -s gpipe -p 2 -m 4 -f json --forward 2 --backward 3"},
        // 0.01 ms is 10 us and 0.02 ms is 20 us.
        Spellings{"SimulateLatenciesInMilliseconds",
                  "simulate -s 1f1b -p 4 -m 8 -f json --activation-bytes 1e6 --bandwidth 10 --dp-bandwidth 5 "
                  "--parameter-bytes 1e9 --latency-us 10 --dp-latency-us 20 --data-parallel-size 2",
                  "simulate -s 1f1b -p 4 -m 8 -f json --activation-bytes 1e6 --bandwidth 10 --dp-bandwidth 5 "
                  "--parameter-bytes 1e9 --comm-latency 0.01 --dp-latency 0.02 --data-parallel 2"},
        Spellings{"SimulateSizes",
                  "simulate -s 1f1b -p 2 -m 4 -f json --micro-batch-size 8 --parameter-bytes 1e6 --optimizer adam "
                  "--activation-bytes 1e6 --layers 2 --layer-activation-bytes 1e5",
                  "simulate -s 1f1b -p 2 -m 4 -f json --microbatch-size 8 --param-bytes 1e6 --optimizer adam "
                  "--activation-bytes 1e6 --layers 2 --layer-activation-bytes 1e5"},
        Spellings{"SimulateBareRecomputeIsFull",
                  "simulate -s gpipe -p 2 -m 4 -f json --activation-bytes 1e6 --layers 4 --recompute full",
                  "simulate -s gpipe -p 2 -m 4 -f json --activation-bytes 1e6 --layers 4 --recompute"},
        Spellings{"SimulateRecomputeGranularity",
                  "simulate -s gpipe -p 2 -m 4 -f json --activation-bytes 1e6 --layers 4 --recompute full",
                  "simulate -s gpipe -p 2 -m 4 -f json --activation-bytes 1e6 --layers 4 "
                  "--recompute-granularity full"},
        Spellings{"SimulateMegatronSizes", "simulate -s interleaved -p 2 -v 2 -m 4 -n 2 -f csv",
                  "simulate --schedules interleaved --pipeline-model-parallel-size 2 "
                  "--virtual-pipeline-model-parallel-size 2 --microbatches 4 --iterations 2 --format csv"},
        Spellings{"ShowSizes", "show -s interleaved -p 2 -v 2 -m 4 -n 2 -f json",
                  "show --schedules interleaved --pipeline-model-parallel-size 2 "
                  "--virtual-pipeline-model-parallel-size 2 --microbatches 4 --iterations 2 --format json"},
        Spellings{"SweepTimesAndSchedule", "sweep -s 1f1b -p 2,4 -m 8 -f csv --forward-ms 2 --backward-ms 4",
                  "sweep --schedule 1f1b --pipeline-model-parallel-size 2,4 -m 8 --format csv "
                  "--forward 2 --backward 4"},
        Spellings{"SweepModelFlags",
                  "sweep -s 1f1b -p 2 -m 8 -f csv --model bert-large --latency-us 10 --dp-latency-us 20 "
                  "--optimizer-step-ms 1 --micro-batch-size 2 --data-parallel-size 2 --recompute full",
                  "sweep -s 1f1b -p 2 -m 8 -f csv --model bert-large --comm-latency 0.01 --dp-latency 0.02 "
                  "--cost-step 1 --microbatch-size 2 --data-parallel 2 --recompute-granularity full"},
        Spellings{"RecommendModelFlags",
                  "recommend --model bert-large --latency-us 10 --dp-latency-us 20 --optimizer-step-ms 3 "
                  "--micro-batch-size 1,2 --data-parallel-size 2 --print-model",
                  "recommend --model bert-large --comm-latency 0.01 --dp-latency 0.02 --cost-step 3 "
                  "--microbatch-size 1,2 --data-parallel 2 --print-model"},
        Spellings{"RecommendSearch",
                  "recommend --model bert-large --devices 8 -s 1f1b,interleaved -p 2..4 -v 2 "
                  "--recompute full --top 3",
                  "recommend --model bert-large --devices 8 --schedule 1f1b,interleaved "
                  "--pipeline-model-parallel-size 2..4 --virtual-pipeline-model-parallel-size 2 "
                  "--recompute-granularity full --top 3"},
        Spellings{"PartitionStages", "partition -p 4 --model bert-large --recompute full",
                  "partition --pipeline-model-parallel-size 4 --model bert-large --recompute-granularity full"}),
    [](const ::testing::TestParamInfo<Spellings>& test) { return std::string(test.param.name); });

// Flags without an older spelling, in the commands the tests above do not give them to.
TEST(CanonicalFlag, SweepTakesACostFileAndRecommendAThreadCount) {
  const ScratchDirectory scratch;
  const std::string costs = scratch.write(
      "costs.json", R"({"schema": "pipewise.costs", "version": 1, "compute": {"forward": 2, "backward": 4}})");
  const CliResult sweep = run_pipewise("sweep -s 1f1b -p 2 -m 4 --costs '" + costs + "'");
  ASSERT_EQ(sweep.exit_code, 0) << sweep.err;
  EXPECT_NE(sweep.out.find("costs: costs from " + costs), std::string::npos) << sweep.out;
  const CliResult recommend = run_pipewise("recommend --model bert-large --devices 8 -p 2 --top 1 --threads 1");
  EXPECT_EQ(recommend.exit_code, 0) << recommend.err;
}

class OutputFlag : public ::testing::TestWithParam<const char*> {};

TEST_P(OutputFlag, WritesTheReportStdoutWouldShow) {
  const ScratchDirectory scratch;
  const CliResult to_stdout = run_pipewise(GetParam());
  const CliResult to_file = run_pipewise(std::string(GetParam()) + " -o '" + scratch.file("report") + "'");
  ASSERT_EQ(to_stdout.exit_code, 0) << to_stdout.err;
  ASSERT_EQ(to_file.exit_code, 0) << to_file.err;
  EXPECT_EQ(to_file.out, "");
  EXPECT_EQ(without_times(read_whole_file(scratch.file("report"))), without_times(to_stdout.out));
}

INSTANTIATE_TEST_SUITE_P(Commands, OutputFlag,
                         ::testing::Values("show -s 1f1b -p 2 -m 4 -f json",
                                           "simulate -s 1f1b -p 2 -m 4 -f csv",
                                           "sweep -s 1f1b -p 2 -m 4 -f csv",
                                           "recommend --model bert-large --devices 8 -p 2 --top 2",
                                           "partition -p 4 --model bert-large"));

class TwoSpellings : public ::testing::TestWithParam<Refusal> {};

TEST_P(TwoSpellings, AreRefusedNamingBoth) { expect_refused(GetParam()); }

INSTANTIATE_TEST_SUITE_P(
    Commands, TwoSpellings,
    ::testing::Values(
        Refusal{"SimulateTimeAndAlias", "simulate -s 1f1b -p 2 -m 4 --forward-ms 1 --cost-f 1",
                 "--forward-ms and --cost-f are the same option: give one of them"},
        Refusal{"SimulateTwoAliases", "simulate -s 1f1b -p 2 -m 4 --cost-f 1 --forward 1",
                 "--cost-f and --forward are the same option (--forward-ms): give one of them"},
        Refusal{"SimulateLatencyInTwoUnits", "simulate -s 1f1b -p 2 -m 4 --latency-us 10 --comm-latency 0.01",
                 "--latency-us and --comm-latency are the same option"},
        Refusal{"ShowScheduleAndSchedules", "show -s 1f1b --schedules 1f1b -p 2 -m 2",
                 "--schedule and --schedules are the same option"},
        Refusal{"SweepStagesAndMegatronName", "sweep -p 2 --pipeline-model-parallel-size 2 -m 4",
                 "--stages and --pipeline-model-parallel-size are the same option"},
        Refusal{"SweepSchedulesAndSchedule", "sweep -s 1f1b --schedule gpipe -p 2 -m 4",
                 "--schedules and --schedule are the same option"},
        Refusal{"RecommendRecomputeAndGranularity",
                 "recommend --recompute full --recompute-granularity full",
                 "--recompute and --recompute-granularity are the same option"},
        Refusal{"RecommendMicroBatchSizes", "recommend --micro-batch-size 1 --microbatch-size 1 --print-model",
                 "--micro-batch-size and --microbatch-size are the same option"},
        Refusal{"PartitionStages", "partition --stages 4 --pipeline-model-parallel-size 4 --model bert-large",
                 "--stages and --pipeline-model-parallel-size are the same option"},
        Refusal{"RunStages", "run -s 1f1b -p 2 --pipeline-model-parallel-size 2 -m 2",
                 "--stages and --pipeline-model-parallel-size are the same option"},
        Refusal{"NegativeValueNamesTheSpellingGiven", "simulate -s 1f1b -p 2 -m 4 --comm-latency -1",
                 "--comm-latency must be a finite number >= 0 (got -1)"}),
    [](const ::testing::TestParamInfo<Refusal>& test) { return std::string(test.param.name); });

TEST(RecomputeOff, InSimulateOverridesACostFile) {
  const ScratchDirectory scratch;
  const std::string costs = scratch.write(
      "costs.json", R"({"schema": "pipewise.costs", "version": 1, "memory": {"recompute": true}})");
  const std::string base = "simulate -s gpipe -p 2 -m 4 -f json --activation-bytes 1e6 --layers 4";
  const CliResult off = run_pipewise(base + " --costs '" + costs + "' --recompute off");
  const CliResult without = run_pipewise(base);
  ASSERT_EQ(off.exit_code, 0) << off.err;
  EXPECT_EQ(off.out, without.out);
}

// The options a --help text lists at the start of a line: "  -p [ --stages ] arg  ...".
std::vector<std::string> listed_options(const std::string& help) {
  static const std::regex option_line(R"(^  (?:-\w \[ )?--([\w-]+))");
  std::vector<std::string> names;
  std::istringstream lines(help);
  for (std::string line; std::getline(lines, line);) {
    std::smatch match;
    if (std::regex_search(line, match, option_line)) names.push_back(match[1]);
  }
  return names;
}

class SharedOptionHelp : public ::testing::TestWithParam<const char*> {};

TEST_P(SharedOptionHelp, ListsOnlyCanonicalNamesAndNamesTheirAliases) {
  const CliResult result = run_pipewise(std::string(GetParam()) + " --help");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::vector<std::string> listed = listed_options(result.out);
  std::size_t shared = 0;
  for (const SharedOption* option : shared_options()) {
    if (std::find(listed.begin(), listed.end(), option->name) == listed.end()) continue;
    ++shared;
    for (const OptionAlias& alias : option->aliases) {
      EXPECT_EQ(std::find(listed.begin(), listed.end(), alias.name), listed.end())
          << GetParam() << " lists the alias --" << alias.name << " on a line of its own";
      EXPECT_NE(result.out.find("--" + std::string(alias.name)), std::string::npos)
          << GetParam() << " does not name --" << alias.name << " beside --" << option->name;
    }
  }
  EXPECT_GE(shared, 2u) << result.out;
}

INSTANTIATE_TEST_SUITE_P(EveryCommandWithSharedOptions, SharedOptionHelp,
                         ::testing::Values("show", "simulate", "sweep", "recommend", "partition", "run",
                                           "profile"));

TEST(OptionVocabulary, TheReadmeTableNamesEveryOptionWithItsAliases) {
  const std::string readme = read_whole_file(std::string(PIPEWISE_SOURCE_DIR) + "/README.md");
  const std::size_t start = readme.find("## Reference: the flags the commands share");
  ASSERT_NE(start, std::string::npos);
  const std::string section = readme.substr(start, readme.find("\n## ", start) - start);
  for (const SharedOption* option : shared_options()) {
    const std::string canonical = "--" + std::string(option->name);
    std::istringstream lines(section);
    std::string row;  // the row whose first cell names the option
    for (std::string line; std::getline(lines, line);) {
      const std::string first_cell = line.substr(0, line.find('|', 1));
      if (line.rfind("| `", 0) == 0 && first_cell.find("`" + canonical + "`") != std::string::npos) {
        row = line;
        break;
      }
    }
    ASSERT_FALSE(row.empty()) << "README.md has no table row for " << canonical;
    for (const OptionAlias& alias : option->aliases) {
      EXPECT_NE(row.find("`--" + std::string(alias.name) + "`"), std::string::npos)
          << "README.md's row of " << canonical << " does not name --" << alias.name;
    }
  }
}

}  // namespace
}  // namespace pipewise::tools::testing
