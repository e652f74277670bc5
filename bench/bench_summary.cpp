// bench_summary RESULTS_DIR: reads the JSON the benchmark suites wrote into RESULTS_DIR
// (common.json, sim.json, sim_large.json, sim_huge.json, sweep.json, exec.json, exec_mpi.json, search.json, and the repeated target
// runs sim_targets.json, sweep_targets.json, exec_targets.json; scripts/bench.sh writes
// them) and prints one table: every headline figure, its target and whether it was met.
// A figure with repeated runs is their median.
// Figures whose run is missing or failed read "not run". Targets are reported, never
// asserted: the exit status is 0 whenever the files that exist can be read.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using nlohmann::json;

// One suite's output: its context, its runs by name, and their names in run order.
struct Suite {
  json context;
  std::map<std::string, json> runs;
  std::vector<std::string> order;
};

std::map<std::string, Suite> load_suites(const std::filesystem::path& directory) {
  std::map<std::string, Suite> suites;
  for (const char* suite_name : {"common", "sim", "sim_large", "sim_huge", "sweep", "exec", "exec_mpi", "cli", "search",
                                 "sim_targets", "sweep_targets", "exec_targets", "cli_targets"}) {
    const std::filesystem::path path = directory / (std::string(suite_name) + ".json");
    std::ifstream file(path);
    if (!file) continue;
    Suite suite;
    try {
      const json document = json::parse(file);
      suite.context = document.value("context", json::object());
      for (const json& run : document.at("benchmarks")) {
        const std::string run_name = run.at("name").get<std::string>();
        suite.runs[run_name] = run;
        suite.order.push_back(run_name);
      }
    } catch (const json::exception& error) {
      throw std::runtime_error(path.string() + " is not Google Benchmark JSON: " + error.what());
    }
    suites[suite_name] = std::move(suite);
  }
  return suites;
}

// A figure read from the JSON, and how many repetitions its value is the median of.
struct Reading {
  double value = 0.0;
  int repetitions = 1;
};

// A figure's value from one run: a counter, or the run's real or CPU time in seconds.
std::optional<Reading> read_run(const std::map<std::string, Suite>& suites,
                                const std::string& suite, const std::string& run,
                                const std::string& field) {
  const auto found_suite = suites.find(suite);
  if (found_suite == suites.end()) return std::nullopt;
  const auto found_run = found_suite->second.runs.find(run);
  if (found_run == found_suite->second.runs.end()) return std::nullopt;
  const json& values = found_run->second;
  if (values.value("error_occurred", false) || !values.contains(field)) return std::nullopt;
  Reading reading{values.at(field).get<double>(), 1};
  if (values.value("aggregate_name", "") == "median") {
    reading.repetitions = values.value("repetitions", 1);
  }
  if (field == "real_time" || field == "cpu_time") {
    static const std::map<std::string, double> kSecondsPerUnit = {
        {"ns", 1e-9}, {"us", 1e-6}, {"ms", 1e-3}, {"s", 1.0}};
    reading.value *= kSecondsPerUnit.at(values.value("time_unit", "ns"));
  }
  return reading;
}

// A figure's value: the median over the repetitions of `run` in <suite>_targets.json when
// that file has it (scripts/bench.sh repeats the runs that have targets), else `run` in
// <suite>.json.
std::optional<Reading> read_figure(const std::map<std::string, Suite>& suites,
                                   const std::string& suite, const std::string& run,
                                   const std::string& field) {
  if (auto median = read_run(suites, suite + "_targets", run + "_median", field)) return median;
  return read_run(suites, suite, run, field);
}

enum class Goal { None, AtLeast, AtMost };

struct Row {
  std::string figure;
  std::optional<Reading> value;
  std::string unit;    // how value is printed: "M ops/s", "configs/s", "ns", ...
  double scale = 1.0;  // printed value = value / scale
  Goal goal = Goal::None;
  double target = 0.0;  // in the same printed unit
};

