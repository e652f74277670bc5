// End-to-end tests of `pipewise search`: the real binary finds a schedule under a memory
// cap, reports it beside the best hand-written one, and writes it as a file that simulate
// and convert read back with the same numbers; bad input is refused in one line.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "tests/tools/cli/cli_runner.hpp"

namespace pipewise::tools {
namespace {

using testing::CliResult;
using testing::expect_refused;
using testing::read_whole_file;
using testing::Refusal;
using testing::run_pipewise;
using testing::ScratchDirectory;

// Four stages, stage 1 half as slow again as the others, 0.2 ms messages.
constexpr const char* kUnevenCosts = R"({"schema": "pipewise.costs", "version": 1,
  "compute": {"forward": 1, "backward": 2, "backward_weight": 1},
  "stages": [{"stage": 1, "forward": 1.5, "backward": 3, "backward_weight": 1.5}]})";
constexpr const char* kMemoryFlags = "--activation-bytes 1e6 --parameter-bytes 1e6 --latency-us 200";

TEST(SearchCommand, BeatsTheHandWrittenSchedulesAtOneFOneBMemoryAndWritesWhatSimulateReproduces) {
  const ScratchDirectory scratch;
  const std::string costs = scratch.write("costs.json", kUnevenCosts);
  const std::string schedule = scratch.file("best.json");
  const CliResult search =
      run_pipewise("search -p 4 -m 8 --costs '" + costs + "' " + kMemoryFlags +
                   " --memory-cap 1f1b -f json --write-schedule '" + schedule + "'");
  ASSERT_EQ(search.exit_code, 0) << search.err;
  const nlohmann::json report = nlohmann::json::parse(search.out);
  const double best = report["best"]["makespan_ms"].get<double>();
  const double cap = report["memory_cap_bytes"].get<double>();
  EXPECT_FALSE(report["best"]["hand_written"].get<bool>());
  EXPECT_LT(best, report["best_hand_written"]["makespan_ms"].get<double>());
  EXPECT_LE(report["best"]["peak_bytes"].get<double>(), cap);
  EXPECT_GE(best, report["lower_bound_ms"].get<double>() - 1e-9);
  // Every hand-written schedule that fits is no faster than the answer.
  for (const auto& candidate : report["candidates"]) {
    if (candidate["fits"].get<bool>()) {
      EXPECT_GE(candidate["makespan_ms"].get<double>(), best - 1e-9);
    }
  }

  // The cap is 1F1B's own simulated peak with these costs.
  const CliResult one_f_one_b = run_pipewise("simulate -s 1f1b -p 4 -m 8 --costs '" + costs + "' " +
                                             kMemoryFlags + " -f json");
  ASSERT_EQ(one_f_one_b.exit_code, 0) << one_f_one_b.err;
  double one_f_one_b_peak = 0;
  const nlohmann::json one_f_one_b_metrics = nlohmann::json::parse(one_f_one_b.out);
  for (const auto& device : one_f_one_b_metrics["devices"]) {
    one_f_one_b_peak = std::max(one_f_one_b_peak, device["peak_memory_bytes"].get<double>());
  }
  EXPECT_DOUBLE_EQ(cap, one_f_one_b_peak);

  // simulate reads the file back and finds the same makespan and memory.
  const CliResult replay = run_pipewise("simulate --schedule-file '" + schedule + "' --costs '" +
                                        costs + "' " + kMemoryFlags + " -f json");
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  const nlohmann::json metrics = nlohmann::json::parse(replay.out);
  EXPECT_NEAR(metrics["makespan"].get<double>(), best, 1e-9);
  for (const auto& device : metrics["devices"]) EXPECT_LE(device["peak_memory_bytes"].get<double>(), cap);
}

TEST(SearchCommand, WritesPyTorchTextThatConvertAndValidateRead) {
  const ScratchDirectory scratch;
  const std::string text = scratch.file("best.csv");
  const CliResult search = run_pipewise("search -p 3 -m 6 -v 2 --placement v-shape --backward-weight-ms 0.8 "
                                        "--write-schedule '" + text + "' --pytorch-compatible");
  ASSERT_EQ(search.exit_code, 0) << search.err;
  EXPECT_NE(search.out.find("best:"), std::string::npos) << search.out;
  const std::string written = read_whole_file(text);
  EXPECT_NE(written.find("0F0"), std::string::npos) << written;
  EXPECT_EQ(written.find("STEP"), std::string::npos) << "PyTorch's actions only";
  const CliResult validate = run_pipewise("validate '" + text + "'");
  EXPECT_EQ(validate.exit_code, 0) << validate.out << validate.err;
  const CliResult convert = run_pipewise("convert '" + text + "' '" + scratch.file("back.json") + "'");
  EXPECT_EQ(convert.exit_code, 0) << convert.err;
}

