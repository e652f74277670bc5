// Every what-if command documents every option in --help.
#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "tests/tools/cli/cli_runner.hpp"

namespace pipewise::tools::testing {
namespace {

// The options of a Boost.Program_options help text and whether each has a description
// (on its own line, or on the next ones when the option column overflows).
std::vector<std::pair<std::string, bool>> documented_options(const std::string& help) {
  std::vector<std::pair<std::string, bool>> options;
  std::istringstream stream(help);
  std::string line;
  const std::regex option_line(R"(^  (-\w \[ )?(--[\w-]+)( \]|)(( arg)?( \(=[^)]*\))?)(.*)$)");
  while (std::getline(stream, line)) {
    std::smatch match;
    if (std::regex_match(line, match, option_line)) {
      const std::string rest = match[7];
      options.emplace_back(match[2], rest.find_first_not_of(' ') != std::string::npos);
    } else if (!options.empty() && !options.back().second && line.find_first_not_of(' ') > 8 &&
               line.find_first_not_of(' ') != std::string::npos) {
      options.back().second = true;  // the description continues on the next line
    }
  }
  return options;
}

class CommandHelp : public ::testing::TestWithParam<const char*> {};

TEST_P(CommandHelp, DocumentsEveryOption) {
  const CliResult result = run_pipewise(std::string(GetParam()) + " --help");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("usage: pipewise " + std::string(GetParam())), std::string::npos);
  const auto options = documented_options(result.out);
  EXPECT_GE(options.size(), 3u) << result.out;
  for (const auto& [name, described] : options) EXPECT_TRUE(described) << GetParam() << " " << name;
}

INSTANTIATE_TEST_SUITE_P(WhatIfCommands, CommandHelp,
                         ::testing::Values("sweep", "recommend", "partition", "convert", "profile"));

TEST(CommandHelp, ModelOptionsNameThePresetsAndMegatronAliases) {
  const CliResult result = run_pipewise("recommend --help");
  for (const char* text : {"gpt3-175b", "bert-large", "mlp-4block", "--pipeline-model-parallel-size",
                           "--virtual-pipeline-model-parallel-size", "--global-batch-size", "--micro-batch-size",
                           "--data-parallel-size", "--num-layers", "--hidden-size", "--seq-length",
                           "--recompute-granularity"}) {
    EXPECT_NE(result.out.find(text), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace pipewise::tools::testing
