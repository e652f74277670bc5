// End-to-end specification of `pipewise published-runs`: the table the README quotes, its
// JSON, and --check's exit status agreeing with the targets it reports.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/tools/cli/cli_runner.hpp"

namespace pipewise::tools::testing {
namespace {

TEST(PublishedRunsCommand, PrintsEachComparisonWithItsError) {
  const CliResult result = run_pipewise("published-runs");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("Korthikanti et al. 2022, Table 5, 175B, present work *"), std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("Narayanan et al. SC'21, Table 1, 1008.0B"), std::string::npos);
  EXPECT_NE(result.out.find("targets met: memory 24/24"), std::string::npos) << result.out;
}

TEST(PublishedRunsCommand, JsonAndCheckAgree) {
  const CliResult json = run_pipewise("published-runs --format json");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const nlohmann::json document = nlohmann::json::parse(json.out);
  EXPECT_EQ(document.at("schema"), "pipewise.published_runs");
  EXPECT_EQ(document.at("memory").size(), 36u);  // 24 Table 3 rows and 12 interleaved ones
  EXPECT_EQ(document.at("runs").size(), 18u);    // Table 5: 8, Table 1: 10
  for (const nlohmann::json& run : document.at("runs")) {
    EXPECT_GT(run.at("pipewise").get<double>(), 0) << run.dump();
  }
  const CliResult check = run_pipewise("published-runs --check");
  EXPECT_EQ(check.exit_code, document.at("all_targets_met").get<bool>() ? 0 : 1);
}

TEST(PublishedRunsCommand, UnknownFormatIsOneLine) {
  const CliResult result = run_pipewise("published-runs --format xml");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("xml"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace pipewise::tools::testing
