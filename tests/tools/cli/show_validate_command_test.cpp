// End-to-end tests of `pipewise show` and `pipewise validate`.
#include <gtest/gtest.h>

#include "tests/tools/cli/cli_runner.hpp"

namespace pipewise::tools::testing {
namespace {

TEST(ShowCommand, PrintsTheOneFOneBProgramsAsPublished) {
  const CliResult result = run_pipewise("show --schedule 1f1b --stages 4 --microbatches 8");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  // Device 0 warms up with p-1 = 3 forwards, then alternates, then cools down.
  EXPECT_NE(result.out.find("device 0: 0F0 0F1 0F2 0F3 0B0 0F4 0B1 0F5 0B2 0F6 0B3 0F7 0B4 "
                            "0B5 0B6 0B7 0STEP\n"),
            std::string::npos)
      << result.out;
  // The last device alternates from the start.
  EXPECT_NE(result.out.find("device 3: 3F0 3B0 3F1 3B1 3F2 3B2 3F3 3B3 3F4 3B4 3F5 3B5 3F6 "
                            "3B6 3F7 3B7 3STEP\n"),
            std::string::npos);
  // The grid: one row per device, and device 3 idles before its first forward.
  EXPECT_NE(result.out.find("d3 |............F0"), std::string::npos) << result.out;
}

TEST(ShowCommand, PipeDreamFlushIsAnAliasOfOneFOneB) {
  const CliResult alias = run_pipewise("show -s pipedream-flush -p 3 -m 5 --format pytorch");
  const CliResult canonical = run_pipewise("show -s 1f1b -p 3 -m 5 --format pytorch");
  ASSERT_EQ(alias.exit_code, 0) << alias.err;
  EXPECT_EQ(alias.out.substr(alias.out.find('\n')), canonical.out.substr(canonical.out.find('\n')));
}

TEST(ShowCommand, GpipeInPyTorchNotation) {
  const CliResult result = run_pipewise("show -s gpipe -p 2 -m 2 --format pytorch");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("0F0,0F1,0B0,0B1,0STEP\n1F0,1F1,1B0,1B1,1STEP\n"), std::string::npos)
      << result.out;
}

TEST(ShowCommand, LoweredProgramsCarrySendsAndReceives) {
  const CliResult result = run_pipewise("show -s gpipe -p 2 -m 1 --lowered");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("device 0: 0F0 0SEND_F0 0RECV_B0 0B0 0STEP\n"), std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("device 1: 1RECV_F0 1F0 1B0 1SEND_B0 1STEP\n"), std::string::npos);
}

TEST(ShowCommand, NcclShowsTheReceivesPostedAheadForNcclGroups) {
  // Interleaved p = 2, v = 2: device 0 receives 2B1's gradient with its 2SEND_B0, device 1
  // 1B0's with 3SEND_B1 (exec/cuda/planning/receives_ahead.hpp); the lowered form has them
  // just before their backwards.
  const CliResult nccl = run_pipewise("show -s interleaved -p 2 -v 2 -m 4 --nccl");
  ASSERT_EQ(nccl.exit_code, 0) << nccl.err;
  EXPECT_NE(nccl.out.find(" 2B0 2SEND_B0 2RECV_B1 0F3 "), std::string::npos) << nccl.out;
  EXPECT_NE(nccl.out.find(" 3B1 3SEND_B1 1RECV_F2 1RECV_B0 1F2 "), std::string::npos) << nccl.out;
  const CliResult lowered = run_pipewise("show -s interleaved -p 2 -v 2 -m 4 --lowered");
  EXPECT_NE(lowered.out.find(" 0F3 0SEND_F3 2RECV_B1 2B1 "), std::string::npos) << lowered.out;
  // Where NCCL's groups complete as lowered, --nccl shows the lowered programs.
  EXPECT_EQ(run_pipewise("show -s 1f1b -p 3 -m 6 --nccl").out, run_pipewise("show -s 1f1b -p 3 -m 6 --lowered").out);
  const CliResult two_copies = run_pipewise("show -s dualpipe -p 4 -m 8 --nccl");
  EXPECT_EQ(two_copies.exit_code, 1);
  EXPECT_EQ(two_copies.err.rfind("pipewise show: error: --nccl: a bidirectional schedule", 0), 0u) << two_copies.err;
}

TEST(ShowCommand, EveryScheduleShows) {
  for (const char* arguments :
       {"-s naive -p 4 -m 3", "-s gpipe -p 4 -m 3", "-s 1f1b -p 4 -m 3",
        "-s interleaved -p 2 -v 2 -m 4", "-s pipedream -p 3 -m 4 -n 2",
        "-s pipedream-2bw -p 3 -m 3 -n 2"}) {
    const CliResult result = run_pipewise(std::string("show ") + arguments);
    EXPECT_EQ(result.exit_code, 0) << arguments << ": " << result.err;
    EXPECT_NE(result.out.find("device 0:"), std::string::npos) << arguments;
  }
}

