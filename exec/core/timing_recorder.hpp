#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "exec/core/backend.hpp"
#include "exec/core/run_observer.hpp"

namespace pipewise::exec {

// When one op ran, in nanoseconds since the start of the run; -1 for an op that never ran.
struct OpInterval {
  std::int64_t start_ns = -1;
  std::int64_t end_ns = -1;
  bool ran() const { return end_ns >= 0; }
  std::int64_t duration_ns() const { return end_ns - start_ns; }
};

// What a device held right after one op.
struct MemoryPoint {
  std::uint64_t bytes = 0;
  std::uint32_t live_activations = 0;
};

// Records the start and end of every op on every device and, when given a backend, the
// device's memory right after each op. Storage is sized at run start, so recording
// allocates nothing. Reports and trace writers read it after the run.
class TimingRecorder final : public RunObserver {
 public:
  TimingRecorder() = default;
  // Also samples `memory_source.memory(device)` after every op; the backend must be the
  // one the run uses, and must outlive the recorder's runs.
  explicit TimingRecorder(const Backend& memory_source) : memory_source_(&memory_source) {}

  void on_run_start(const Schedule& schedule, std::int64_t origin_ns) override;
  void on_op(std::uint32_t device, std::size_t index, const Op& op, std::int64_t start_ns,
             std::int64_t end_ns) override;
  void on_run_end(bool succeeded) override { succeeded_ = succeeded; }

  // The schedule of the last run; intervals()[d][i] times schedule().programs[d][i].
  const Schedule& schedule() const { return schedule_; }
  const std::vector<std::vector<OpInterval>>& intervals() const { return intervals_; }
  // The backend clock at the start of the last run, from which intervals() count.
  std::int64_t origin_ns() const { return origin_ns_; }
  // memory_after_op()[d][i]: what device d held after op i; empty without a memory source.
  const std::vector<std::vector<MemoryPoint>>& memory_after_op() const { return memory_; }
  bool succeeded() const { return succeeded_; }
  // End of the last op to finish, since the start of the run (0 when none ran).
  std::int64_t makespan_ns() const;
  // Time `device` spent in compute ops (F, B, I, W, optimizer steps), not waiting or
  // communicating.
  std::int64_t compute_ns(std::uint32_t device) const;

 private:
  Schedule schedule_;
  std::int64_t origin_ns_ = 0;
  std::vector<std::vector<OpInterval>> intervals_;
  const Backend* memory_source_ = nullptr;
  std::vector<std::vector<MemoryPoint>> memory_;
  bool succeeded_ = false;
};

// The ops of one step: intervals[d][i] times schedule.programs[d][i] (TimingRecorder's form),
// in ns since any origin.
using StepIntervals = std::vector<std::vector<OpInterval>>;

// The start of a step's first op, in ns on its intervals' clock. Throws pipewise::Error when
// no op ran.
std::int64_t step_start_ns(const StepIntervals& step);

}  // namespace pipewise::exec
