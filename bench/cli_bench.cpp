// What a user waits for before a command does anything: the whole `pipewise` process,
// start-up (loading its libraries) included, for the commands that do little else.
//
//   BM_Command/<name>  posix_spawn + wait of `pipewise <arguments>`, output to /dev/null:
//                      its time is the wall time of one run (ms); the counter max_rss_KiB
//                      the largest resident set of one run (wait4's rusage).
//                      Target: < 20 ms and < 20 MiB (help, show, validate, simulate).
//
// The binary is the one this build made (build/tools/pipewise), or $PIPEWISE_BENCH_BINARY,
// so that another build (an older commit's) is measured the same way, side by side.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace {

std::string binary() {
  const char* chosen = std::getenv("PIPEWISE_BENCH_BINARY");
  return chosen != nullptr ? chosen : PIPEWISE_BINARY;
}

// A schedule file for `validate`, written once in the temporary folder.
std::string schedule_file() {
  static const std::string path = [] {
    std::string file = std::string(P_tmpdir) + "/pipewise-cli-bench-" + std::to_string(getpid()) + ".json";
    const std::string command = binary() + " show -s 1f1b -p 4 -m 8 -f json > " + file;
    if (std::system(command.c_str()) != 0) throw std::runtime_error("cannot write " + file);
    return file;
  }();
  return path;
}

// Runs `pipewise arguments` with stdout and stderr on /dev/null; returns its rusage.
rusage run_once(const std::vector<std::string>& arguments) {
  std::vector<std::string> words = {binary()};
  words.insert(words.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv;
  for (std::string& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t child = 0;
  const int failed = posix_spawn(&child, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (failed != 0) throw std::runtime_error("cannot start " + words.front());
  int status = 0;
  rusage usage{};
  wait4(child, &status, 0, &usage);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error(words.front() + " " + arguments.front() + " failed");
  }
  return usage;
}

void BM_Command(benchmark::State& state, std::vector<std::string> arguments) {
  if (arguments.front() == "validate") arguments.push_back(schedule_file());
  long max_rss_kib = 0;
  try {
    for (auto _ : state) max_rss_kib = std::max(max_rss_kib, run_once(arguments).ru_maxrss);
  } catch (const std::exception& error) {
    state.SkipWithError(error.what());
    return;
  }
  state.counters["max_rss_KiB"] = static_cast<double>(max_rss_kib);
}

}  // namespace

BENCHMARK_CAPTURE(BM_Command, help, std::vector<std::string>{"--help"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Command, show, std::vector<std::string>{"show", "-s", "1f1b", "-p", "4", "-m", "8"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Command, validate, std::vector<std::string>{"validate"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Command, simulate,
                  std::vector<std::string>{"simulate", "-s", "1f1b", "-p", "8", "-m", "64"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Issue 16's planning target: every configuration of a 1T-parameter GPT (Narayanan et al.
// SC'21: the GPT-3 preset with 128 layers, hidden 25600, 160 heads) on 4096 GPUs, global
// batch 16384, micro-batch sizes 1..8, every schedule; target < 10 s, exact. Beside it the
// same search simulating every configuration (--exhaustive), measured in the same run.
const std::vector<std::string> kRecommendOneT = {
    "recommend", "--model", "gpt3-175b", "--num-layers", "128", "--hidden-size", "25600",
    "--num-attention-heads", "160",
    "--devices", "4096", "--global-batch-size", "16384", "--micro-batch-size", "1..8", "-s", "all"};
BENCHMARK_CAPTURE(BM_Command, recommend_1t_4096, kRecommendOneT)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);
BENCHMARK_CAPTURE(BM_Command, recommend_1t_4096_exhaustive,
                  [] {
                    std::vector<std::string> arguments = kRecommendOneT;
                    arguments.push_back("--exhaustive");
                    return arguments;
                  }())
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);

BENCHMARK_MAIN();
