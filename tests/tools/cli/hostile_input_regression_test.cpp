// Process-level regression tests for the defects of issue 13 ("never a wrong number, a
// crash or a destroyed file"), one or more per class: each runs the real binary as the
// hostile tester did, and checks the exit status, the one-line message and the files left.
// docs/reliability.md lists the classes, their rules and these tests. Special files are
// ones the tests make in their scratch directories: no test touches the machine's /dev.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/tools/cli/cli_runner.hpp"

namespace pipewise::tools::testing {
namespace {

namespace fs = std::filesystem;

// `ulimit -v` makes a sanitizer's shadow memory unmappable: those tests run on plain builds.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

std::string quoted(const std::string& path) { return "'" + path + "'"; }

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Exit 1 with one line on stderr holding `message`, nothing on stdout.
void expect_refused(const CliResult& result, const std::string& message) {
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_EQ(line_count(result.err), 1u) << result.err;
  EXPECT_TRUE(has(result.err, message)) << result.err;
  EXPECT_EQ(result.out, "");
}

bool is_empty_directory(const fs::path& directory) {
  return fs::directory_iterator(directory) == fs::directory_iterator();
}

// ---- Crashes -------------------------------------------------------------------------

TEST(CrashRegression, AWeightVersionOfTwoToThe32MinusOneIsRefusedBySimulateAndRun) {
  const ScratchDirectory scratch;
  std::string schedule = run_pipewise("show -s 1f1b -p 2 -m 3 -f json").out;
  const std::string first = "\"weight_version\": 0";
  schedule.replace(schedule.find(first), first.size(), "\"weight_version\": 4294967295");
  const std::string file = scratch.write("w.json", schedule);
  // Was: a segfault (version + 1 wrapped to 0 in weight_versions_held).
  expect_refused(run_pipewise("simulate --schedule-file " + quoted(file)),
                 "invalid schedule: weight-version: 0F0 reads version 4294967295");
  expect_refused(run_pipewise("run --model 8,8,4 --steps 1 --schedule-file " + quoted(file)),
                 "invalid schedule: weight-version: 0F0 reads version 4294967295");
}

TEST(CrashRegression, AThreadTheSystemRefusesIsAnErrorNotAnAbort) {
  if (kSanitized) GTEST_SKIP() << "ulimit -v and sanitizers do not mix";
  // 1024 threads' stacks (16 MiB each, set here so that the machine's default does not
  // decide) do not fit in 4 GB of address space: was "terminate called without an active
  // exception" (SIGABRT).
  for (const std::string& command : std::vector<std::string>{"sweep -p 2..4 -m 8", "recommend --model bert-large"}) {
    const ScratchDirectory scratch;
    const std::string script = "ulimit -s 16384; ulimit -v 4000000; exec '" + std::string(PIPEWISE_BINARY) + "' " +
                               command + " --threads 1024 -o " + quoted(scratch.file("out"));
    const int status = std::system(("bash -c \"" + script + "\" 2>" +
                                    quoted(scratch.file("err")) + " >/dev/null")
                                       .c_str());
    ASSERT_TRUE(WIFEXITED(status)) << command << ": killed by a signal";
    EXPECT_EQ(WEXITSTATUS(status), 1) << command;
    const std::string err = read_whole_file(scratch.file("err"));
    EXPECT_TRUE(has(err, "could not start thread")) << err;
    EXPECT_FALSE(fs::exists(scratch.file("out")));
  }
}

// ---- Special files -------------------------------------------------------------------

TEST(SpecialFileRegression, AFifoIsWrittenThroughAndStaysAFifo) {
  const ScratchDirectory scratch;
  const std::string fifo = scratch.file("pipe");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const CliResult result = run_pipewise("simulate -s 1f1b -p 2 -m 4 --svg " + quoted(fifo) +
                                        " & cat " + quoted(fifo) + " > " +
                                        quoted(scratch.file("drawn.svg")) + "; wait");
  struct stat status {};
  ASSERT_EQ(::lstat(fifo.c_str(), &status), 0);
  EXPECT_TRUE(S_ISFIFO(status.st_mode)) << "the FIFO was replaced by a regular file";
  EXPECT_TRUE(has(read_whole_file(scratch.file("drawn.svg")), "<svg")) << result.err;
}

TEST(SpecialFileRegression, ASymbolicLinkIsFollowedAndKept) {
  const ScratchDirectory scratch;
  scratch.write("real.json", "old");
  fs::create_symlink("real.json", scratch.file("link.json"));
  const CliResult result =
      run_pipewise("simulate -s 1f1b -p 2 -m 4 -f json -o " + quoted(scratch.file("link.json")));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(fs::is_symlink(scratch.file("link.json")));
  EXPECT_TRUE(has(read_whole_file(scratch.file("real.json")), "pipewise.simulation"));
}

TEST(SpecialFileRegression, DashAndDevStdoutWriteToStandardOutput) {
  const ScratchDirectory scratch;
  // --svg to standard output, the report to a file: the idiom that never worked.
  for (const std::string& target : std::vector<std::string>{"-", "/dev/stdout"}) {
    const CliResult result = run_pipewise("simulate -s 1f1b -p 2 -m 4 -o " +
                                          quoted(scratch.file("report.txt")) + " --svg " + target);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out.rfind("<?xml", 0), 0u) << target;
    EXPECT_TRUE(has(read_whole_file(scratch.file("report.txt")), "makespan"));
  }
  const CliResult to_dash = run_pipewise("show -s 1f1b -p 2 -m 2 -f json -o -");
  EXPECT_EQ(to_dash.exit_code, 0);
  EXPECT_EQ(to_dash.out.rfind("{\"schema\": \"pipewise.schedule\"", 0), 0u) << to_dash.out;
  EXPECT_FALSE(fs::exists("-"));
}

TEST(SpecialFileRegression, TwoOutputsToOneDestinationAreRefused) {
  const ScratchDirectory scratch;
  expect_refused(run_pipewise("simulate -s 1f1b -p 2 -m 4 --svg -"),
                 "--svg and the report both write standard output");
  expect_refused(run_pipewise("simulate -s 1f1b -p 2 -m 4 -o " + quoted(scratch.file("x")) +
                              " --trace " + quoted(scratch.file("x"))),
                 "both write");
  EXPECT_TRUE(is_empty_directory(scratch.path()));
}

// ---- Cancellation --------------------------------------------------------------------

TEST(CancellationRegression, AFailedRunDoesNotWaitForAnInjectedDelay) {
  // Device 1's receive fails at 1 s; device 0 sleeps 10 minutes before 0F1. Was: the
  // process exited only after the delay (15.5 s for a 15 s delay; hung for an hour's).
  const ScratchDirectory scratch;
  const auto start = std::chrono::steady_clock::now();
  const CliResult result = run_pipewise(
      "run -s 1f1b -p 2 -m 4 --model 64,64,64,10 --steps 1 --warmup-steps 0 --profile-steps 0 "
      "--profile-repeats 1 --receive-deadline-ms 1000 --inject-fault delay@0:0F1:600000 --svg " +
      quoted(scratch.file("run.svg")));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  expect_refused(result, "device 1 failed at op 1RECV_F1");
  EXPECT_TRUE(is_empty_directory(scratch.path()));
}

// ---- Wrong numbers -------------------------------------------------------------------

struct Refusal {
  const char* name;
  const char* arguments;
  const char* message;
};

class WrongNumber : public ::testing::TestWithParam<Refusal> {};

TEST_P(WrongNumber, IsRefusedWithOneLineNamingTheInput) {
  expect_refused(run_pipewise(GetParam().arguments), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Issue13, WrongNumber,
    ::testing::Values(
        Refusal{"ParameterBytesPastTwoToThe64", "simulate -s 1f1b -p 2 -m 4 --param-bytes 2e19",
                "parameter bytes = 2e+19 is too large"},  // was: peak memory 0 B
        Refusal{"StaticMemoryPastTwoToThe64",
                "simulate -s 1f1b -p 2 -m 4 --param-bytes 5e18 --optimizer adam",
                "static memory (weights x 1 version(s), gradients, optimizer state) exceeds"},
        Refusal{"ActivationsPastTwoToThe64", "simulate -s 1f1b -p 2 -m 4 --activation-bytes 1e19",
                "the activation bytes (or the parameter bytes beside them) are too large"},
        Refusal{"HugeParametersBlamedOnParameters", "simulate -s 1f1b -p 2 -m 4 --param-bytes 1e308",
                "parameter bytes = 1e+308 is too large"},  // was: "optimizer state bytes"
        Refusal{"SweepLayerParameterBytes",
                "sweep -s 1f1b -p 2 -m 4 --num-layers 4 --layer-forward-ms 1 "
                "--layer-parameter-bytes 1e19",
                "no point of the sweep could be simulated: all 1 skipped; 1 because stage 0's "
                "parameter bytes = 2e+19 is too large"},
        Refusal{"ForwardTimePastTheLargestDouble", "simulate -s 1f1b -p 2 -m 4 --cost-f 1e308",
                "the times are too large to simulate: op 0F1"},  // was: "stuck: 1F1 waits for 0F1"
        Refusal{"StashesPastAnyMicroBatchCount",
                "partition -p 4 --model bert-large --stashes 1e300",
                "--stashes must be 1f1b or a number from 0 to 2^32"},  // was: "inf PiB"
        Refusal{"MicroBatchSizeMakingSamplesInfinite",
                "simulate -s 1f1b -p 2 -m 4 --micro-batch-size 1e308",
                "samples per second"},  // was: samples_per_second null
        // A second round, same classes: an input that makes a derived value (an all-reduce
        // time, a default backward) pass the largest double is named, not blamed on another.
        Refusal{"AllReduceTimePastTheLargestDouble",
                "simulate -s 1f1b -p 2 -m 4 --param-bytes 1e18 --data-parallel-size 4 "
                "--dp-bandwidth 1e-300",
                "the data-parallel all-reduce of stage 0 (its parameter bytes over the "
                "data-parallel bandwidth, 4 replicas) would take longer than the largest time"},
        Refusal{"DefaultBackwardPastTheLargestDouble",
                "sweep -p 2 -m 4 --num-layers 4 --layer-forward-ms 1e308",
                "the default backward, 2 x --layer-forward-ms is too large"},  // was: "backward ... (got inf)"
        Refusal{"EverySweepPointSkipped", "sweep -s interleaved -p 2..3 -m 1 -v 2",
                "no point of the sweep could be simulated: all 2 skipped; 2 because interleaved "
                "needs m >= p when v > 1"}),  // was: an empty table, exit 0
    [](const ::testing::TestParamInfo<Refusal>& test) { return std::string(test.param.name); });

TEST(WrongNumberRegression, ATinyTargetBubbleIsUnreachableNotMEqualsOne) {
  const CliResult result = run_pipewise("recommend --model bert-large --target-bubble 1e-20");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(has(result.out, "p = 2   d = 4   needs m >= more than 2^64 - 1: unreachable"))
      << result.out;
}

TEST(WrongNumberRegression, TheLowerBoundKeepsFillAndDrainAndUndefinedRatiosAreNull) {
  const CliResult result = run_pipewise(
      "simulate -s gpipe -p 3 -m 2 --cost-f 0 --cost-b 0 --comm-latency 2 --format json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json report = nlohmann::json::parse(result.out);
  EXPECT_EQ(report["makespan"], 8.0);
  EXPECT_EQ(report["lower_bound"], 8.0);  // was 0
  EXPECT_EQ(report["gap_to_lower_bound"], 0.0);
  EXPECT_TRUE(report["bubble_overhead"].is_null());  // idle / 0 busy; was 0.0
  EXPECT_EQ(report["bubble_ratio"], 1.0);
}

TEST(WrongNumberRegression, ZeroCostsShowNotApplicableNotZero) {
  const CliResult table = run_pipewise("simulate -s 1f1b -p 2 -m 4 --cost-f 0 --cost-b 0");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_TRUE(has(table.out, "throughput              n/a")) << table.out;  // was "0.00"
  EXPECT_TRUE(has(table.out, "speed-up over naive     n/a")) << table.out;  // was "0.000x"
  const nlohmann::json report =
      nlohmann::json::parse(run_pipewise("simulate -s 1f1b -p 2 -m 4 --cost-f 0 --cost-b 0 -f json "
                                         "--micro-batch-size 8")
                                .out);
  for (const char* field : {"bubble_ratio", "bubble_overhead", "throughput", "samples_per_second",
                            "speedup_over_naive", "gap_to_lower_bound"}) {
    EXPECT_TRUE(report[field].is_null()) << field;
  }
  EXPECT_TRUE(report["devices"][0]["utilization"].is_null());
  const CliResult sweep = run_pipewise("sweep -s 1f1b -p 2 -m 4 --forward-ms 0 --backward-ms 0 -f json");
  EXPECT_TRUE(nlohmann::json::parse(sweep.out)["points"][0]["bubble_ratio"].is_null());
}

TEST(WrongNumberRegression, ThePeakTimeDatesThePeakActivationsWhenTheyTakeNoBytes) {
  // GPipe p = 2, m = 4 (F = 1, B = 2): device 0 holds its 4 stashes from 3 ms; the column
  // read 0.000 (the byte peak, static memory, is reached at 0).
  const CliResult result = run_pipewise("simulate -s gpipe -p 2 -m 4");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(has(result.out, "     0 B                 4       3.000")) << result.out;
}

// ---- Invalid schedules ---------------------------------------------------------------

struct InvalidSchedule {
  const char* name;
  const char* file;      // its name decides its form: .json or PyTorch text
  const char* contents;
  const char* finding;   // the validator's first finding, which simulate must refuse with
};

class InvalidScheduleFile : public ::testing::TestWithParam<InvalidSchedule> {};

TEST_P(InvalidScheduleFile, IsRefusedBySimulateAndRunWithTheValidatorsFirstFinding) {
  const ScratchDirectory scratch;
  const std::string file = scratch.write(GetParam().file, GetParam().contents);
  const CliResult validated = run_pipewise("validate " + quoted(file));
  EXPECT_EQ(validated.exit_code, 1);
  EXPECT_TRUE(has(validated.err, GetParam().finding)) << validated.err;
  // Was: simulate printed a makespan for each of them.
  expect_refused(run_pipewise("simulate --schedule-file " + quoted(file)),
                 std::string("invalid schedule: ") + GetParam().finding);
  expect_refused(run_pipewise("run --model 8,8,4 --steps 1 --schedule-file " + quoted(file)),
                 std::string("invalid schedule: ") + GetParam().finding);
}

constexpr const char* kReceiveFirst = R"({"schema": "pipewise.schedule", "version": 1, "name": "x",
 "problem": {"devices": 2, "chunks": 1, "microbatches": 1, "iterations": 1, "placement": "looped"},
 "programs": [
  [{"kind": "recv_grad", "stage": 0, "microbatch": 0, "iteration": 0, "weight_version": 0},
   {"kind": "forward", "stage": 0, "microbatch": 0, "iteration": 0, "weight_version": 0},
   {"kind": "send_activation", "stage": 0, "microbatch": 0, "iteration": 0, "weight_version": 0},
   {"kind": "backward", "stage": 0, "microbatch": 0, "iteration": 0, "weight_version": 0}],
  [{"kind": "recv_activation", "stage": 1, "microbatch": 0, "iteration": 0, "weight_version": 0},
   {"kind": "forward", "stage": 1, "microbatch": 0, "iteration": 0, "weight_version": 0},
   {"kind": "backward", "stage": 1, "microbatch": 0, "iteration": 0, "weight_version": 0},
   {"kind": "send_grad", "stage": 1, "microbatch": 0, "iteration": 0, "weight_version": 0}]]})";

constexpr const char* kOtherVersion = R"({"schema": "pipewise.schedule", "version": 1, "name": "x",
 "problem": {"devices": 1, "chunks": 1, "microbatches": 1, "iterations": 2, "placement": "looped"},
 "programs": [[
   {"kind": "forward", "stage": 0, "microbatch": 0, "iteration": 0, "weight_version": 0},
   {"kind": "backward", "stage": 0, "microbatch": 0, "iteration": 0, "weight_version": 0},
   {"kind": "optimizer_step", "stage": 0, "microbatch": 0, "iteration": 0, "weight_version": 0},
   {"kind": "forward", "stage": 0, "microbatch": 0, "iteration": 1, "weight_version": 1},
   {"kind": "backward", "stage": 0, "microbatch": 0, "iteration": 1, "weight_version": 0},
   {"kind": "optimizer_step", "stage": 0, "microbatch": 0, "iteration": 1, "weight_version": 1}]]})";

