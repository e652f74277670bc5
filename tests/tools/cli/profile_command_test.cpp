// `pipewise profile` and the loop it closes, end to end on the real binary: the cost file it
// writes is read as is by simulate and sweep, `run --costs` predicts from it (its own split
// and another), `run --schedule LIST` compares schedules side by side, and bad input is
// refused in one line with no file written. No timing is asserted: only what follows from the
// file (a file with every time doubled doubles the predicted step).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "tests/tools/cli/cli_runner.hpp"

namespace pipewise::tools::testing {
namespace {

// Four layers of 8 -> 8 -> 8 -> 8 -> 4: p = 2 splits them 2 + 2, p·v = 4 one per stage.
constexpr const char* kTinyModel =
    " --backend cpu --model 8,8,8,8,4 --microbatch-size 4 --steps 1 --warmup-steps 1 "
    "--profile-repeats 3 ";

class ProfileCommand : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    scratch_ = new ScratchDirectory();
    costs_ = scratch_->file("costs.json");
    profile_result_ = new CliResult(run_pipewise(std::string("profile -s 1f1b -p 2 -m 4") +
                                                 kTinyModel + "--profile-steps 1 -o '" + costs_ + "'"));
  }
  static void TearDownTestSuite() {
    delete profile_result_;
    delete scratch_;
  }

  // The predicted step time of `run ARGUMENTS --format csv` on the tiny model.
  static double predicted_step_ms(const std::string& arguments) {
    return csv_predicted_step_ms("run" + std::string(kTinyModel) + arguments);
  }

  // The predicted step time of `COMMAND --format csv` (a run).
  static double csv_predicted_step_ms(const std::string& command) {
    const CliResult result = run_pipewise(command + " --format csv");
    EXPECT_EQ(result.exit_code, 0) << command << "\n" << result.err;
    std::istringstream lines(result.out);
    std::string header;
    std::string row;
    std::getline(lines, header);
    std::getline(lines, row);
    // schedule,backend,stages,chunks,microbatches,iterations,measured_step_ms,predicted_step_ms,...
    std::istringstream cells(row);
    std::string cell;
    for (int column = 0; column < 8; ++column) std::getline(cells, cell, ',');
    return std::stod(cell);
  }

  static ScratchDirectory* scratch_;
  static std::string costs_;
  static CliResult* profile_result_;
};

ScratchDirectory* ProfileCommand::scratch_ = nullptr;
std::string ProfileCommand::costs_;
CliResult* ProfileCommand::profile_result_ = nullptr;

TEST_F(ProfileCommand, WritesAMeasuredCostFile) {
  ASSERT_EQ(profile_result_->exit_code, 0) << profile_result_->err;
  EXPECT_NE(profile_result_->out.find("wrote"), std::string::npos);
  const nlohmann::json file = nlohmann::json::parse(read_whole_file(costs_));
  EXPECT_EQ(file["schema"], "pipewise.costs");
  ASSERT_EQ(file["stages"].size(), 2u);
  EXPECT_GT(file["stages"][0]["forward"].get<double>(), 0.0);
  EXPECT_EQ(file["profile"]["model_stages"], 2);
  EXPECT_EQ(file["profile"]["layers"].size(), 4u);
  EXPECT_EQ(file["profile"]["schedule"], "1f1b");
}

TEST_F(ProfileCommand, SimulateAndSweepReadTheFileAsIs) {
  const CliResult simulated = run_pipewise("simulate -s gpipe -p 2 -m 8 --costs '" + costs_ + "'");
  EXPECT_EQ(simulated.exit_code, 0) << simulated.err;
  const CliResult swept = run_pipewise("sweep -s gpipe,1f1b -p 2 -m 4,8 --costs '" + costs_ + "'");
  EXPECT_EQ(swept.exit_code, 0) << swept.err;
}

// At another split than the profiled one, simulate and sweep cost each stage as the sum of its
// layers, exactly as run --costs predicts it; a split the model cannot make is refused.
TEST_F(ProfileCommand, SimulateAndSweepCostAnotherSplitFromTheLayers) {
  const CliResult simulated =
      run_pipewise("simulate -s interleaved -p 2 -v 2 -m 4 -f json --costs '" + costs_ + "'");
  ASSERT_EQ(simulated.exit_code, 0) << simulated.err;
  const double makespan = nlohmann::json::parse(simulated.out)["makespan"].get<double>();
  const double predicted = predicted_step_ms("-s interleaved -p 2 -v 2 -m 4 --costs '" + costs_ + "'");
  EXPECT_NEAR(makespan, predicted, 1e-3 + 1e-5 * predicted);

  const CliResult swept =
      run_pipewise("sweep -s interleaved -p 2 -v 2 -m 4 -f csv --costs '" + costs_ + "'");
  ASSERT_EQ(swept.exit_code, 0) << swept.err;
  EXPECT_NE(swept.out.find("interleaved,2,2,4,"), std::string::npos) << swept.out;

  const std::string too_many = "simulate -s 1f1b -p 8 -m 8 --costs '" + costs_ + "'";
  expect_refused({"MoreStagesThanLayers", too_many.c_str(), "cannot be split into 8 stages"});
}

