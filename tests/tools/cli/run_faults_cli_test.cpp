// `pipewise run --inject-fault`: a fault that fails the run ends the process promptly with
// exit status 1, one line on stderr naming the device, the op and the cause, and no output
// file, whole or partial; a delay alone only slows the run.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/tools/cli/cli_runner.hpp"

namespace pipewise::tools::testing {
namespace {

// A tiny MLP on 1F1B, p = 2, m = 4, one timed step and nothing else: the fault meets the
// first run of the schedule. Device 0: F0 SEND_F0 F1 SEND_F1 RECV_B0 B0 SEND_B0 ...;
// device 1: RECV_F0 F0 B0 SEND_B0 RECV_F1 F1 B1 SEND_B1 ....
constexpr const char* kFaultyRun =
    "run --backend cpu --model 8,8,8,8,4 --microbatch-size 4 -s 1f1b -p 2 -m 4 --steps 1 "
    "--warmup-steps 0 --profile-steps 0 --profile-repeats 1 ";

struct FaultCase {
  const char* name;
  const char* fault;  // the --inject-fault arguments
  const char* deadline_ms;  // --receive-deadline-ms: 30000 unless a deadline is the cause
  const char* device;
  const char* op;
  const char* cause;
};

class RunWithFault : public ::testing::TestWithParam<FaultCase> {};

TEST_P(RunWithFault, ExitsPromptlyWithOneLineNamingDeviceOpAndCauseAndWritesNoFile) {
  const ScratchDirectory scratch;
  const auto start = std::chrono::steady_clock::now();
  const CliResult result =
      run_pipewise(std::string(kFaultyRun) + "--receive-deadline-ms " + GetParam().deadline_ms +
                   " --svg '" + scratch.file("run.svg") + "' --trace '" + scratch.file("run.json") +
                   "' " + GetParam().fault);
  // With a 30 s deadline, only the executor's notice of the failure ends the peers' waits.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10))
      << "a peer waited for its 30 s receive deadline";
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_EQ(line_count(result.err), 1u) << result.err;
  for (const char* part : {GetParam().device, GetParam().op, GetParam().cause}) {
    EXPECT_NE(result.err.find(part), std::string::npos) << part << " not in: " << result.err;
  }
  EXPECT_EQ(result.out, "");
  EXPECT_TRUE(std::filesystem::is_empty(scratch.path())) << "an output file or temporary is left";
}

INSTANTIATE_TEST_SUITE_P(
    Faults, RunWithFault,
    ::testing::Values(
        FaultCase{"Throw", "--inject-fault throw@1:1F1", "30000", "device 1 failed at op",
                  "1F1 (forward", "injected failure"},
        FaultCase{"Kill", "--inject-fault kill@1:1B0", "30000", "device 1 failed before op",
                  "1B0 (backward", "its worker died (killed by fault injection)"},
        // The last gradient: device 1 finishes, and only device 0 waits.
        FaultCase{"DropPastTheDeadline", "--inject-fault drop@1:1SEND_B3", "200",
                  "device 0 failed at op", "0RECV_B3 (recv_grad",
                  "no message from device 1 within 200 ms"},
        FaultCase{"DelayPastTheDeadline", "--inject-fault delay@0:0F0:600", "200",
                  "device 1 failed at op", "1RECV_F0 (recv_activation",
                  "no message from device 0 within 200 ms"},
        FaultCase{"CorruptCaughtByTheChecksum", "--inject-fault corrupt@0:0SEND_F0", "30000",
                  "device 1 failed at op", "1RECV_F0 (recv_activation",
                  "the message from device 0 failed its checksum"},
        FaultCase{"FailedSend", "--inject-fault fail-send@1:1SEND_B0", "30000",
                  "device 1 failed at op", "1SEND_B0 (send_grad",
                  "transport failure sending to device 0"},
        FaultCase{"FirstOfTwoFaults", "--inject-fault throw@1:1F1 --inject-fault kill@0:0B3",
                  "30000", "device 1 failed at op", "1F1 (forward", "injected failure"}),
    [](const ::testing::TestParamInfo<FaultCase>& test) { return std::string(test.param.name); });

TEST(RunWithDelay, ADelayAloneSlowsTheRunAndItsFilesAreWrittenWhole) {
  const ScratchDirectory scratch;
  const auto start = std::chrono::steady_clock::now();
  const CliResult result =
      run_pipewise(std::string(kFaultyRun) + "--svg '" + scratch.file("run.svg") + "' --trace '" +
                   scratch.file("run.json") + "' --inject-fault delay@0:0F1:300 --format json");
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.err, "");
  EXPECT_NE(result.out.find("\"schema\""), std::string::npos);
  // The two files and nothing else (no temporary).
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(scratch.path())) {
    ++files;
    EXPECT_GT(std::filesystem::file_size(entry.path()), 0u) << entry.path();
  }
  EXPECT_EQ(files, 2u);
  EXPECT_NE(read_whole_file(scratch.file("run.svg")).find("</svg>"), std::string::npos);
  EXPECT_TRUE(nlohmann::json::accept(read_whole_file(scratch.file("run.json"))));
}

struct BadFault {
  const char* name;
  const char* fault;
  const char* message;
};

class RunRefusesFault : public ::testing::TestWithParam<BadFault> {};

TEST_P(RunRefusesFault, WithOneLineNamingTheProblemBeforeRunning) {
  const ScratchDirectory scratch;
  const CliResult result = run_pipewise(std::string(kFaultyRun) + "--svg '" +
                                        scratch.file("run.svg") + "' " + GetParam().fault);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(line_count(result.err), 1u) << result.err;
  EXPECT_NE(result.err.find(GetParam().message), std::string::npos) << result.err;
  EXPECT_TRUE(std::filesystem::is_empty(scratch.path()));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RunRefusesFault,
    ::testing::Values(
        BadFault{"UnknownKind", "--inject-fault explode@0:0F0",
                 "--inject-fault \"explode@0:0F0\": unknown fault \"explode\""},
        BadFault{"DeviceOutside", "--inject-fault kill@2:0F0",
                 "--inject-fault \"kill@2:0F0\": device \"2\" is not one of 0 to 1"},
        BadFault{"OpNotOnTheDevice", "--inject-fault throw@0:1F0",
                 "--inject-fault \"throw@0:1F0\": device 0 has no op \"1F0\" in its program"},
        BadFault{"DelayWithoutTime", "--inject-fault delay@0:0F1",
                 "delay needs its milliseconds: delay@DEVICE:OP:MS"},
        BadFault{"ZeroDeadline", "--receive-deadline-ms 0",
                 "--receive-deadline-ms must be between 1 and 86400000 (got 0)"}),
    [](const ::testing::TestParamInfo<BadFault>& test) { return std::string(test.param.name); });

}  // namespace
}  // namespace pipewise::tools::testing