INSTANTIATE_TEST_SUITE_P(
    Issue13, InvalidScheduleFile,
    ::testing::Values(
        InvalidSchedule{"ReceiveFirstDeadlock", "r.json", kReceiveFirst, "deadlock"},
        InvalidSchedule{"EmptyPrograms", "e.txt",
                        "# pipewise p=2 v=1 m=1 n=1 placement=looped name=x\n\n\n",
                        "missing-op: no forward (F) for stage 0"},  // was: makespan 0
        InvalidSchedule{"MissingWeightBackward", "w.txt",
                        "# pipewise p=1 v=1 m=1 n=1 placement=looped name=x\n0F0,0I0\n",
                        "missing-op: no weight backward (W)"},
        InvalidSchedule{"DuplicateStep", "d.txt",
                        "# pipewise p=1 v=1 m=1 n=1 placement=looped name=x\n0F0,0B0,0STEP,0STEP\n",
                        "duplicate-op: 0STEP"},
        InvalidSchedule{"UnmatchedSend", "u.txt",
                        "# pipewise p=2 v=1 m=1 n=1 placement=looped name=x\n"
                        "0F0,0SEND_F0,0SEND_F0,0RECV_B0,0B0\n1RECV_F0,1F0,1B0,1SEND_B0\n",
                        "duplicate-op: 0SEND_F0"},
        InvalidSchedule{"BackwardReadingAnotherVersion", "v.json", kOtherVersion, "weight-version"},
        InvalidSchedule{"StepBeforeForward", "s.txt",
                        "# pipewise p=1 v=1 m=1 n=1 placement=looped name=x\n0STEP,0F0,0B0\n",
                        "step-order: 0STEP"}),  // was: 4294967295 weight versions, 400 GiB
    [](const ::testing::TestParamInfo<InvalidSchedule>& test) { return std::string(test.param.name); });

