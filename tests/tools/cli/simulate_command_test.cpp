// End-to-end tests of `pipewise simulate`: the real binary, its outputs and its errors.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace {

namespace fs = std::filesystem;

struct Outcome {
  int status = -1;
  std::string out;
  std::string err;
};

std::string slurp(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

class SimulateCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = fs::path(::testing::TempDir()) /
                 ("pipewise_simulate_" +
                  std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(directory_);
    fs::create_directories(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }

  Outcome simulate(const std::string& arguments) {
    const fs::path err = directory_ / "stderr.txt";
    const std::string command = std::string(PIPEWISE_BINARY) + " simulate " + arguments +
                                " 2> '" + err.string() + "'";
    Outcome outcome;
    FILE* pipe = popen(command.c_str(), "r");
    char buffer[4096];
    for (std::size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) outcome.out.append(buffer, n);
    const int status = pclose(pipe);
    outcome.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    outcome.err = slurp(err);
    return outcome;
  }

  fs::path file(const std::string& name, const std::string& contents = "") {
    const fs::path path = directory_ / name;
    if (!contents.empty()) std::ofstream(path) << contents;
    return path;
  }

  fs::path directory_;
};

TEST_F(SimulateCommand, JsonReportOfOneFOneB) {
  const Outcome outcome = simulate("--schedule 1f1b --stages 4 --microbatches 8 --format json");
  ASSERT_EQ(outcome.status, 0) << outcome.err;
  const auto report = nlohmann::json::parse(outcome.out);
  // (m+p-1)(F+B) with the defaults F = 1 ms, B = 2 ms; bubble (p-1)/(m+p-1) = 3/11.
  EXPECT_DOUBLE_EQ(report["makespan"].get<double>(), 33.0);
  EXPECT_DOUBLE_EQ(report["bubble_ratio"].get<double>(), 3.0 / 11.0);
  EXPECT_EQ(report["devices"].size(), 4u);
}

TEST_F(SimulateCommand, AStreamedRunReportsWhatTheWholeScheduleDoes) {
  // Without a timeline output these schedules are streamed; --svg makes the command keep
  // the whole schedule. The JSON reports must be identical.
  const fs::path svg = directory_ / "timeline.svg";
  for (const std::string arguments :
       {"-s 1f1b -p 8 -m 64", "-s naive -p 3 -m 5 -n 2",
        "-s interleaved -p 4 -v 3 -m 100 -n 2 --latency-us 30 --activation-bytes 1e6 --bandwidth 10",
        "-s gpipe -p 3 -m 200 --parameter-bytes 1e9 --optimizer adam --data-parallel-size 4"}) {
    const Outcome streamed = simulate(arguments + " -f json");
    const Outcome whole = simulate(arguments + " -f json --svg '" + svg.string() + "'");
    ASSERT_EQ(streamed.status, 0) << arguments << ": " << streamed.err;
    ASSERT_EQ(whole.status, 0) << arguments << ": " << whole.err;
    EXPECT_EQ(streamed.out, whole.out) << arguments;
  }
}

TEST_F(SimulateCommand, CostFlagsAndMicrobatchSize) {
  const Outcome outcome = simulate(
      "-s gpipe -p 2 -m 4 --cost-f 2 --cost-b 3 --microbatch-size 8 --data-parallel 2 --format json");
  ASSERT_EQ(outcome.status, 0) << outcome.err;
  const auto report = nlohmann::json::parse(outcome.out);
  // (4+1)(2+3) = 25 ms; 4 micro-batches of 8 samples on 2 replicas per 25 ms = 2560 /s.
  EXPECT_DOUBLE_EQ(report["makespan"].get<double>(), 25.0);
  EXPECT_NEAR(report["samples_per_second"].get<double>(), 2560.0, 1e-9);
}

TEST_F(SimulateCommand, CostFileWithASlowLastStage) {
  const fs::path costs = file("costs.json", R"({"stages": [{"stage": 2, "forward": 2, "backward": 4}]})");
  const Outcome outcome = simulate("-s gpipe -p 3 -m 2 --format json --costs '" + costs.string() + "'");
  ASSERT_EQ(outcome.status, 0) << outcome.err;
  // Worked out in tests/sim/cost_file_test.cpp: 18 ms.
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(outcome.out)["makespan"].get<double>(), 18.0);
}