std::string format_number(double value) {
  if (std::fabs(value) >= 100000) return fmt::format("{:.0f}", value);
  if (std::fabs(value) >= 100) return fmt::format("{:.1f}", value);
  return fmt::format("{:.2f}", value);
}

void print_table(const std::vector<Row>& rows) {
  std::size_t width = 6;
  for (const Row& row : rows) width = std::max(width, row.figure.size());
  fmt::print("{:<{}}  {:>22}  {:>18}  {:<7}  {}\n", "Figure", width, "Measured", "Target", "Status",
             "Runs");
  fmt::print("{}\n", std::string(width + 2 + 22 + 2 + 18 + 2 + 7 + 2 + 12, '-'));
  for (const Row& row : rows) {
    std::string measured = "not run";
    std::string status = row.goal == Goal::None ? "-" : "not run";
    std::string runs;
    if (row.value) {
      const double shown = row.value->value / row.scale;
      runs = row.value->repetitions > 1 ? fmt::format("median of {}", row.value->repetitions) : "1";
      measured = format_number(shown) + " " + row.unit;
      if (row.goal == Goal::AtLeast) status = shown >= row.target ? "met" : "MISSED";
      if (row.goal == Goal::AtMost) status = shown <= row.target ? "met" : "MISSED";
    }
    std::string target = "-";
    if (row.goal == Goal::AtLeast) target = ">= " + format_number(row.target) + " " + row.unit;
    if (row.goal == Goal::AtMost) target = "<= " + format_number(row.target) + " " + row.unit;
    fmt::print("{:<{}}  {:>22}  {:>18}  {:<7}  {}\n", row.figure, width, measured, target, status,
               runs);
  }
}

// Schedules that have runs named "<prefix><schedule>/...", in the order of first appearance.
std::vector<std::string> schedules_with_runs(const std::map<std::string, Suite>& suites,
                                             const std::string& suite, const std::string& prefix) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  const auto found = suites.find(suite);
  if (found == suites.end()) return names;
  for (const std::string& name : found->second.order) {
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string schedule =
        name.substr(prefix.size(), name.find('/', prefix.size()) - prefix.size());
    if (seen.insert(schedule).second) names.push_back(schedule);
  }
  return names;
}

// The largest bytes/op of every generated schedule (capacity included).
std::optional<Reading> largest_bytes_per_op(const std::map<std::string, Suite>& suites) {
  std::optional<Reading> largest;
  const auto found = suites.find("common");
  if (found == suites.end()) return largest;
  for (const auto& [name, run] : found->second.runs) {
    if (name.rfind("BM_Generate/", 0) != 0 || !run.contains("bytes/op")) continue;
    const double bytes = run.at("bytes/op").get<double>();
    if (!largest || bytes > largest->value) largest = Reading{bytes, 1};
  }
  return largest;
}

std::optional<Reading> op_size(const std::map<std::string, Suite>& suites) {
  const auto found = suites.find("common");
  if (found == suites.end() || !found->second.context.contains("sizeof(Op)")) return std::nullopt;
  return Reading{std::stod(found->second.context.at("sizeof(Op)").get<std::string>()), 1};
}