TEST(LoweredScheduleRegression, AValidLoweredScheduleCanBeRun) {
  const ScratchDirectory scratch;
  const std::string file =
      scratch.write("low.json", run_pipewise("show -s 1f1b -p 2 -m 4 -f json --lowered").out);
  EXPECT_EQ(run_pipewise("validate " + quoted(file)).exit_code, 0);
  // Was: "a second message for the same micro-batch" (run lowered it again).
  const CliResult result = run_pipewise(
      "run --model 8,8,4 --steps 1 --warmup-steps 0 --profile-steps 0 --profile-repeats 1 "
      "--schedule-file " + quoted(file));
  EXPECT_EQ(result.exit_code, 0) << result.err;
}

// ---- Duplicates ----------------------------------------------------------------------

TEST(DuplicateInputRegression, KeysColumnsAndOverridesNamedTwiceAreRefused) {
  const ScratchDirectory scratch;
  const std::string costs = scratch.write(
      "c.json", R"({"schema": "pipewise.costs", "version": 1, "compute": {"forward": 1, "forward": 5}})");
  expect_refused(run_pipewise("simulate -s 1f1b -p 2 -m 4 --costs " + quoted(costs)),
                 costs + ": $.compute.forward is given twice");
  const std::string slowdowns = scratch.write(
      "s.json", R"({"schema": "pipewise.costs", "version": 1,
                    "devices": [{"device": 0, "slowdown": 2}, {"device": 0, "slowdown": 2}]})");
  expect_refused(run_pipewise("simulate -s 1f1b -p 2 -m 4 --costs " + quoted(slowdowns)),
                 "$.devices[1] repeats $.devices[0]");  // was: a slowdown of 4
  std::string model = run_pipewise("recommend --model bert-large --print-model").out;
  model.insert(model.find('{') + 1, "\"name\": \"twice\",");
  expect_refused(run_pipewise("recommend --model " + quoted(scratch.write("m.json", model))),
                 "$.name is given twice");
  const std::string layers =
      scratch.write("l.csv", "name,count,forward_ms,forward_ms\na,1,1,2\n");
  expect_refused(run_pipewise("partition -p 1 --layers-file " + quoted(layers)),
                 "column \"forward_ms\" is named twice");
  const std::string layer_json = scratch.write(
      "l.json", R"({"layers": [{"name": "a", "forward_ms": 1, "forward_ms": 2}]})");
  expect_refused(run_pipewise("partition -p 1 --layers-file " + quoted(layer_json)),
                 "forward_ms is given twice");
}