TEST_F(SimulateCommand, ScheduleFileInPyTorchForm) {
  const fs::path schedule = file("naive.txt", "0F0,0B0\n1F0,1B0\n");
  const Outcome outcome = simulate("--schedule-file '" + schedule.string() + "' --format csv");
  ASSERT_EQ(outcome.status, 0) << outcome.err;
  std::istringstream lines(outcome.out);
  std::string header, device0, device1;
  std::getline(lines, header);
  std::getline(lines, device0);
  std::getline(lines, device1);
  // p = 2, m = 1: (1+1)·3 = 6 ms.
  EXPECT_EQ(device0.rfind("custom,2,1,1,1,6,", 0), 0u) << device0;
  EXPECT_EQ(device1.rfind("custom,2,1,1,1,6,", 0), 0u) << device1;
}

TEST_F(SimulateCommand, WritesTraceAndSvgFiles) {
  const fs::path trace = directory_ / "trace.json";
  const fs::path svg = directory_ / "timeline.svg";
  const Outcome outcome = simulate("-s interleaved -p 2 -m 4 -v 2 --comm-latency 0.1 --trace '" +
                                   trace.string() + "' --svg '" + svg.string() + "' --ascii");
  ASSERT_EQ(outcome.status, 0) << outcome.err;
  EXPECT_NE(outcome.out.find("d0 |F0"), std::string::npos) << outcome.out;
  const auto events = nlohmann::json::parse(slurp(trace))["traceEvents"];
  EXPECT_GT(events.size(), 2u * 2u * 4u * 2u);  // at least every F and B of 4 stages
  const std::string picture = slurp(svg);
  EXPECT_EQ(picture.rfind("<?xml", 0), 0u);
  EXPECT_NE(picture.find("</svg>"), std::string::npos);
  // Nothing but the two outputs and the captured stderr is left in the directory.
  int entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(directory_)) ++entries;
  EXPECT_EQ(entries, 3);
}

TEST_F(SimulateCommand, BadValuesFailWithOneLine) {
  const fs::path bad_costs = file("bad.json", R"({"compute": {"forward": "fast"}})");
  for (const std::string& arguments :
       {std::string("-s 1f1b -p 4 -m 8 --cost-f -1"), std::string("-s 1f1b -p 4 -m 8 --cost-b 1 --cost-w 2"),
        std::string("-s 1f1b -p 4 -m 8 --comm-mode sometimes"),
        std::string("-s 1f1b -p 4 -m 8 --format yaml"), std::string("-s 1f1b -p 4 -m 8 --optimizer lamb"),
        std::string("-s 1f1b -p 4 -m 8 --data-parallel 0"),
        std::string("-s 1f1b -p 4 -m 8 --costs '" + bad_costs.string() + "'"),
        std::string("-s 1f1b -p 4 -m 8 --trace /no/such/dir/trace.json"),
        std::string("-s 1f1b -p 0 -m 8"), std::string("-s 1f1b -p 4 -m 8 --bandwidth fast")}) {
    const Outcome outcome = simulate(arguments);
    EXPECT_EQ(outcome.status, 1) << arguments;
    EXPECT_EQ(outcome.err.rfind("pipewise simulate: error: ", 0), 0u) << arguments << ": " << outcome.err;
    EXPECT_EQ(std::count(outcome.err.begin(), outcome.err.end(), '\n'), 1) << arguments << ": " << outcome.err;
  }
  EXPECT_NE(simulate("-s 1f1b -p 4 -m 8 --costs '" + bad_costs.string() + "'")
                .err.find("$.compute.forward must be a finite number (got \"fast\")"),
            std::string::npos);
}

}  // namespace
