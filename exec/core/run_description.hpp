#pragma once
#include <string>
#include <vector>

namespace pipewise::exec {

// How the devices of a run sat on the machine: what a report prints beside the run's
// numbers so that a reader knows how far to trust the timings. Each backend describes its
// own runs (TrainingBackend::describe_run); reports print the fields, never parse them.
struct RunDescription {
  // One fact per line, without a trailing newline, e.g. "2 device(s) on 16 core(s), each
  // worker pinned to a core of its own" or "device 0: GPU 0, green-context, 32 SMs, ...".
  std::vector<std::string> placement;
  // What makes the timings measure more than the schedule, one line each, without a
  // "warning:" prefix: e.g. more devices than cores, emulated devices sharing every SM.
  std::vector<std::string> warnings;
  // Every device had a core (CPU), or a GPU or an SM partition (CUDA), of its own.
  bool dedicated = false;
};

}  // namespace pipewise::exec
