// `mpirun -np N pipewise run`: one device per rank, rank 0's report and files; and faults across
// processes: a rank whose op throws, that dies (SIGKILL) or stops answering ends every rank
// within its deadline with one line naming the rank, the device, the op and the cause, and no
// output file, whole or partial; Ctrl-C on mpirun ends every rank.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "tests/tools/cli/cli_runner.hpp"

namespace pipewise::tools::testing {
namespace {

using std::chrono::seconds;

// mpirun with N ranks of the pipewise binary (the environment of CMake's test sets
// oversubscription and, as root, Open MPI's permission).
std::string mpirun(int ranks) {
  return std::string("'") + PIPEWISE_MPIEXEC + "' " + PIPEWISE_MPIEXEC_NUMPROC_FLAG + " " +
         std::to_string(ranks) + " " + PIPEWISE_MPIEXEC_PREFLAGS + " '" + PIPEWISE_BINARY + "' ";
}

CliResult run_shell(const std::string& command) {
  const ScratchDirectory capture;
  const std::string line = command + " >'" + capture.file("out") + "' 2>'" + capture.file("err") +
                           "' </dev/null";
  const int status = std::system(line.c_str());
  CliResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = read_whole_file(capture.file("out"));
  result.err = read_whole_file(capture.file("err"));
  return result;
}

// A tiny MLP on 1F1B, p = 2, m = 4: device 0 (rank 0) runs F0 SEND_F0 F1 SEND_F1 RECV_B0 B0
// ...; device 1 (rank 1) RECV_F0 F0 B0 SEND_B0 RECV_F1 F1 ....
constexpr const char* kRun =
    "run --backend cpu --model 8,8,8,8,4 --microbatch-size 4 -s 1f1b -p 2 -m 4 --steps 2 "
    "--warmup-steps 1 --profile-steps 1 --profile-repeats 2 ";

// The lines of `text` that pipewise printed (mpirun adds its own notices).
std::string pipewise_lines(const std::string& text) {
  std::string lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    if (line.rfind("pipewise", 0) == 0) lines += line + "\n";
    start = end + 1;
  }
  return lines;
}

TEST(MpiRun, TwoRanksRunOneDeviceEachAndRankZeroReportsAndWritesTheTimelines) {
  const ScratchDirectory scratch;
  const CliResult result =
      run_shell(mpirun(2) + kRun + "--format json --svg '" + scratch.file("run.svg") +
                "' --trace '" + scratch.file("run.json") + "'");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json report = nlohmann::json::parse(result.out);  // one report: rank 0's
  EXPECT_EQ(report.at("schema"), "pipewise.run");
  EXPECT_EQ(report.at("stages"), 2);
  const std::string placement = report.dump();
  EXPECT_NE(placement.find("2 MPI ranks, one process per device"), std::string::npos) << placement;
  EXPECT_TRUE(std::filesystem::exists(scratch.file("run.svg")));
  const nlohmann::json trace = nlohmann::json::parse(read_whole_file(scratch.file("run.json")));
  EXPECT_FALSE(trace.empty());
}

TEST(MpiRun, FourRanksFormTwoReplicasOfATwoDevicePipeline) {
  const CliResult result = run_shell(mpirun(4) + kRun + "--format csv --data-parallel-size 2");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("1f1b,cpu,2,1,4,1,"), std::string::npos) << result.out;
}

// Every rank finds the same, and the user reads it once (rank 0's line), not once per rank.
TEST(MpiRun, RanksThatFormNoGridAreRefusedInOneLine) {
  const CliResult result = run_shell(mpirun(3) + kRun);
  EXPECT_NE(result.exit_code, 0);
  const std::string line = "pipewise run: error: 3 rank(s) cannot form replicas of a 2-device pipeline";
  const std::size_t first = result.err.find(line);
  ASSERT_NE(first, std::string::npos) << result.err;
  EXPECT_EQ(result.err.find(line, first + 1), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("MPI_ABORT"), std::string::npos) << result.err;
}