TEST(ShowCommand, JsonExportValidatesAndRoundTripsByteForByte) {
  const ScratchDirectory scratch;
  for (const char* arguments : {"-s interleaved -p 4 -v 2 -m 8", "-s pipedream -p 4 -m 4 -n 3"}) {
    const CliResult first = run_pipewise(std::string("show ") + arguments + " --format json");
    ASSERT_EQ(first.exit_code, 0) << first.err;
    const std::string path = scratch.write("schedule.json", first.out);
    const CliResult valid = run_pipewise("validate '" + path + "'");
    EXPECT_EQ(valid.exit_code, 0) << valid.err;
    EXPECT_NE(valid.out.find("valid"), std::string::npos);
    const CliResult second = run_pipewise("show --schedule-file '" + path + "' --format json");
    ASSERT_EQ(second.exit_code, 0) << second.err;
    EXPECT_EQ(second.out, first.out) << arguments;
  }
}

// Device 0 runs 0F1 only after 0B0, and device 1 runs 1B0 only after 1F1, which needs 0F1:
// the cycle 0B0 -> 0F1 -> 1F1 -> 1B0 -> 0B0 (0B0 waits for 1B0's gradient).
const char* const kDeadlockText =
    "# pipewise p=2 v=1 m=2 n=1 placement=looped name=custom\n"
    "0F0,0B0,0F1,0B1\n"
    "1F0,1F1,1B0,1B1\n";
const char* const kDeadlockCycle = "deadlock: d0:0B0 -> d0:0F1 -> d1:1F1 -> d1:1B0 -> d0:0B0";

TEST(ValidateCommand, RejectsAHandWrittenDeadlockAndNamesTheCycle) {
  const ScratchDirectory scratch;
  const std::string path = scratch.write("deadlock.txt", kDeadlockText);
  const CliResult result = run_pipewise("validate '" + path + "'");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find(kDeadlockCycle), std::string::npos) << result.err;
}

TEST(ValidateCommand, RejectsTheSameDeadlockWrittenAsJson) {
  const ScratchDirectory scratch;
  auto op = [](const char* kind, int stage, int microbatch) {
    return std::string(R"({"kind":")") + kind + R"(","stage":)" + std::to_string(stage) +
           R"(,"microbatch":)" + std::to_string(microbatch) + R"(,"iteration":0})";
  };
  const std::string json =
      R"({"schema":"pipewise.schedule","version":1,"name":"custom",)"
      R"("problem":{"devices":2,"chunks":1,"microbatches":2,"iterations":1,"placement":"looped"},)"
      R"("programs":[[)" +
      op("forward", 0, 0) + "," + op("backward", 0, 0) + "," + op("forward", 0, 1) + "," +
      op("backward", 0, 1) + "],[" + op("forward", 1, 0) + "," + op("forward", 1, 1) + "," +
      op("backward", 1, 0) + "," + op("backward", 1, 1) + "]]}";
  const std::string path = scratch.write("deadlock.json", json);
  const CliResult result = run_pipewise("validate '" + path + "'");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find(kDeadlockCycle), std::string::npos) << result.err;
}

TEST(ValidateCommand, ErrorPathsGiveOneLineAndNonZeroExit) {
  const ScratchDirectory scratch;
  const std::string truncated = scratch.write("truncated.json", R"({"schema":"pipewise.sch)");
  for (const std::string& arguments :
       {std::string("validate"), std::string("validate /nonexistent/schedule.json"),
        "validate '" + truncated + "'", std::string("show -s nope -p 2 -m 2"),
        std::string("show -s 1f1b -p 0 -m 2"), std::string("show -s 1f1b -p 2 -m x"),
        std::string("show -s 1f1b -p 2"), std::string("show -s gpipe -p 2 -m 2 -v 2"),
        std::string("show -s 1f1b -p 2 -m 2 --format yaml"),
        std::string("show -s 1f1b -p 2 -m 2 --no-such-option")}) {
    const CliResult result = run_pipewise(arguments);
    EXPECT_NE(result.exit_code, 0) << arguments;
    EXPECT_EQ(line_count(result.err), 1u) << arguments << ": " << result.err;
    EXPECT_NE(result.err.find("error"), std::string::npos) << arguments << ": " << result.err;
  }
}

}  // namespace
}  // namespace pipewise::tools::testing