// ---- Output and error hygiene --------------------------------------------------------

TEST(OutputRegression, AFailedCommandLeavesNoOutputFile) {
  const ScratchDirectory scratch;
  // Was: t.json written, then the SVG failed: exit 1 with a trace left behind.
  expect_refused(run_pipewise("simulate -s 1f1b -p 2 -m 4 --trace " + quoted(scratch.file("t.json")) +
                              " --svg " + quoted(scratch.file("no/dir/t.svg"))),
                 "cannot write " + scratch.file("no/dir/t.svg"));
  expect_refused(run_pipewise("run --model 8,8,4 -s 1f1b -p 2 -m 2 --steps 1 --warmup-steps 0 "
                              "--profile-steps 0 --profile-repeats 1 --trace " +
                              quoted(scratch.file("t.json")) + " --svg " +
                              quoted(scratch.file("no/dir/t.svg"))),
                 "cannot write " + scratch.file("no/dir/t.svg"));
  EXPECT_TRUE(is_empty_directory(scratch.path()));
}

TEST(OutputRegression, AFailedWriteToStandardOutputFailsEveryCommand) {
  const ScratchDirectory scratch;
  const std::string schedule = scratch.write("s.json", run_pipewise("show -s 1f1b -p 2 -m 2 -f json").out);
  const std::string read_only = scratch.write("read-only", "");
  for (const std::string& command : std::vector<std::string>{
           "show -s 1f1b -p 2 -m 2", "simulate -s 1f1b -p 2 -m 2", "sweep -p 2 -m 4",
        "recommend --model bert-large", "partition -p 2 --model bert-large",
        "validate " + quoted(schedule), "convert " + quoted(schedule) + " -  --to pytorch",
        "run --model 8,8,4 -s 1f1b -p 2 -m 2 --steps 1 --warmup-steps 0 --profile-steps 0 "
        "--profile-repeats 1",
        "--help"}) {
    // A closed standard output, and one open for reading only: every write fails (EBADF).
    for (const std::string& redirect : std::vector<std::string>{std::string(">&-"), "1<" + quoted(read_only)}) {
      const std::string capture = quoted(scratch.file("err"));
      const int status = std::system(("'" + std::string(PIPEWISE_BINARY) + "' " + command + " " +
                                      redirect + " 2>" + capture)
                                         .c_str());
      ASSERT_TRUE(WIFEXITED(status)) << command;
      EXPECT_EQ(WEXITSTATUS(status), 1) << command << " " << redirect;  // was 0
      EXPECT_TRUE(has(read_whole_file(scratch.file("err")), "cannot write standard output"))
          << command << " " << redirect;
    }
  }
}

