// Bad input gives one line on stderr that names the problem and a non-zero exit, and no
// output file; good runs leave their files whole and nothing else behind.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/tools/cli/cli_runner.hpp"

namespace pipewise::tools::testing {
namespace {

struct ErrorCase {
  const char* name;
  const char* arguments;  // "MODEL" is replaced by a scratch model file's path
  const char* expected;   // part of the one-line message
};

constexpr const char* kOneLayerModel = R"({
  "layers": [{"count": 2, "forward_ms": 1, "activation_bytes": 1073741824,
              "parameter_bytes": 1073741824}],
  "device": {"count": 2, "memory_gib": 1}, "batch": {"global": 4, "micro": 1},
  "training": {"optimizer_state_bytes_per_parameter": 0}})";

class ErrorPath : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ErrorPath, PrintsOneLineNamingTheProblemAndWritesNothing) {
  const ScratchDirectory scratch;
  const std::string model = scratch.write("model.json", kOneLayerModel);
  scratch.write("malformed.json", R"({"name": "x", "transformer": {"layers": 2,, "hidden": 8}})");
  scratch.write("truncated.json", R"({"name": "x", "transformer": {"layers": 2, "hidden": 8, "seq)");
  std::string arguments = GetParam().arguments;
  for (const auto& [placeholder, file] : {std::pair{"MODEL", model},
                                          std::pair{"MALFORMED", scratch.file("malformed.json")},
                                          std::pair{"TRUNCATED", scratch.file("truncated.json")},
                                          std::pair{"OUT", scratch.file("out.svg")}}) {
    const auto at = arguments.find(placeholder);
    if (at != std::string::npos) arguments.replace(at, std::string(placeholder).size(), "'" + file + "'");
  }
  const CliResult result = run_pipewise(arguments);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_EQ(line_count(result.err), 1u) << result.err;
  EXPECT_NE(result.err.find(GetParam().expected), std::string::npos) << result.err;
  EXPECT_EQ(result.out, "");
  EXPECT_FALSE(std::filesystem::exists(scratch.file("out.svg")));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ErrorPath,
    ::testing::Values(
        ErrorCase{"UnknownScheduleInSweep", "sweep -s zigzag -p 2 -m 4 --svg OUT", "unknown schedule \"zigzag\""},
        ErrorCase{"UnknownScheduleInRecommend", "recommend --schedules zigzag --svg OUT",
                  "unknown schedule \"zigzag\""},
        ErrorCase{"BackwardRange", "sweep -p 8..2 -m 4 --svg OUT",
                  "--stages: bad item \"8..2\": the range ends (2) before it starts (8)"},
        ErrorCase{"NegativeRangeItem", "sweep -p 2 --microbatches=-4 --svg OUT", "sizes cannot be negative"},
        ErrorCase{"NegativeDeviceCount", "recommend --devices=-4 --svg OUT",
                  "--devices must be a whole number >= 1 (got -4)"},
        ErrorCase{"NegativeMemoryCap", "recommend --memory-cap=-80 --svg OUT", "--memory-cap must be"},
        ErrorCase{"NotANumberMemoryCap", "recommend --memory-cap nan --svg OUT",
                  "--memory-cap must be a finite number > 0 (got nan)"},
        ErrorCase{"NotANumberForwardTime", "sweep -p 2 -m 4 --forward-ms nan --svg OUT",
                  "--forward-ms must be a finite number >= 0 (got nan)"},
        ErrorCase{"ZeroGlobalBatch", "recommend --global-batch-size 0 --svg OUT",
                  "--global-batch-size must be at least 1"},
        ErrorCase{"MalformedModelJson", "recommend --model MALFORMED --svg OUT", "malformed.json: invalid JSON at byte"},
        ErrorCase{"TruncatedModelJson", "recommend --model TRUNCATED --svg OUT", "truncated.json: invalid JSON at byte"},
        ErrorCase{"UnknownOption", "recommend --devcies 3 --svg OUT", "unrecognised option"},
        ErrorCase{"LayerLargerThanTheCap", "recommend --model MODEL --svg OUT",
                  "layer 0 (layer) alone needs 4.00 GiB at t = 1 (weights, gradients, optimizer state "
                  "and the activations of a micro-batch of 1), more than the 1.00 GiB memory cap"},
        ErrorCase{"UnknownPreset", "recommend --model gpt5 --svg OUT", "--model gpt5 is neither a preset"},
        ErrorCase{"MissingModelFile", "recommend --model /nonexistent/model.json --svg OUT",
                  "cannot read /nonexistent/model.json"},
        ErrorCase{"TargetBubbleOutOfRange", "recommend --target-bubble 1.5 --svg OUT",
                  "--target-bubble must be between 0 and 1"},
        ErrorCase{"PartitionWithoutInput", "partition --stages 2", "no model given"},
        ErrorCase{"TooManyStages", "partition --stages 30 --model bert-large",
                  "cannot split 24 layers into 30 stages: each stage needs at least one layer"},
        ErrorCase{"ConvertMissingFile", "convert /nonexistent/in.json OUT --to json", "cannot read /nonexistent/in.json"}),
    [](const ::testing::TestParamInfo<ErrorCase>& test) { return std::string(test.param.name); });

TEST(ErrorPaths, UnknownModelFieldsAreNamedWithTheirPath) {
  const ScratchDirectory scratch;
  const std::string model = scratch.write("typo.json", R"({"layers": [{"forward_ms": 1}], "devcie": {}})");
  const CliResult result = run_pipewise("recommend --model '" + model + "'");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(line_count(result.err), 1u) << result.err;
  EXPECT_NE(result.err.find("$.devcie is not a known field"), std::string::npos) << result.err;
}

TEST(ErrorPaths, SuccessfulRunsLeaveOnlyTheirOutputFiles) {
  const ScratchDirectory scratch;
  const CliResult result = run_pipewise("sweep -s 1f1b -p 2 -m 2,4 --svg '" + scratch.file("a.svg") + "' --output '" +
                                        scratch.file("a.txt") + "'");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(scratch.path())) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"a.svg", "a.txt"}));
  EXPECT_EQ(result.out, "");  // the table went to the file
  EXPECT_NE(read_whole_file(scratch.file("a.txt")).find("2 points: 2 simulated"), std::string::npos);
}

}  // namespace
}  // namespace pipewise::tools::testing