// The prediction comes from the file: every time in it doubled (and the bandwidth halved)
// doubles the predicted step, at the profiled split and at v = 2 (from the layers).
TEST_F(ProfileCommand, RunPredictsFromTheFile) {
  nlohmann::json doubled = nlohmann::json::parse(read_whole_file(costs_));
  const auto double_times = [](nlohmann::json& costs) {
    for (const char* kind : {"forward", "backward_input", "backward_weight", "optimizer_step"}) {
      if (costs.contains(kind)) costs[kind] = costs[kind].get<double>() * 2;
    }
  };
  for (auto& stage : doubled["stages"]) double_times(stage);
  for (auto& layer : doubled["profile"]["layers"]) double_times(layer);
  doubled["communication"]["latency"] = doubled["communication"]["latency"].get<double>() * 2;
  doubled["communication"]["bandwidth"] = doubled["communication"]["bandwidth"].get<double>() / 2;
  const std::string doubled_path = scratch_->write("doubled.json", doubled.dump());

  for (const std::string schedule : {"-s 1f1b -p 2 -m 4", "-s interleaved -p 2 -v 2 -m 4"}) {
    const double once = predicted_step_ms(schedule + " --costs '" + costs_ + "'");
    const double twice = predicted_step_ms(schedule + " --costs '" + doubled_path + "'");
    EXPECT_GT(once, 0.0) << schedule;
    EXPECT_NEAR(twice / once, 2.0, 1e-4) << schedule;
  }
}

TEST_F(ProfileCommand, ScheduleListPrintsOneRowPerSchedule) {
  const CliResult table = run_pipewise("run" + std::string(kTinyModel) +
                                       "-s naive,gpipe,1f1b,interleaved -p 2 -v 2 -m 4 --costs '" +
                                       costs_ + "'");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  for (const char* schedule : {"\nnaive ", "\ngpipe ", "\n1f1b ", "\ninterleaved "}) {
    EXPECT_NE(table.out.find(schedule), std::string::npos) << schedule << " in\n" << table.out;
  }
  EXPECT_NE(table.out.find("final loss"), std::string::npos);
  // The header, the rule and one row per schedule after the title line.
  EXPECT_EQ(line_count(table.out), 1u + 2u + 4u) << table.out;

  const CliResult csv = run_pipewise("run" + std::string(kTinyModel) + "-s gpipe,1f1b -p 2 -m 4 --format csv");
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(line_count(csv.out), 3u) << csv.out;
}

TEST_F(ProfileCommand, BadInputIsRefusedInOneLineWithNoFileWritten) {
  const std::string missing = "run -s 1f1b -p 2 -m 4 --costs '" + scratch_->file("none.json") + "'";
  expect_refused({"MissingCostFile", missing.c_str(), "cannot read"});
  const std::string invalid_path = scratch_->write("invalid.json", "{\"stages\": [}");
  const std::string invalid = "run -s 1f1b -p 2 -m 4 --costs '" + invalid_path + "'";
  expect_refused({"InvalidCostFile", invalid.c_str(), "invalid.json"});
  const std::string other_model = "run --backend cpu --model 8,8,8,8,8,4 --microbatch-size 4 "
                                  "-s 1f1b -p 2 -m 4 --costs '" + costs_ + "'";
  expect_refused({"AnotherModel", other_model.c_str(), "profiled the model 8,8,8,8,4"});
  expect_refused({"UnknownScheduleInList", "run -s gpipe,nosuch -p 2 -m 4", "nosuch"});

  const std::string written = scratch_->file("refused.json");
  const std::string unknown = "profile -s nosuch -p 2 -m 4 -o '" + written + "'";
  expect_refused({"ProfileUnknownSchedule", unknown.c_str(), "nosuch"});
  expect_refused({"ProfileNeedsOutput", "profile -s 1f1b -p 2 -m 4", "-o/--output FILE"});
  EXPECT_FALSE(std::filesystem::exists(written));

  // A list that fails at its second schedule (4 layers cannot make p·v = 6 stages) prints
  // nothing of the first.
  const CliResult failed =
      run_pipewise("run" + std::string(kTinyModel) + "-s 1f1b,interleaved -p 2 -v 3 -m 4");
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_EQ(failed.out, "");
  EXPECT_EQ(line_count(failed.err), 1u) << failed.err;
}