TEST(OutputRegression, AnEndlessInputIsCappedWithAClearMessage) {
  const ScratchDirectory scratch;
  const std::string fifo = scratch.file("endless");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // `yes` writes forever, as /dev/zero reads: was a whole-message "std::bad_alloc".
  // The writer starts first, in the background, and ends when pipewise closes the FIFO.
  const std::string script = "yes > " + quoted(fifo) + " 2>/dev/null & exec '" +
                             std::string(PIPEWISE_BINARY) + "' validate " + quoted(fifo);
  const int status = std::system(("bash -c \"" + script + "\" >" + quoted(scratch.file("out")) +
                                  " 2>" + quoted(scratch.file("err")))
                                     .c_str());
  ASSERT_TRUE(WIFEXITED(status));
  CliResult result;
  result.exit_code = WEXITSTATUS(status);
  result.out = read_whole_file(scratch.file("out"));
  result.err = read_whole_file(scratch.file("err"));
  expect_refused(result, "cannot read " + fifo + ": it holds more than 1 GiB");
}

TEST(OutputRegression, OutputsTooLargeForTheProcessAreRefusedUpFront) {
  if (kSanitized) GTEST_SKIP() << "ulimit -v and sanitizers do not mix";
  const ScratchDirectory scratch;
  // 8.4 million ops drawn as SVG under 4 GB of address space: was std::bad_alloc after 15 s.
  const std::string script = "ulimit -v 4000000; exec '" + std::string(PIPEWISE_BINARY) +
                             "' simulate -s 1f1b -p 1024 -m 4096 --svg " + quoted(scratch.file("big.svg"));
  const auto start = std::chrono::steady_clock::now();
  const int status = std::system(("bash -c \"" + script + "\" >/dev/null 2>" +
                                  quoted(scratch.file("err")))
                                     .c_str());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  const std::string err = read_whole_file(scratch.file("err"));
  EXPECT_TRUE(has(err, "needs")) << err;
  EXPECT_TRUE(has(err, "for the timeline and the SVG of its 8.4e+06 ops")) << err;
  EXPECT_FALSE(fs::exists(scratch.file("big.svg")));
}

