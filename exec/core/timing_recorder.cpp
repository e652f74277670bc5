#include "exec/core/timing_recorder.hpp"

#include <algorithm>
#include <limits>

#include "common/ir/error.hpp"

namespace pipewise::exec {

void TimingRecorder::on_run_start(const Schedule& schedule, std::int64_t origin_ns) {
  schedule_ = schedule;
  origin_ns_ = origin_ns;
  succeeded_ = false;
  intervals_.assign(schedule.programs.size(), {});
  memory_.assign(memory_source_ != nullptr ? schedule.programs.size() : 0, {});
  for (std::size_t d = 0; d < schedule.programs.size(); ++d) {
    intervals_[d].assign(schedule.programs[d].size(), OpInterval{});
    if (memory_source_ != nullptr) memory_[d].assign(schedule.programs[d].size(), MemoryPoint{});
  }
}

void TimingRecorder::on_op(std::uint32_t device, std::size_t index, const Op&,
                           std::int64_t start_ns, std::int64_t end_ns) {
  intervals_[device][index] = {start_ns - origin_ns_, end_ns - origin_ns_};
  if (memory_source_ != nullptr) {
    const MemoryAccount& account = memory_source_->memory(device);
    memory_[device][index] = {account.current_bytes(), account.live_activations()};
  }
}

std::int64_t TimingRecorder::makespan_ns() const {
  std::int64_t end = 0;
  for (const auto& device : intervals_) {
    for (const OpInterval& interval : device) end = std::max(end, interval.end_ns);
  }
  return end;
}

std::int64_t TimingRecorder::compute_ns(std::uint32_t device) const {
  std::int64_t total = 0;
  const auto& program = schedule_.programs[device];
  for (std::size_t i = 0; i < program.size(); ++i) {
    const OpInterval& interval = intervals_[device][i];
    const bool computes = is_compute(program[i].kind) || program[i].kind == OpKind::OptimizerStep;
    if (computes && interval.ran()) total += interval.duration_ns();
  }
  return total;
}

std::int64_t step_start_ns(const StepIntervals& step) {
  std::int64_t start = std::numeric_limits<std::int64_t>::max();
  for (const auto& device : step) {
    for (const OpInterval& interval : device) {
      if (interval.ran()) start = std::min(start, interval.start_ns);
    }
  }
  if (start == std::numeric_limits<std::int64_t>::max()) throw Error("a timed step ran no op");
  return start;
}

}  // namespace pipewise::exec