TEST(SearchCommand, TheTableNamesTheAnswerTheBestHandWrittenScheduleAndTheGap) {
  const CliResult search = run_pipewise("search -p 4 -m 8 --top 2");
  ASSERT_EQ(search.exit_code, 0) << search.err;
  for (const char* part : {"best:", "lower bound", "gap", "best hand-written:", "searched", "1f1b",
                           "zb-h1", "dualpipe", "makespan ms"}) {
    EXPECT_NE(search.out.find(part), std::string::npos) << part << " in\n" << search.out;
  }
  // Schedules that take none of the shapes searched are not listed for the shapes they refuse.
  EXPECT_EQ(search.out.find("v must be"), std::string::npos) << search.out;
}

// With a cost file of p stages only v = 1 looped and v = 2 bidirectional are searched, and
// the V-shaped schedules take neither: each is listed once, with both reasons.
TEST(SearchCommand, AScheduleThatTakesNoShapeIsListedOnce) {
  const ScratchDirectory scratch;
  const std::string costs = scratch.write("costs.json", kUnevenCosts);
  const CliResult search = run_pipewise("search -p 4 -m 8 --costs '" + costs + "'");
  ASSERT_EQ(search.exit_code, 0) << search.err;
  std::istringstream lines(search.out);
  std::size_t rows = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.find(" zbv ") == std::string::npos) continue;
    ++rows;
    EXPECT_NE(line.find("none of these"), std::string::npos) << line;
    EXPECT_NE(line.find("v must be 2 (got 1); "), std::string::npos) << line;
    EXPECT_NE(line.find("placement must be v-shape (got bidirectional)"), std::string::npos) << line;
  }
  EXPECT_EQ(rows, 1u) << search.out;
}

TEST(SearchCommand, ACapNothingFitsFailsAndWritesNoFile) {
  const ScratchDirectory scratch;
  const std::string schedule = scratch.file("best.json");
  const CliResult search = run_pipewise(std::string("search -p 4 -m 8 ") + kMemoryFlags +
                                        " --memory-cap 0.001 --write-schedule '" + schedule + "'");
  EXPECT_EQ(search.exit_code, 1);
  EXPECT_NE(search.err.find("no schedule fits the memory cap"), std::string::npos) << search.err;
  EXPECT_FALSE(std::filesystem::exists(schedule));
}

// Per-stage times name the stages of one split of the model: by default only the shapes
// with p model stages are searched, and -v giving two splits is refused.
TEST(SearchCommand, PerStageCostsSearchTheShapesTheyDescribe) {
  const ScratchDirectory scratch;
  const std::string costs = scratch.write("costs.json", kUnevenCosts);
  const CliResult search = run_pipewise("search -p 4 -m 8 --costs '" + costs + "'");
  ASSERT_EQ(search.exit_code, 0) << search.err;
  EXPECT_NE(search.out.find("on v=1 looped, v=2 bidirectional in"), std::string::npos) << search.out;
  testing::expect_refused({"TwoSplits", ("search -p 4 -m 8 -v 1,2 --costs '" + costs + "'").c_str(),
                           "name stages of one split of the model"});
}

class SearchRefusal : public ::testing::TestWithParam<Refusal> {};

TEST_P(SearchRefusal, NamesTheProblemInOneLine) { expect_refused(GetParam()); }

INSTANTIATE_TEST_SUITE_P(
    Search, SearchRefusal,
    ::testing::Values(
        Refusal{"NoStages", "search -m 8", "--stages is required"},
        Refusal{"CapWithoutActivationBytes", "search -p 4 -m 8 --memory-cap 1f1b",
                "--memory-cap needs activations that cost memory"},
        Refusal{"CapNeitherNumberNorSchedule", "search -p 4 -m 8 --activation-bytes 1e6 --memory-cap lots",
                "--memory-cap must be a number of GiB > 0 or a schedule name"},
        Refusal{"NegativeCap", "search -p 4 -m 8 --activation-bytes 1e6 --memory-cap -2",
                "--memory-cap must be a number of GiB > 0"},
        Refusal{"ZeroChunks", "search -p 4 -m 8 -v 0", "is not a chunk count between 1 and 64"},
        Refusal{"NoShape", "search -p 4 -m 8 -v 1 --placement v-shape", "no shape to search"},
        Refusal{"UnknownPlacement", "search -p 4 -m 8 --placement zigzag", "zigzag"},
        Refusal{"AsynchronousSchedule", "search -p 4 -m 8 -s pipedream", "is asynchronous"},
        Refusal{"UnknownScheduleFileForm", "search -p 4 -m 8 --write-schedule best.bin",
                "cannot tell the form"},
        Refusal{"PyTorchCompatibleWithoutFile", "search -p 4 -m 8 --pytorch-compatible",
                "--pytorch-compatible needs --write-schedule"},
        Refusal{"NegativeTop", "search -p 4 -m 8 --top -1", "--top must be >= 0"},
        Refusal{"WLongerThanB", "search -p 4 -m 8 --backward-ms 1 --backward-weight-ms 2",
                "cannot exceed --backward-ms"},
        // It once ended the process from a worker thread (std::terminate on bad_alloc).
        Refusal{"MoreThanAnyMachineHolds", "search -p 65536 -m 2147483647",
                "for its list schedules and their simulations"}),
    [](const ::testing::TestParamInfo<Refusal>& refusal) { return std::string(refusal.param.name); });

}  // namespace
}  // namespace pipewise::tools