TEST(OutputRegression, PytorchCompatibleTextSaysWhatItLoses) {
  const ScratchDirectory scratch;
  const std::string schedule =
      scratch.write("pd.json", run_pipewise("show -s pipedream -p 2 -m 4 -n 2 -f json").out);
  const CliResult result = run_pipewise("convert " + quoted(schedule) + " " +
                                        quoted(scratch.file("pd.txt")) + " --pytorch-compatible");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(line_count(result.err), 1u) << result.err;
  EXPECT_TRUE(has(result.err, "warning: --pytorch-compatible loses")) << result.err;
  EXPECT_TRUE(has(result.err, "n reads back as 1 (was 2)")) << result.err;
  EXPECT_TRUE(has(result.err, "the weight versions held per device reads back as [1,1] (was [2,1])"))
      << result.err;
}

TEST(OutputRegression, MessagesShowControlCharactersEscaped) {
  const ScratchDirectory scratch;
  const CliResult result = run_pipewise("validate \"$(printf 'bad\\033[31m\\rname\\n.json')\"");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(line_count(result.err), 1u) << result.err;
  EXPECT_EQ(result.err.find('\033'), std::string::npos) << "a raw ESC reached the terminal";
  EXPECT_EQ(result.err.find('\r'), std::string::npos) << "a raw CR reached the terminal";
  EXPECT_TRUE(has(result.err, "bad\\x1b[31m\\rname\\n.json")) << result.err;
}