// recommend --costs closes the loop: its best configuration's `pipewise run` command predicts
// exactly the step the recommendation printed (the same costs and simulator), and measures it.
TEST_F(ProfileCommand, RecommendNamesARunThatPredictsItsStep) {
  const CliResult recommended = run_pipewise("recommend --costs '" + costs_ +
                                             "' --devices 2 --global-batch-size 16 -f json");
  ASSERT_EQ(recommended.exit_code, 0) << recommended.err;
  const nlohmann::json answer = nlohmann::json::parse(recommended.out);
  EXPECT_EQ(answer["schema"], "pipewise.profiled-recommendation");
  ASSERT_GE(answer["answers"].size(), 2u);
  const nlohmann::json& best = answer["answers"][0];
  EXPECT_EQ(best["microbatches"], 4);  // 16 samples / 4 per micro-batch, d = 1 (no all-reduce measured)
  EXPECT_LE(best["step_ms"].get<double>(), answer["answers"][1]["step_ms"].get<double>());
  std::string command = best["run"].get<std::string>();
  ASSERT_EQ(command.rfind("pipewise run ", 0), 0u) << command;
  command = command.substr(std::string("pipewise ").size()) + " --steps 1 --warmup-steps 1 --profile-repeats 3";
  const double predicted = csv_predicted_step_ms(command);
  EXPECT_NEAR(predicted, best["step_ms"].get<double>(), 1e-3 + 1e-5 * predicted) << command;

  const std::string picture = scratch_->file("recommend.svg");
  const CliResult table = run_pipewise("recommend --costs '" + costs_ + "' --devices 2 --global-batch-size 16 --svg '" +
                                       picture + "'");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  const std::string svg = read_whole_file(picture);
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("best: " + best["schedule"].get<std::string>()), std::string::npos);
  EXPECT_NE(svg.find("predicted timeline of the best configuration"), std::string::npos);
  EXPECT_NE(table.out.find("measure the best one beside this prediction:\n  pipewise run "), std::string::npos)
      << table.out;
  EXPECT_NE(table.out.find("d > 1 replicas need the all-reduce measured"), std::string::npos) << table.out;
}

TEST_F(ProfileCommand, RecommendFromTheFileRefusesBadInputInOneLine) {
  const std::string file = " --costs '" + costs_ + "'";
  const std::string no_devices = "recommend" + file + " --global-batch-size 16";
  expect_refused({"NoDevices", no_devices.c_str(), "needs --devices N"});
  const std::string no_batch = "recommend" + file + " --devices 2";
  expect_refused({"NoBatch", no_batch.c_str(), "needs --global-batch-size SAMPLES"});
  const std::string model_flag = "recommend" + file + " --devices 2 --global-batch-size 16 --hidden-size 64";
  expect_refused({"ModelFlag", model_flag.c_str(), "--hidden-size cannot be used with --costs"});
  const std::string plain = scratch_->write("plain.json", "{\"compute\": {\"forward\": 1}}");
  const std::string unmeasured = "recommend --costs '" + plain + "' --devices 2 --global-batch-size 16";
  expect_refused({"Unmeasured", unmeasured.c_str(), "has no \"profile\" section"});

  // Nothing fits a 1-byte cap: exit 1 with one line, the report (what was tried) on stdout,
  // neither the -o file nor the picture written.
  const std::string written = scratch_->file("answer.txt");
  const std::string picture = scratch_->file("answer.svg");
  const CliResult none = run_pipewise("recommend" + file + " --devices 2 --global-batch-size 16 --memory-cap 1e-9 -o '" +
                                      written + "' --svg '" + picture + "'");
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_EQ(line_count(none.err), 1u) << none.err;
  EXPECT_NE(none.err.find("no configuration fits"), std::string::npos) << none.err;
  EXPECT_FALSE(std::filesystem::exists(written));
  EXPECT_FALSE(std::filesystem::exists(picture));
}

TEST(ProfileCudaBackend, WithoutCudaOrADeviceSaysSoInOneLineWithNoFileWritten) {
  const ScratchDirectory scratch;
  const std::string costs = scratch.file("costs.json");
  const CliResult result = run_pipewise(
      "profile --backend cuda --model 8,8,8,4 -s 1f1b -p 2 -m 2 --steps 1 --profile-steps 1 -o '" +
      costs + "'");
  if (result.exit_code == 0) {
    // A GPU is here: the file is the GPU's costs, as the CPU's would be.
    const nlohmann::json file = nlohmann::json::parse(read_whole_file(costs));
    EXPECT_EQ(file["profile"]["backend"], "cuda");
    EXPECT_EQ(file["stages"].size(), 2u);
    GTEST_SKIP() << "this build has CUDA and the machine a GPU: profiled on it";
  }
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(line_count(result.err), 1u) << result.err;
  const bool explained = result.err.find("pipewise was built without CUDA") != std::string::npos ||
                         result.err.find("no CUDA device") != std::string::npos;
  EXPECT_TRUE(explained) << result.err;
  EXPECT_FALSE(std::filesystem::exists(costs));
}

}  // namespace
}  // namespace pipewise::tools::testing