// `mpirun -np 2 pipewise run --backend cuda`: one GPU per rank. On a machine with two GPUs
// or more it runs and rank 0 reports it with NCCL carrying the messages; elsewhere every rank
// stops with one line naming the rank and why (no CUDA module in this build, no GPU, or no
// GPU of its own for the second rank), and no file is written. Interleaved too: its
// receives are posted ahead for NCCL's groups (exec/cuda/planning/receives_ahead.hpp)
// instead of the run being refused as a deadlock.
TEST(MpiRun, CudaBackendRunsOneGpuPerRankOrSaysWhyNotInOneLine) {
  for (const char* schedule : {"-s 1f1b -p 2 -m 4", "-s interleaved -p 2 -v 2 -m 4"}) {
    const ScratchDirectory scratch;
    std::string run = kRun;
    run.replace(run.find("--backend cpu"), 13, "--backend cuda");
    run.replace(run.find("-s 1f1b -p 2 -m 4"), 17, schedule);
    const CliResult result = run_shell(mpirun(2) + run + "--svg '" + scratch.file("run.svg") + "'");
    if (result.exit_code == 0) {
      EXPECT_NE(result.out.find("2 MPI ranks, one process per device"), std::string::npos) << result.out;
      EXPECT_NE(result.out.find("messages: NCCL send/receive between the ranks' GPUs"), std::string::npos)
          << result.out;
      EXPECT_TRUE(std::filesystem::exists(scratch.file("run.svg"))) << schedule;
      continue;
    }
    // One line per rank that failed before MPI_Abort ended the others: one or both.
    const std::string lines = pipewise_lines(result.err);
    const auto count = std::count(lines.begin(), lines.end(), '\n');
    EXPECT_GE(count, 1) << result.err;
    EXPECT_LE(count, 2) << result.err;
    std::istringstream each(lines);
    for (std::string line; std::getline(each, line);) {
      EXPECT_EQ(line.rfind("pipewise run: error: rank ", 0), 0u) << line;
      const bool known = line.find("no CUDA device") != std::string::npos ||
                         line.find("--backend cuda: ") != std::string::npos ||
                         line.find("has no GPU of its own") != std::string::npos;
      EXPECT_TRUE(known) << schedule << ": " << line;
    }
    EXPECT_FALSE(std::filesystem::exists(scratch.file("run.svg"))) << schedule;
  }
}

// `mpirun -np 2 pipewise profile`: the pipeline runs across the ranks and rank 0 writes one
// cost file that says so, with the links measured over MPI; `run --costs` reads it back.
TEST(MpiProfile, TwoRanksProfileThePipelineAndRankZeroWritesTheCostFile) {
  const ScratchDirectory scratch;
  const std::string costs = scratch.file("costs.json");
  std::string profile = kRun;
  profile.replace(0, 3, "profile");
  const CliResult result = run_shell(mpirun(2) + profile + "-o '" + costs + "'");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("over MPI (2 ranks)"), std::string::npos) << result.out;
  const nlohmann::json file = nlohmann::json::parse(read_whole_file(costs));
  EXPECT_EQ(file.at("profile").at("processes"), 2);
  ASSERT_EQ(file.at("stages").size(), 2u);
  for (const nlohmann::json& stage : file.at("stages")) EXPECT_GT(stage.at("forward").get<double>(), 0.0);
  // The link measured over MPI costs something (the fit may put it all in one term).
  const nlohmann::json& link = file.at("communication");
  EXPECT_TRUE(link.at("latency").get<double>() > 0.0 || link.at("bandwidth").get<double>() > 0.0)
      << link.dump();
  const CliResult predicted = run_shell(mpirun(2) + kRun + "--format csv --costs '" + costs + "'");
  EXPECT_EQ(predicted.exit_code, 0) << predicted.err;
}

