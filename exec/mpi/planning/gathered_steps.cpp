#include "exec/mpi/planning/gathered_steps.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "common/ir/error.hpp"

namespace pipewise::exec::mpi {

std::vector<std::int64_t> pack_device_step(const TimingRecorder& step, std::uint32_t device) {
  const std::vector<OpInterval>& ops = step.intervals().at(device);
  std::vector<std::int64_t> packed;
  packed.reserve(1 + 2 * ops.size());
  packed.push_back(step.origin_ns());
  for (const OpInterval& op : ops) {
    packed.push_back(op.start_ns);
    packed.push_back(op.end_ns);
  }
  return packed;
}

TimingRecorder merge_device_steps(const Schedule& schedule, std::span<const DeviceStep> devices) {
  const std::uint32_t count = schedule.problem.devices;
  std::vector<const DeviceStep*> by_device(count, nullptr);
  for (const DeviceStep& piece : devices) {
    if (piece.device >= count || by_device[piece.device] != nullptr) {
      throw Error("the gathered step names device " + std::to_string(piece.device) +
                  " twice or outside the schedule");
    }
    const std::size_t ops = schedule.programs[piece.device].size();
    if (piece.packed.size() != 1 + 2 * ops) {
      throw Error("the gathered step of device " + std::to_string(piece.device) + " times " +
                  std::to_string(piece.packed.empty() ? 0 : (piece.packed.size() - 1) / 2) +
                  " ops, its program has " + std::to_string(ops));
    }
    by_device[piece.device] = &piece;
  }
  std::int64_t origin = std::numeric_limits<std::int64_t>::max();
  for (std::uint32_t d = 0; d < count; ++d) {
    if (by_device[d] == nullptr) {
      throw Error("the gathered step lacks device " + std::to_string(d));
    }
    origin = std::min(origin, by_device[d]->clock.to_reference(by_device[d]->packed.front()));
  }
  TimingRecorder merged;
  merged.on_run_start(schedule, 0);
  for (std::uint32_t d = 0; d < count; ++d) {
    const DeviceStep& piece = *by_device[d];
    const std::int64_t device_origin = piece.packed.front();
    for (std::size_t i = 0; i < schedule.programs[d].size(); ++i) {
      const std::int64_t start = piece.packed[1 + 2 * i];
      const std::int64_t end = piece.packed[2 + 2 * i];
      if (end < 0) continue;  // never ran
      merged.on_op(d, i, schedule.programs[d][i],
                   piece.clock.to_reference(device_origin + start) - origin,
                   piece.clock.to_reference(device_origin + end) - origin);
    }
  }
  merged.on_run_end(true);
  return merged;
}

}  // namespace pipewise::exec::mpi