std::vector<Row> summary_rows(const std::map<std::string, Suite>& suites) {
  const auto field = [&](const std::string& suite, const std::string& run,
                         const std::string& name) { return read_figure(suites, suite, run, name); };
  std::vector<Row> rows;
  rows.push_back({"IR: sizeof(Op)", op_size(suites), "B", 1, Goal::AtMost, 16});
  rows.push_back({"IR: bytes/op of generated programs (largest)", largest_bytes_per_op(suites), "B",
                  1, Goal::AtMost, 16});

  const std::string reference = "/p:64/m:1024/v:1";
  for (const std::string& schedule : schedules_with_runs(suites, "common", "BM_Generate/")) {
    rows.push_back({"generate " + schedule + reference,
                    field("common", "BM_Generate/" + schedule + reference, "ops/s"), "M ops/s",
                    1e6});
  }
  for (const std::string& schedule : schedules_with_runs(suites, "common", "BM_Validate/")) {
    for (const char* lowered : {"0", "1"}) {
      rows.push_back(
          {"validate " + schedule + reference + "/lowered:" + lowered,
           field("common", "BM_Validate/" + schedule + reference + "/lowered:" + lowered, "ops/s"),
           "M ops/s", 1e6});
    }
  }

  for (const char* comm : {"0", "1"}) {
    const std::string point = std::string("1f1b/p:64/m:4096/v:1/memory:1/comm:") + comm;
    const std::string label = "simulate 1f1b/p:64/m:4096/memory:1/comm:" + std::string(comm);
    const std::optional<Reading> current = field("sim", "BM_Simulate/" + point, "ops/s");
    const std::optional<Reading> previous = field("sim", "BM_SimulatePrevious/" + point, "ops/s");
    rows.push_back({label + " (1 core)", current, "M ops/s", 1e6, Goal::AtLeast, 150});
    rows.push_back({label + ", previous engine, same run", previous, "M ops/s", 1e6});
    // Both engines measured in one process, so that the ratio is free of the machine's load
    // between runs.
    std::optional<Reading> speedup;
    if (current && previous && previous->value > 0) {
      speedup = Reading{current->value / previous->value,
                        std::min(current->repetitions, previous->repetitions)};
    }
    rows.push_back({label + ": speed-up over the previous engine", speedup, "x", 1,
                    Goal::AtLeast, 2});
  }
  for (const std::string& schedule : schedules_with_runs(suites, "sim", "BM_Simulate/")) {
    rows.push_back(
        {"simulate " + schedule + reference + "/memory:1/comm:1",
         field("sim", "BM_Simulate/" + schedule + reference + "/memory:1/comm:1", "ops/s"),
         "M ops/s", 1e6});
    rows.push_back(
        {"simulate " + schedule + reference + " + timeline",
         field("sim", "BM_SimulateTimeline/" + schedule + reference + "/comm:1", "ops/s"),
         "M ops/s", 1e6});
  }
  // Streamed 1F1B at p = 1024 (schedule_stream.hpp), each in a process of its own.
  const std::string large = "BM_Simulate_Large/m:65536/iterations:1";
  rows.push_back({"simulate 1f1b p=1024 m=65536 (134M ops, streamed): wall",
                  field("sim_large", large, "real_time"), "s", 1, Goal::AtMost, 4});
  rows.push_back({"simulate 1f1b p=1024 m=65536: peak memory (VmHWM)",
                  field("sim_large", large, "peak_GiB"), "GiB", 1, Goal::AtMost, 1});
  const std::string huge = "BM_Simulate_Large/m:524288/iterations:1";
  rows.push_back({"simulate 1f1b p=1024 m=524288 (1.07G ops, streamed): wall",
                  field("sim_huge", huge, "real_time"), "s", 1, Goal::AtMost, 30});
  rows.push_back({"simulate 1f1b p=1024 m=524288: peak memory (VmHWM)",
                  field("sim_huge", huge, "peak_GiB"), "GiB", 1, Goal::AtMost, 1});

  const auto sweep = suites.find("sweep");
  if (sweep != suites.end()) {
    for (const std::string& name : sweep->second.order) {
      if (name.rfind("BM_Sweep/", 0) != 0) continue;
      const bool all_cores = name != "BM_Sweep/threads:1/real_time";
      const std::string threads = name.substr(9, name.find("/real_time") - 9);
      rows.push_back({"sweep p<=16 m<=64, " + threads, field("sweep", name, "configs/s"),
                      "configs/s", 1, all_cores ? Goal::AtLeast : Goal::None, 50000});
      rows.push_back({"sweep p<=16 m<=64, " + threads + ", per CPU-second",
                      field("sweep", name, "configs/cpu_s"), "configs/s", 1});
    }
  } else {
    rows.push_back(
        {"sweep p<=16 m<=64, all cores", std::nullopt, "configs/s", 1, Goal::AtLeast, 50000});
  }

  rows.push_back({"recommend 1T GPT on 4096 GPUs, every schedule: wall",
                  field("cli", "BM_Command/recommend_1t_4096/iterations:1/real_time", "real_time"), "s", 1,
                  Goal::AtMost, 10});
  rows.push_back({"recommend 1T GPT on 4096 GPUs, --exhaustive: wall",
                  field("cli", "BM_Command/recommend_1t_4096_exhaustive/iterations:1/real_time", "real_time"),
                  "s", 1});

  // The schedule search at p = 32 (bench/search_bench.cpp's cases).
  for (const char* which : {"0", "1", "2", "3"}) {
    const std::string run = std::string("BM_Search/p:32/m:64/case:") + which;
    rows.push_back({std::string("search p=32 m=64 case ") + which + ": wall, one thread",
                    field("search", run, "real_time"), "s", 1, Goal::AtMost, 3});
    rows.push_back({std::string("search p=32 m=64 case ") + which + ": faster than hand-written",
                    field("search", run, "gain_pct"), "%", 1, Goal::AtLeast, 0});
  }

  for (const char* devices : {"1", "2"}) {
    const std::string run =
        std::string("BM_ExecutorOverhead/p:") + devices + "/m:16384/observer:0/manual_time";
    rows.push_back({"executor 1f1b p=" + std::string(devices) + " m=16384 empty compute, per op",
                    field("exec", run, "device_ns/op"), "ns", 1, Goal::AtMost, 2000});
    rows.push_back({"executor 1f1b p=" + std::string(devices) + " m=16384, CPU per op",
                    field("exec", run, "cpu_ns/op"), "ns", 1});
  }
  // Over MPI: 2 ranks (mpirun), one pipeline device each.
  const std::string mpi_run = "BM_MpiExecutorOverhead/m:4096/observer:0/iterations:12/manual_time";
  rows.push_back({"executor over MPI, 1f1b p=2 m=4096 empty compute, per op",
                  field("exec_mpi", mpi_run, "device_ns/op"), "ns", 1, Goal::AtMost, 5000});
  rows.push_back({"executor over MPI, 1f1b p=2 m=4096, CPU per op",
                  field("exec_mpi", mpi_run, "cpu_ns/op"), "ns", 1});
  rows.push_back({"transport latency, 4-byte message (one way)",
                  field("exec", "BM_TransportLatency/floats:1/manual_time", "real_time"), "us",
                  1e-6});
  rows.push_back({"transport bandwidth, 16 MiB messages",
                  field("exec", "BM_TransportBandwidth/bytes:16777216/checksums:0/real_time",
                        "bytes_per_second"),
                  "GB/s", 1e9});
  rows.push_back({"transport bandwidth, 16 MiB messages, checksums",
                  field("exec", "BM_TransportBandwidth/bytes:16777216/checksums:1/real_time",
                        "bytes_per_second"),
                  "GB/s", 1e9});
  for (const char* command : {"help", "show", "validate", "simulate"}) {
    const std::string run = std::string("BM_Command/") + command + "/real_time";
    rows.push_back({std::string("pipewise ") + command + ": whole process", field("cli", run, "real_time"),
                    "ms", 1e-3, Goal::AtMost, 20});
    rows.push_back({std::string("pipewise ") + command + ": peak resident memory",
                    field("cli", run, "max_rss_KiB"), "MiB", 1024, Goal::AtMost, 20});
  }
  return rows;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: bench_summary RESULTS_DIR\n");
    return 2;
  }
  try {
    const std::map<std::string, Suite> suites = load_suites(argv[1]);
    if (suites.empty()) {
      std::fprintf(stderr, "bench_summary: no benchmark JSON in %s\n", argv[1]);
      return 1;
    }
    print_table(summary_rows(suites));
    for (const auto& [name, suite] : suites) {
      if (!suite.context.contains("load_avg")) continue;
      const json& load = suite.context.at("load_avg");
      fmt::print("{}: load average {:.2f} {:.2f} {:.2f} when it started\n", name,
                 load.at(0).get<double>(), load.at(1).get<double>(), load.at(2).get<double>());
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bench_summary: %s\n", error.what());
    return 1;
  }
  return 0;
}