// With p·d ranks the replicas' gradient all-reduce is measured too, and written as the
// file's data-parallel costs.
TEST(MpiProfile, FourRanksAlsoMeasureTheAllReduceOfTwoReplicas) {
  const ScratchDirectory scratch;
  const std::string costs = scratch.file("costs.json");
  std::string profile = kRun;
  profile.replace(0, 3, "profile");
  const CliResult result = run_shell(mpirun(4) + profile + "--data-parallel-size 2 -o '" + costs + "'");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json file = nlohmann::json::parse(read_whole_file(costs));
  EXPECT_EQ(file.at("profile").at("processes"), 4);
  EXPECT_EQ(file.at("data_parallel").at("replicas"), 2);
  // Measured: a fit of latency + bytes / bandwidth to the timed all-reduces costs something.
  // Which term carries it depends on the machine's noise (with 4 ranks on 2 cores the slope
  // can fit to 0, read as no per-byte term), so neither is asserted alone.
  const double latency = file.at("data_parallel").at("latency").get<double>();
  const double bandwidth = file.at("data_parallel").at("bandwidth").get<double>();
  EXPECT_GE(latency, 0.0);
  EXPECT_GE(bandwidth, 0.0);
  EXPECT_TRUE(latency > 0.0 || bandwidth > 0.0) << file.at("data_parallel").dump();
  // Its all-reduce applies to a run's own replicas: 2 here, none in one process.
  const CliResult replicated =
      run_shell(mpirun(4) + kRun + "--data-parallel-size 2 --format csv --costs '" + costs + "'");
  EXPECT_EQ(replicated.exit_code, 0) << replicated.err;
  const CliResult alone = run_shell(std::string("'") + PIPEWISE_BINARY + "' " + kRun +
                                    "--format csv --costs '" + costs + "'");
  EXPECT_EQ(alone.exit_code, 0) << alone.err;
}

TEST(MpiProfile, RanksThatFormNoGridAreRefusedWithNoFile) {
  const ScratchDirectory scratch;
  std::string profile = kRun;
  profile.replace(0, 3, "profile");
  const CliResult result = run_shell(mpirun(3) + profile + "-o '" + scratch.file("costs.json") + "'");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("3 rank(s) cannot form replicas of a 2-device pipeline"), std::string::npos)
      << result.err;
  EXPECT_FALSE(std::filesystem::exists(scratch.file("costs.json")));
}

// How many processes have `text` in their command line.
int processes_naming(const std::string& text) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string command = read_whole_file(entry.path().string() + "/cmdline");
    for (char& c : command) {
      if (c == '\0') c = ' ';
    }
    if (command.find(text) != std::string::npos && std::to_string(getpid()) != name) ++count;
  }
  return count;
}

struct FaultCase {
  const char* name;
  const char* fault;        // the --inject-fault arguments and deadline
  const char* rank_line;    // what the one line starts with
  const char* op;
  const char* cause;
};

class MpiRunWithFault : public ::testing::TestWithParam<FaultCase> {};

TEST_P(MpiRunWithFault, EndsEveryRankPromptlyWithOneLineNamingRankDeviceOpAndCause) {
  const ScratchDirectory scratch;
  const auto start = std::chrono::steady_clock::now();
  const CliResult result = run_shell(mpirun(2) + kRun + GetParam().fault + " --svg '" +
                                     scratch.file("run.svg") + "' --trace '" +
                                     scratch.file("run.json") + "'");
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(40))
      << "the ranks did not stop within their deadline";
  EXPECT_NE(result.exit_code, 0) << result.err;
  const std::string lines = pipewise_lines(result.err);
  EXPECT_EQ(line_count(lines), 1u) << result.err;
  for (const char* part : {GetParam().rank_line, GetParam().op, GetParam().cause}) {
    EXPECT_NE(lines.find(part), std::string::npos) << part << " not in: " << result.err;
  }
  EXPECT_EQ(result.out, "");
  EXPECT_TRUE(std::filesystem::is_empty(scratch.path())) << "an output file or temporary is left";
}

