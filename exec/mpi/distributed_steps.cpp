#include "exec/mpi/distributed_steps.hpp"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>

#include "exec/mpi/clock_sync.hpp"
#include "exec/mpi/mpi_exchange.hpp"
#include "exec/mpi/planning/gathered_steps.hpp"
#include "exec/mpi/planning/message_numbering.hpp"

namespace pipewise::exec::mpi {
namespace {

constexpr std::uint32_t kClockRounds = 20;
constexpr int kGatherTag = static_cast<int>(ControlTag::Gather);

std::vector<std::uint64_t> pack_memory(const MeasuredMemory& memory) {
  return {memory.peak_bytes, memory.peak_activation_bytes, memory.peak_activations,
          memory.weight_versions};
}

MeasuredMemory unpack_memory(const std::vector<std::uint64_t>& packed) {
  MeasuredMemory memory;
  if (packed.size() != 4) return memory;
  memory.peak_bytes = packed[0];
  memory.peak_activation_bytes = packed[1];
  memory.peak_activations = static_cast<std::uint32_t>(packed[2]);
  memory.weight_versions = static_cast<std::uint32_t>(packed[3]);
  return memory;
}

// What one rank tells rank 0 after its steps, in this order: its mean losses; then, in
// replica 0, its device's memory peaks and every profiling and timed step of its device.
struct RankReport {
  std::vector<double> mean_losses;
  MeasuredMemory memory;
  std::vector<std::vector<std::int64_t>> profiled;
  std::vector<std::vector<std::int64_t>> steps;
};

RankReport own_report(const TimedSteps& timed, RankPosition self) {
  RankReport report;
  report.mean_losses = timed.mean_losses;
  if (self.replica != 0) return report;
  report.memory = timed.memory[self.device];
  for (const TimingRecorder& step : timed.profiled) {
    report.profiled.push_back(pack_device_step(step, self.device));
  }
  for (const TimingRecorder& step : timed.steps) {
    report.steps.push_back(pack_device_step(step, self.device));
  }
  return report;
}

void send_report(const RankReport& report, RankPosition self, Deadline deadline,
                 const WaitPolicy& waiting) {
  const std::string what = "this rank's results for rank 0";
  send_values(report.mean_losses, 0, kGatherTag, MPI_COMM_WORLD, deadline, waiting, what);
  if (self.replica != 0) return;
  send_values(pack_memory(report.memory), 0, kGatherTag, MPI_COMM_WORLD, deadline, waiting, what);
  for (const auto& step : report.profiled) {
    send_values(step, 0, kGatherTag, MPI_COMM_WORLD, deadline, waiting, what);
  }
  for (const auto& step : report.steps) {
    send_values(step, 0, kGatherTag, MPI_COMM_WORLD, deadline, waiting, what);
  }
}

RankReport receive_report(std::uint32_t rank, RankPosition position, std::size_t profiled,
                          std::size_t steps, Deadline deadline, const WaitPolicy& waiting) {
  const int source = static_cast<int>(rank);
  const std::string what = "the results of rank " + std::to_string(rank);
  RankReport report;
  report.mean_losses =
      receive_values<double>(source, kGatherTag, MPI_COMM_WORLD, deadline, waiting, what);
  if (position.replica != 0) return report;
  report.memory = unpack_memory(
      receive_values<std::uint64_t>(source, kGatherTag, MPI_COMM_WORLD, deadline, waiting, what));
  for (std::size_t i = 0; i < profiled; ++i) {
    report.profiled.push_back(
        receive_values<std::int64_t>(source, kGatherTag, MPI_COMM_WORLD, deadline, waiting, what));
  }
  for (std::size_t i = 0; i < steps; ++i) {
    report.steps.push_back(
        receive_values<std::int64_t>(source, kGatherTag, MPI_COMM_WORLD, deadline, waiting, what));
  }
  return report;
}

// Per step, the mean of the ranks' finite mean losses (NaN when none has one).
std::vector<double> mean_over_ranks(const std::vector<RankReport>& reports, std::size_t steps) {
  std::vector<double> means(steps, std::nan(""));
  for (std::size_t i = 0; i < steps; ++i) {
    double sum = 0.0;
    std::size_t count = 0;
    for (const RankReport& report : reports) {
      if (i < report.mean_losses.size() && std::isfinite(report.mean_losses[i])) {
        sum += report.mean_losses[i];
        ++count;
      }
    }
    if (count > 0) means[i] = sum / static_cast<double>(count);
  }
  return means;
}

}  // namespace

DistributedSteps run_distributed_steps(const MpiWorld& world, const GridCommunicators& grid,
                                       const Schedule& schedule, Backend& backend,
                                       TimedStepOptions options, const StepHooks& hooks) {
  const auto timeout = options.run.receive_timeout;
  const auto deadline = [&] { return std::chrono::steady_clock::now() + timeout; };
  DistributedSteps result;
  result.start_offsets = measure_clock_offsets(world, kClockRounds, deadline());
  options.devices = {grid.self().device};
  StepHooks meeting_hooks = hooks;
  meeting_hooks.before_step = [&] {
    if (hooks.before_step) hooks.before_step();
    meet(MPI_COMM_WORLD, deadline(), "the start of a step");
  };
  TimedSteps own = run_timed_steps(schedule, backend, options, meeting_hooks);
  result.end_offsets = measure_clock_offsets(world, kClockRounds, deadline());

  const WaitPolicy waiting = world.waiting();
  if (world.rank() != 0) {
    send_report(own_report(own, grid.self()), grid.self(), deadline(), waiting);
    result.steps = std::move(own);
    return result;
  }
  std::vector<RankReport> reports;
  reports.push_back(own_report(own, grid.self()));
  for (std::uint32_t rank = 1; rank < world.size(); ++rank) {
    reports.push_back(receive_report(rank, grid.grid().position_of(rank), own.profiled.size(),
                                     own.steps.size(), deadline(), waiting));
  }
  for (std::uint32_t rank = 0; rank < world.size(); ++rank) {
    result.clocks.push_back(clock_mapping(result.start_offsets[rank], result.end_offsets[rank]));
  }
  const auto merged = [&](auto member, std::size_t index) {
    std::vector<DeviceStep> devices;
    for (std::uint32_t d = 0; d < schedule.problem.devices; ++d) {
      const std::uint32_t rank = grid.grid().rank_of({d, 0});
      devices.push_back({d, (reports[rank].*member)[index], result.clocks[rank]});
    }
    return merge_device_steps(schedule, devices);
  };
  TimedSteps& steps = result.steps;
  for (std::size_t i = 0; i < own.profiled.size(); ++i) {
    steps.profiled.push_back(merged(&RankReport::profiled, i));
  }
  for (std::size_t i = 0; i < own.steps.size(); ++i) {
    steps.steps.push_back(merged(&RankReport::steps, i));
  }
  for (std::uint32_t d = 0; d < schedule.problem.devices; ++d) {
    steps.memory.push_back(reports[grid.grid().rank_of({d, 0})].memory);
  }
  steps.mean_losses = mean_over_ranks(reports, own.mean_losses.size());
  return result;
}

}  // namespace pipewise::exec::mpi