TEST(OutputRegression, CostFileErrorsNameTheFileOnce) {
  const ScratchDirectory scratch;
  fs::create_directory(scratch.file("d"));
  // Was "d: cannot read d: Is a directory".
  expect_refused(run_pipewise("sweep -p 2 -m 4 --costs " + quoted(scratch.file("d"))),
                 "error: cannot read " + scratch.file("d") + ": Is a directory");
  const std::string costs = scratch.write(
      "c.json", R"({"schema": "pipewise.costs", "version": 1, "stages": [{"stage": 9, "forward": 1}]})");
  // Was "$.stages[0].stage = 9 is outside 0..1", no file named.
  expect_refused(run_pipewise("simulate -s 1f1b -p 2 -m 4 --costs " + quoted(costs)),
                 costs + ": $.stages[0].stage = 9 is outside 0..1");
  expect_refused(run_pipewise("sweep -p 2 -m 4 --costs " + quoted(costs)),
                 costs + ": $.stages[0].stage = 9 is outside 0..1");
}

// ---- Second round: the same classes, other inputs -------------------------------------

TEST(SecondRound, AFileWithOtherHardLinksIsRefusedNotSplitFromThem) {
  const ScratchDirectory scratch;
  const std::string original = scratch.write("report.json", "old");
  fs::create_hard_link(original, scratch.file("alias.json"));
  expect_refused(run_pipewise("simulate -s 1f1b -p 2 -m 4 --trace " + quoted(scratch.file("alias.json"))),
                 "it has 2 hard links");
  EXPECT_EQ(fs::hard_link_count(original), 2u);  // was: alias.json replaced, the link split
  EXPECT_EQ(read_whole_file(original), "old");
}

