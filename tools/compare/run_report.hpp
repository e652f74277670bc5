#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/ir/problem.hpp"
#include "exec/model/partition.hpp"
#include "exec/core/execution_profile.hpp"
#include "tools/compare/measured_vs_predicted.hpp"

// The report of `pipewise run`: a measured run of a real model beside the simulator's
// prediction of it from the model's profiled costs. Two forms: text for people and JSON
// (schema "pipewise.run", documented in docs/run-report-json.md).

namespace pipewise::tools {

struct RunReport {
  std::string backend;   // "cpu" or "cuda"
  std::string schedule;  // the schedule's name
  Problem problem;
  // The model: an MLP with these layer widths, split into p·v stages by parameter count.
  std::vector<std::uint32_t> widths;
  std::uint64_t parameters = 0;
  std::vector<exec::LayerRange> stage_layers;  // the layers of each model stage
  std::uint32_t microbatch_size = 0;     // samples per micro-batch
  std::string optimizer;                 // "sgd", "momentum" or "adam"
  // Each op timed alone (profile_cpu_execution or the backend's own), with this many timed
  // repeats behind each median; its transfer fit is the prediction's link model.
  exec::ExecutionProfile isolated_profile;
  std::uint32_t profile_repeats = 0;
  // Steps of the pipeline whose op durations were profiled (profile_from_steps); 0 when the
  // prediction was made from the isolated profile alone.
  std::uint32_t profile_steps = 0;
  exec::ExecutionProfile profile;  // what the prediction was made from
  std::uint32_t warmup_steps = 0;
  std::uint32_t timed_steps = 0;
  // Where the workers ran: one line each, e.g. "2 devices on 2 cores, each pinned to its own".
  std::vector<std::string> placement;
  bool pinned = false;  // every device had a core (CPU) or its own GPU or partition (CUDA)
  std::vector<std::string> warnings;  // e.g. more devices than cores: timings measure contention
  double first_loss = 0.0;  // mean loss of the first step run (warm-up steps included)
  double last_loss = 0.0;   // mean loss of the last step run
  RunComparison comparison;
};

// The report for people: the run, the profile, then measured, predicted and error side by
// side (step time, bubble, per device busy time, bubble and memory; op error distributions),
// and any warnings. Multi-line, ending in a newline.
std::string run_report_text(const RunReport& report);

// The report as one JSON object, schema "pipewise.run" version 1 (pretty-printed, ending in a
// newline). Infinite relative errors (a figure predicted as 0) are written as null.
std::string run_report_json(const RunReport& report);

}  // namespace pipewise::tools
