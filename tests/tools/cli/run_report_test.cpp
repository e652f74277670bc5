// The two forms of the `pipewise run` report, on a comparison written by hand.
#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>

#include "tools/compare/run_report.hpp"

namespace pipewise::tools {
namespace {

RunReport hand_made_report() {
  RunReport report;
  report.backend = "cpu";
  report.schedule = "1f1b";
  report.problem.devices = 2;
  report.problem.microbatches = 4;
  report.widths = {8, 16, 4};
  report.parameters = 16 * 9 + 4 * 17;
  report.stage_layers = {{0, 1}, {1, 1}};
  report.microbatch_size = 2;
  report.optimizer = "sgd";
  report.profile_repeats = 3;
  report.profile.stages.resize(2);
  report.warmup_steps = 1;
  report.timed_steps = 3;
  report.placement = {"2 device(s) on 2 core(s), each worker pinned to a core of its own"};
  report.pinned = true;
  report.warnings = {"something to know"};
  report.first_loss = 1.5;
  report.last_loss = std::numeric_limits<double>::quiet_NaN();
  RunComparison& comparison = report.comparison;
  comparison.step_ms = {11.0, 10.0, 12.0};
  comparison.median_step = 0;
  comparison.step_time_ms = {11.0, 10.0};
  comparison.bubble_ratio = {0.3, 0.25};
  DeviceComparison device;
  device.busy_ms = {7.0, 8.0};
  device.idle_ratio = {1 - 7.0 / 11.0, 0.2};
  device.peak_bytes = {1100.0, 1000.0};
  device.peak_activation_bytes = {50.0, 0.0};
  device.peak_activations = {2, 2};
  device.weight_versions = {1, 1};
  comparison.devices = {device, device};
  comparison.devices[1].device = 1;
  comparison.op_duration_error = {8, 0.05, 0.2};
  comparison.op_start_error = {10, 0.01, 0.03};
  return report;
}

TEST(RunReportJson, SetsMeasuredPredictedAndErrorsSideBySide) {
  const auto json = nlohmann::json::parse(run_report_json(hand_made_report()));
  EXPECT_EQ(json["schema"], "pipewise.run");
  EXPECT_EQ(json["version"], 1);
  EXPECT_EQ(json["stages"], 2);
  EXPECT_EQ(json["measured"]["makespan"], 11.0);
  EXPECT_EQ(json["predicted"]["makespan"], 10.0);
  EXPECT_EQ(json["measured"]["bubble_ratio"], 0.3);
  EXPECT_EQ(json["predicted"]["devices"][1]["busy"], 8.0);
  EXPECT_EQ(json["measured"]["devices"][0]["peak_memory_bytes"], 1100);
  EXPECT_DOUBLE_EQ(json["error"]["makespan_relative"].get<double>(), 0.1);
  EXPECT_DOUBLE_EQ(json["error"]["bubble_ratio_difference"].get<double>(), 0.3 - 0.25);
  EXPECT_DOUBLE_EQ(json["error"]["devices"][0]["busy_relative"].get<double>(), -1.0 / 8);
  EXPECT_DOUBLE_EQ(json["error"]["devices"][0]["peak_memory_relative"].get<double>(), 0.1);
  EXPECT_EQ(json["error"]["op_duration"]["samples"], 8);
  EXPECT_EQ(json["error"]["op_start"]["p95"], 0.03);
  EXPECT_EQ(json["steps"]["step_times"].size(), 3u);
  EXPECT_EQ(json["workers"]["pinned"], true);
  EXPECT_EQ(json["warnings"][0], "something to know");
  EXPECT_EQ(json["model"]["stages"][1]["device"], 1);
}

TEST(RunReportJson, WritesNonFiniteNumbersAsNull) {
  const auto json = nlohmann::json::parse(run_report_json(hand_made_report()));
  // 50 activation bytes against a prediction of 0: an infinite relative error.
  EXPECT_TRUE(json["error"]["devices"][0]["peak_activation_bytes_relative"].is_null());
  EXPECT_TRUE(json["loss"]["last"].is_null());
  EXPECT_EQ(json["loss"]["first"], 1.5);
}

TEST(RunReportText, ShowsTheComparisonAndTheWarnings) {
  const std::string text = run_report_text(hand_made_report());
  EXPECT_NE(text.find("pipewise run: 1f1b on the cpu backend, p=2 v=1 m=4 n=1"), std::string::npos);
  EXPECT_NE(text.find("step time"), std::string::npos);
  EXPECT_NE(text.find("+10.0%"), std::string::npos);   // step time error
  EXPECT_NE(text.find("+5.0 pt"), std::string::npos);   // bubble ratio difference
  EXPECT_NE(text.find("warning: something to know\n"), std::string::npos);
  EXPECT_EQ(text.back(), '\n');
}

}  // namespace
}  // namespace pipewise::tools