TEST(SecondRound, AModelFilesDefaultBackwardPastTheLargestDoubleIsNamed) {
  const ScratchDirectory scratch;
  const std::string model = scratch.write(
      "m.json", R"({"name": "x", "layers": [{"name": "a", "count": 4, "forward_ms": 1e308}]})");
  // Was: "backward must be a finite number >= 0 (got inf)", a value the file does not hold.
  expect_refused(run_pipewise("partition -p 2 --model " + quoted(model)),
                 "$.layers[0]'s forward is too large: its default backward (2 x forward) is past "
                 "the largest number a double holds");
}

TEST(SecondRound, HugeAndTinyResultsAreNeverShownAsZeroOrAWallOfDigits) {
  // A 1e300 us latency: a makespan of 4e297 ms was printed in 298 digits and the
  // throughput of 1e-294 micro-batches/s as "0.00".
  const CliResult result = run_pipewise("simulate -s 1f1b -p 2 -m 4 --latency-us 1e300");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(has(result.out, "makespan                4.00e+297 ms")) << result.out;
  EXPECT_TRUE(has(result.out, "throughput              1.00e-294 micro-batches/s")) << result.out;
  EXPECT_FALSE(has(result.out, "0000000000")) << result.out;
}

TEST(SecondRound, PathsEchoedInReportsAreShownEscaped) {
  const ScratchDirectory scratch;
  const std::string schedule = scratch.write("s.json", run_pipewise("show -s 1f1b -p 2 -m 2 -f json").out);
  const std::string costs = scratch.write("c\x1b[2J.json", R"({"schema": "pipewise.costs", "version": 1})");
  // Was: the raw escape sequence in "wrote ...", "costs from ..." (it clears a terminal).
  for (const std::string& command : std::vector<std::string>{
           "convert " + quoted(schedule) + " " + quoted(scratch.file("x\x1b[2J.txt")),
           "sweep -p 2 -m 4 --costs " + quoted(costs),
           "partition -p 2 --model bert-large --write-costs " + quoted(scratch.file("w\x1b[2J.json"))}) {
    const CliResult result = run_pipewise(command);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out.find('\x1b'), std::string::npos) << command << ": a raw ESC on stdout";
    EXPECT_TRUE(has(result.out, "\\x1b[2J")) << result.out;
  }
}

TEST(SecondRound, AScheduleJsonTooLargeForTheProcessIsRefusedUpFront) {
  if (kSanitized) GTEST_SKIP() << "ulimit -v and sanitizers do not mix";
  const ScratchDirectory scratch;
  // 8.4 million ops as JSON (about 0.8 GB of text) under 1.5 GB of address space: was
  // "out of memory" after 17 s of writing.
  const std::string script = "ulimit -v 1500000; exec '" + std::string(PIPEWISE_BINARY) +
                             "' show -s 1f1b -p 1024 -m 4096 -f json -o " + quoted(scratch.file("big.json"));
  const int status = std::system(("bash -c \"" + script + "\" >/dev/null 2>" +
                                  quoted(scratch.file("err")))
                                     .c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  const std::string err = read_whole_file(scratch.file("err"));
  EXPECT_TRUE(has(err, "for the JSON of its 8.4e+06 ops")) << err;
  EXPECT_FALSE(fs::exists(scratch.file("big.json")));
}

TEST(SecondRound, ShowDrawsNoTimelineForAnInvalidScheduleFile) {
  const ScratchDirectory scratch;
  const std::string file = scratch.write(
      "d.txt", "# pipewise p=1 v=1 m=1 n=1 placement=looped name=x\n0F0,0B0,0STEP,0STEP\n");
  const CliResult result = run_pipewise("show --schedule-file " + quoted(file));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(has(result.out, "device 0: 0F0 0B0 0STEP 0STEP")) << result.out;  // shown as read
  // Was: a grid of unit-cost times simulated from the invalid schedule.
  EXPECT_TRUE(has(result.out, "no timeline: invalid schedule: duplicate-op: 0STEP")) << result.out;
  EXPECT_FALSE(has(result.out, "d0 |")) << result.out;
}

}  // namespace
}  // namespace pipewise::tools::testing