INSTANTIATE_TEST_SUITE_P(
    AcrossProcesses, MpiRunWithFault,
    ::testing::Values(
        FaultCase{"ThrowOnRankOne", "--inject-fault throw@1:1F1 --receive-deadline-ms 30000",
                  "pipewise run: error: rank 1: device 1 failed at op", "1F1 (forward",
                  "injected failure"},
        FaultCase{"ThrowOnRankZero", "--inject-fault throw@0:0F2 --receive-deadline-ms 30000",
                  "pipewise run: error: rank 0: device 0 failed at op", "0F2 (forward",
                  "injected failure"},
        // Rank 1 stops answering: rank 0 gives up at its 2 s receive deadline.
        FaultCase{"StopsAnswering",
                  "--inject-fault delay@1:1B0:120000 --receive-deadline-ms 2000",
                  "pipewise run: error: rank 0: device 0 failed at op", "0RECV_B0",
                  "no message from device 1 (rank 1) within 2000 ms"},
        FaultCase{"CorruptCaughtByTheChecksum",
                  "--inject-fault corrupt@0:0SEND_F1 --receive-deadline-ms 30000",
                  "pipewise run: error: rank 1: device 1 failed at op", "1RECV_F1",
                  "failed its checksum"}),
    [](const ::testing::TestParamInfo<FaultCase>& param) { return param.param.name; });

TEST(MpiRunWithKill, ARankThatDiesEndsEveryRankAndMpirunNamesItAndTheSignal) {
  const ScratchDirectory scratch;
  const auto start = std::chrono::steady_clock::now();
  const CliResult result =
      run_shell(mpirun(2) + kRun + "--inject-fault kill@1:1B0 --receive-deadline-ms 30000 --svg '" +
                scratch.file("run.svg") + "'");
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(25))
      << "the survivor waited for its 30 s receive deadline";
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("rank 1"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("signal 9"), std::string::npos) << result.err;
  EXPECT_EQ(result.out, "");
  EXPECT_TRUE(std::filesystem::is_empty(scratch.path())) << "an output file or temporary is left";
}

TEST(MpiRunInterrupted, CtrlCOnMpirunEndsEveryRankAndLeavesNoFile) {
  const ScratchDirectory scratch;
  // Rank 1 sleeps 120 s in its first backward: the run would take minutes.
  const std::string command = "exec " + mpirun(2) + kRun +
                              "--inject-fault delay@1:1B0:120000 --receive-deadline-ms 600000 "
                              "--svg '" + scratch.file("run.svg") + "' >/dev/null 2>&1 </dev/null";
  const pid_t launcher = fork();
  ASSERT_GE(launcher, 0);
  if (launcher == 0) {
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  std::this_thread::sleep_for(seconds(4));  // the ranks are up and running
  kill(launcher, SIGINT);                   // what Ctrl-C sends mpirun
  const auto interrupted = std::chrono::steady_clock::now();
  int status = 0;
  pid_t ended = 0;
  while ((ended = waitpid(launcher, &status, WNOHANG)) == 0 &&
         std::chrono::steady_clock::now() - interrupted < seconds(30)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (ended == 0) {
    kill(launcher, SIGKILL);
    waitpid(launcher, &status, 0);
    FAIL() << "mpirun did not end within 30 s of SIGINT";
  }
  EXPECT_TRUE(std::filesystem::is_empty(scratch.path())) << "an output file or temporary is left";
  // No rank outlives mpirun: none of the processes naming the scratch folder is left.
  const auto deadline = std::chrono::steady_clock::now() + seconds(10);
  while (processes_naming(scratch.path().string()) > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(processes_naming(scratch.path().string()), 0) << "a rank outlived mpirun";
}

}  // namespace
}  // namespace pipewise::tools::testing
