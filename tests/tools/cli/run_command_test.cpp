// `pipewise run` end to end: a real run of a tiny MLP beside its prediction, its report's
// figures consistent with each other, the trace and SVG with both timelines, and bad input
// refused in one line with no file written.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/tools/cli/cli_runner.hpp"

namespace pipewise::tools::testing {
namespace {

// Four layers of 8 -> 8 -> 8 -> 8 -> 4: two equal stages of two layers on p = 2, runs in
// milliseconds.
constexpr const char* kTinyRun =
    "run --backend cpu --model 8,8,8,8,4 --microbatch-size 4 --steps 3 --warmup-steps 1 "
    "--profile-repeats 3 ";

// True when every element of the XML document `text` is closed in the order it was opened
// (the declaration and comments aside): enough to know an SVG viewer can parse it.
bool tags_nest(const std::string& text) {
  std::vector<std::string> open;
  for (std::size_t at = text.find('<'); at != std::string::npos; at = text.find('<', at + 1)) {
    const std::size_t end = text.find('>', at);
    if (end == std::string::npos) return false;
    const std::string tag = text.substr(at + 1, end - at - 1);
    if (tag.empty() || tag[0] == '?' || tag[0] == '!') continue;
    if (tag[0] == '/') {
      if (open.empty() || open.back() != tag.substr(1)) return false;
      open.pop_back();
    } else if (tag.back() != '/') {
      open.push_back(tag.substr(0, tag.find_first_of(" \t\n")));
    }
  }
  return open.empty();
}

class RunCommand : public ::testing::Test {
 protected:
  static nlohmann::json run_json(const std::string& schedule_arguments) {
    const CliResult result = run_pipewise(std::string(kTinyRun) + schedule_arguments + " --format json");
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return nlohmann::json::parse(result.out);
  }
};

// The zero-bubble family runs end to end, its prediction included: split backward
// (zb-h1), a V-shape (zbv), overlapped F&B pairs (dualpipe-v) and DualPipe's two model
// copies, which hold the model's two stages twice on two devices.
TEST_F(RunCommand, RunsTheZeroBubbleAndDualPipeSchedules) {
  for (const char* schedule : {"zb-h1", "zbv", "dualpipe-v", "dualpipe"}) {
    const auto report =
        run_json(std::string("--schedule ") + schedule + " --stages 2 --microbatches 4");
    EXPECT_EQ(report["schedule"], schedule);
    const double first = report["loss"]["first"];
    const double last = report["loss"]["last"];
    EXPECT_LT(last, first) << schedule;
    EXPECT_GT(report["predicted"]["makespan"].get<double>(), 0.0) << schedule;
    EXPECT_EQ(report["measured"]["devices"].size(), 2u) << schedule;
  }
}

TEST_F(RunCommand, ReportsMeasuredAndPredictedFiguresFromTheRun) {
  const auto report = run_json("--schedule 1f1b --stages 2 --microbatches 4");
  EXPECT_EQ(report["schema"], "pipewise.run");
  EXPECT_EQ(report["backend"], "cpu");
  EXPECT_EQ(report["schedule"], "1f1b");
  const auto& measured = report["measured"];
  const auto& predicted = report["predicted"];
  const double measured_step = measured["makespan"];
  const double predicted_step = predicted["makespan"];
  EXPECT_GT(measured_step, 0.0);
  EXPECT_GT(predicted_step, 0.0);
  // Three timed steps; the measured step time is their median, and it is the median step's.
  const auto& steps = report["steps"]["step_times"];
  ASSERT_EQ(steps.size(), 3u);
  std::vector<double> sorted = steps.get<std::vector<double>>();
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(measured_step, sorted[1]);
  EXPECT_EQ(steps[report["steps"]["median_step"].get<std::size_t>()], measured_step);
  // Each device's busy time fits in the step, and the bubble is what the idle times add up to.
  ASSERT_EQ(measured["devices"].size(), 2u);
  double idle = 0.0;
  for (const auto& device : measured["devices"]) {
    const double busy = device["busy"];
    EXPECT_GT(busy, 0.0);
    EXPECT_LE(busy, measured_step);
    EXPECT_NEAR(device["idle_ratio"].get<double>(), 1 - busy / measured_step, 1e-12);
    idle += measured_step - busy;
  }
  EXPECT_NEAR(measured["bubble_ratio"].get<double>(), idle / (2 * measured_step), 1e-12);
  // The profile the prediction came from has a stage per model stage, with positive times.
  ASSERT_EQ(report["profile"]["stages"].size(), 2u);
  EXPECT_GT(report["profile"]["stages"][0]["forward"].get<double>(), 0.0);
  EXPECT_EQ(report["profile"]["repeats"], 3);
  EXPECT_EQ(report["steps"]["warmup"], 1);
  EXPECT_TRUE(report["loss"]["first"].is_number());
  EXPECT_TRUE(report["loss"]["last"].is_number());
  EXPECT_TRUE(report["workers"]["pinned"].is_boolean());
}

TEST_F(RunCommand, ErrorsAreComputedFromTheReportedFigures) {
  const auto report = run_json("--schedule gpipe --stages 2 --microbatches 4");
  const auto& measured = report["measured"];
  const auto& predicted = report["predicted"];
  const auto& error = report["error"];
  const double step_error =
      (measured["makespan"].get<double>() - predicted["makespan"].get<double>()) /
      predicted["makespan"].get<double>();
  EXPECT_NEAR(error["makespan_relative"].get<double>(), step_error, 1e-12);
  EXPECT_NEAR(error["bubble_ratio_difference"].get<double>(),
              measured["bubble_ratio"].get<double>() - predicted["bubble_ratio"].get<double>(), 1e-12);
  for (std::size_t d = 0; d < 2; ++d) {
    const double busy = measured["devices"][d]["busy"];
    const double predicted_busy = predicted["devices"][d]["busy"];
    EXPECT_NEAR(error["devices"][d]["busy_relative"].get<double>(),
                (busy - predicted_busy) / predicted_busy, 1e-12);
    const double peak = measured["devices"][d]["peak_memory_bytes"];
    const double predicted_peak = predicted["devices"][d]["peak_memory_bytes"];
    EXPECT_NEAR(error["devices"][d]["peak_memory_relative"].get<double>(),
                (peak - predicted_peak) / predicted_peak, 1e-12);
  }
  // Every F and B of the three timed steps has a duration error: 2 devices · 4 micro-batches
  // · 2 kinds · 3 steps = 48, plus each device's optimizer step in each step = 6.
  EXPECT_EQ(error["op_duration"]["samples"], 54);
  EXPECT_EQ(error["op_start"]["samples"], 54);
  EXPECT_LE(error["op_duration"]["median"].get<double>(), error["op_duration"]["p95"].get<double>());
}

TEST_F(RunCommand, ThePredictionIsMadeFromTheReportedProfile) {
  // GPipe, p = 2, m = 4, free messages aside: device d is predicted busy for 4 forwards,
  // 4 backwards and one optimizer step of its stage, at the profile's times.
  for (const char* profile_steps : {"--profile-steps 2", "--profile-steps 0"}) {
    const auto report = run_json(std::string("--schedule gpipe --stages 2 --microbatches 4 ") + profile_steps);
    const auto& profile = report["profile"];
    EXPECT_EQ(profile["source"], profile_steps == std::string("--profile-steps 0") ? "isolated" : "pipeline");
    for (std::size_t d = 0; d < 2; ++d) {
      const auto& stage = profile["stages"][d];
      const double busy = 4 * stage["forward"].get<double>() + 4 * stage["backward"].get<double>() +
                          stage["optimizer_step"].get<double>();
      EXPECT_NEAR(report["predicted"]["devices"][d]["busy"].get<double>(), busy, 1e-9 * busy);
    }
  }
}

TEST_F(RunCommand, MemoryPeaksMatchThePredictionOnEqualStages) {
  // GPipe holds all m stashes; PipeDream's stage 0 holds p = 2 weight versions.
  for (const char* schedule : {"--schedule gpipe --stages 2 --microbatches 3",
                               "--schedule pipedream --stages 2 --microbatches 2 --iterations 3"}) {
    const auto report = run_json(schedule);
    for (std::size_t d = 0; d < 2; ++d) {
      const auto& measured = report["measured"]["devices"][d];
      const auto& predicted = report["predicted"]["devices"][d];
      EXPECT_EQ(measured["peak_activations"], predicted["peak_activations"]) << schedule;
      EXPECT_EQ(measured["weight_versions"], predicted["weight_versions"]) << schedule;
      EXPECT_GT(measured["peak_memory_bytes"].get<double>(), 0.0);
    }
  }
  const auto gpipe = run_json("--schedule gpipe --stages 2 --microbatches 3");
  EXPECT_EQ(gpipe["measured"]["devices"][1]["peak_activations"], 3);
}

TEST_F(RunCommand, TableReportSetsMeasuredBesidePredicted) {
  const CliResult result =
      run_pipewise(std::string(kTinyRun) + "--schedule interleaved --stages 2 --chunks 2 --microbatches 4");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  for (const char* text : {"pipewise run: interleaved on the cpu backend, p=2 v=2 m=4", "measured",
                           "predicted", "step time", "bubble ratio", "op durations", "op starts",
                           "peak memory", "workers", "in pipeline", "alone"}) {
    EXPECT_NE(result.out.find(text), std::string::npos) << text << "\n" << result.out;
  }
}

// The cells of one CSV line without quoted fields.
std::vector<std::string> csv_cells(const std::string& line) {
  std::vector<std::string> cells(1);
  for (const char c : line) {
    if (c == ',') {
      cells.emplace_back();
    } else {
      cells.back() += c;
    }
  }
  return cells;
}

TEST_F(RunCommand, CsvHasAHeaderAndOneRowOfTheHeadlineFigures) {
  const CliResult result = run_pipewise(std::string(kTinyRun) +
                                        "--schedule 1f1b --stages 2 --microbatches 4 --format csv");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  ASSERT_EQ(line_count(result.out), 2u) << result.out;
  const std::string header = result.out.substr(0, result.out.find('\n'));
  EXPECT_EQ(header,
            "schedule,backend,stages,chunks,microbatches,iterations,measured_step_ms,"
            "predicted_step_ms,step_time_error,measured_bubble_ratio,predicted_bubble_ratio,"
            "op_duration_error_median");
  const std::vector<std::string> row =
      csv_cells(result.out.substr(header.size() + 1, result.out.size() - header.size() - 2));
  ASSERT_EQ(row.size(), 12u) << result.out;
  EXPECT_EQ(std::vector<std::string>(row.begin(), row.begin() + 6),
            (std::vector<std::string>{"1f1b", "cpu", "2", "1", "4", "1"}));
  const double measured = std::stod(row[6]);
  const double predicted = std::stod(row[7]);
  EXPECT_GT(measured, 0.0);
  EXPECT_GT(predicted, 0.0);
  // Six significant digits: the error agrees with the step times it is made of to that.
  EXPECT_NEAR(std::stod(row[8]), (measured - predicted) / predicted,
              1e-5 * (1 + std::abs(measured / predicted)));
  for (const std::size_t bubble : {9u, 10u}) {
    EXPECT_GE(std::stod(row[bubble]), 0.0) << row[bubble];
    EXPECT_LT(std::stod(row[bubble]), 1.0) << row[bubble];
  }
  EXPECT_GE(std::stod(row[11]), 0.0);
}

TEST_F(RunCommand, TraceAndSvgHoldTheMeasuredAndPredictedRuns) {
  const ScratchDirectory scratch;
  const CliResult result = run_pipewise(std::string(kTinyRun) +
                                        "--schedule 1f1b --stages 2 --microbatches 4 --trace '" +
                                        scratch.file("trace.json") + "' --svg '" +
                                        scratch.file("run.svg") + "'");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto trace = nlohmann::json::parse(read_whole_file(scratch.file("trace.json")));
  std::set<std::string> processes;
  std::set<int> pids_with_ops;
  for (const auto& event : trace["traceEvents"]) {
    if (event["ph"] == "M" && event["name"] == "process_name") {
      processes.insert(event["args"]["name"].get<std::string>());
    }
    if (event["ph"] == "X") pids_with_ops.insert(event["pid"].get<int>());
  }
  EXPECT_EQ(processes, (std::set<std::string>{"measured", "predicted"}));
  EXPECT_EQ(pids_with_ops.size(), 2u);  // both runs have op events

  const std::string svg = read_whole_file(scratch.file("run.svg"));
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_TRUE(tags_nest(svg));
  const auto measured = svg.find(">measured<");
  const auto predicted = svg.find(">predicted<");
  ASSERT_NE(measured, std::string::npos);
  ASSERT_NE(predicted, std::string::npos);
  EXPECT_LT(measured, predicted);  // measured drawn above predicted
}

struct BadRun {
  const char* name;
  const char* arguments;
  const char* expected;  // part of the one-line message
};

class RunErrorPath : public ::testing::TestWithParam<BadRun> {};

TEST_P(RunErrorPath, PrintsOneLineAndWritesNoFile) {
  const ScratchDirectory scratch;
  const CliResult result = run_pipewise(std::string("run ") + GetParam().arguments + " --trace '" +
                                        scratch.file("trace.json") + "' --svg '" +
                                        scratch.file("run.svg") + "'");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(line_count(result.err), 1u) << result.err;
  EXPECT_NE(result.err.find(GetParam().expected), std::string::npos) << result.err;
  EXPECT_EQ(result.out, "");
  EXPECT_FALSE(std::filesystem::exists(scratch.file("trace.json")));
  EXPECT_FALSE(std::filesystem::exists(scratch.file("run.svg")));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RunErrorPath,
    ::testing::Values(
        BadRun{"UnknownBackend", "--backend tpu -s 1f1b -p 2 -m 4",
               "--backend must be one of cpu, cuda (got \"tpu\")"},
        BadRun{"WidthThatIsNotANumber", "-s 1f1b -p 2 -m 4 --model 8,wide,4",
               "--model: \"wide\" is not a layer width"},
        BadRun{"ZeroWidth", "-s 1f1b -p 2 -m 4 --model 8,0,4", "--model: \"0\" is not a layer width"},
        BadRun{"EmptyWidth", "-s 1f1b -p 2 -m 4 --model 8,,4", "--model: empty item"},
        BadRun{"OneWidth", "-s 1f1b -p 1 -m 4 --model 8", "two widths"},
        BadRun{"MoreStagesThanLayers", "-s 1f1b -p 4 -m 4 --model 8,8,4", "stages"},
        BadRun{"UnknownSchedule", "-s zigzag -p 2 -m 4 --model 8,8,4", "unknown schedule \"zigzag\""},
        BadRun{"NoTimedStep", "-s 1f1b -p 2 -m 4 --model 8,8,4 --steps 0",
               "--steps must be between 1 and"},
        BadRun{"UnknownOptimizer", "-s 1f1b -p 2 -m 4 --optimizer lamb",
               "--optimizer must be one of sgd, momentum, adam"},
        BadRun{"CudaOptionOnCpu", "-s 1f1b -p 2 -m 4 --emulate 2", "--emulate needs --backend cuda"},
        BadRun{"BadLearningRate", "-s 1f1b -p 2 -m 4 --learning-rate=-1",
               "--learning-rate must be a finite number > 0"}),
    [](const ::testing::TestParamInfo<BadRun>& param) { return std::string(param.param.name); });

TEST(RunCudaBackend, WithoutCudaOrADeviceSaysSoInOneLine) {
  const ScratchDirectory scratch;
  const CliResult result =
      run_pipewise("run --backend cuda --model 8,8,8,4 -s 1f1b -p 2 -m 2 --steps 1 --trace '" +
                   scratch.file("trace.json") + "'");
  if (result.exit_code == 0) GTEST_SKIP() << "this build has CUDA and the machine a GPU";
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(line_count(result.err), 1u) << result.err;
  const bool explained = result.err.find("pipewise was built without CUDA") != std::string::npos ||
                         result.err.find("no CUDA device") != std::string::npos;
  EXPECT_TRUE(explained) << result.err;
  EXPECT_FALSE(std::filesystem::exists(scratch.file("trace.json")));
}

// Sets an environment variable for one test (each test runs in a process of its own) and
// the pipewise processes it starts.
class ScopedEnvironment {
 public:
  ScopedEnvironment(const char* name, const std::string& value) : name_(name) {
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnvironment() { unsetenv(name_); }
  ScopedEnvironment(const ScopedEnvironment&) = delete;
  ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;

 private:
  const char* name_;
};

TEST(RunCudaBackend, AModuleThatCannotBeLoadedIsNamedInOneLine) {
  const ScratchDirectory scratch;
  const ScopedEnvironment module("PIPEWISE_CUDA_MODULE", scratch.file("libpipewise_cuda.so"));
  const CliResult result =
      run_pipewise("run --backend cuda --model 8,8,8,4 -s 1f1b -p 2 -m 2 --steps 1 --trace '" +
                   scratch.file("trace.json") + "'");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err, "pipewise run: error: --backend cuda: cannot load the CUDA module " +
                            scratch.file("libpipewise_cuda.so") + ": no such file\n");
  EXPECT_FALSE(std::filesystem::exists(scratch.file("trace.json")));
}

// The shared libraries a pipewise command loads, as the dynamic loader reports them
// (LD_DEBUG=libs writes one line per library it opens to stderr).
std::string libraries_loaded_by(const std::string& arguments) {
  const ScopedEnvironment debug("LD_DEBUG", "libs");
  return run_pipewise(arguments).err;
}

TEST(RunCudaBackend, OnlyACudaRunLoadsTheCudaLibraries) {
  for (const std::string& arguments :
       {std::string("--help"), std::string("simulate -s 1f1b -p 2 -m 4"),
        std::string(kTinyRun) + "-s 1f1b -p 2 -m 2", std::string("run --help")}) {
    const std::string loaded = libraries_loaded_by(arguments);
    ASSERT_NE(loaded.find("libstdc++"), std::string::npos) << "LD_DEBUG had no effect: " << loaded;
    for (const char* cuda : {"libpipewise_cuda", "libcudart", "libcublas", "libnccl", "libcuda."}) {
      EXPECT_EQ(loaded.find(cuda), std::string::npos) << "pipewise " << arguments << " loads " << cuda;
    }
  }
  const std::filesystem::path module =
      std::filesystem::path(PIPEWISE_BINARY).parent_path() / "libpipewise_cuda.so";
  if (!std::filesystem::exists(module)) GTEST_SKIP() << "this build has no CUDA module";
  const std::string cuda_run =
      libraries_loaded_by("run --backend cuda --model 8,8,8,4 -s 1f1b -p 2 -m 2 --steps 1");
  EXPECT_NE(cuda_run.find("libpipewise_cuda.so"), std::string::npos) << cuda_run;
  EXPECT_NE(cuda_run.find("libcudart"), std::string::npos) << cuda_run;
}

}  // namespace
}  // namespace pipewise::tools::testing
