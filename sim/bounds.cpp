#include "sim/bounds.hpp"

#include <algorithm>
#include <limits>

namespace pipewise::sim {
namespace {

// Time of the message crossing from stage `from` to stage `to` (adjacent), 0 on one device.
double hop_ms(const CostModel& costs, std::uint32_t from, std::uint32_t to, double occupancy_ms) {
  const Problem& problem = costs.problem();
  if (problem.device_of_stage(from) == problem.device_of_stage(to)) return 0.0;
  return occupancy_ms + costs.communication().latency_ms;
}

// For each stage s, the fastest chain over micro-batches of F(0..s−1) plus messages
// (`forward`), or of the input gradients from s−1 down to 0 plus messages.
std::vector<double> fastest_chains(const CostModel& costs, bool forward, OpKind gradient_kind) {
  const Problem& problem = costs.problem();
  const std::uint32_t stages = problem.stages();
  const std::uint32_t iterations = costs.has_op_overrides() ? problem.iterations : 1;
  const std::uint32_t microbatches = costs.has_op_overrides() ? problem.microbatches : 1;
  std::vector<double> fastest(stages, std::numeric_limits<double>::infinity());
  Op op;
  for (op.iteration = 0; op.iteration < iterations; ++op.iteration) {
    for (op.microbatch = 0; op.microbatch < microbatches; ++op.microbatch) {
      double chain = 0.0;
      for (std::uint32_t s = 0; s < stages; ++s) {
        if (problem.starts_pipeline(s)) {  // stage 0, and each copy's first stage
          chain = 0.0;
          fastest[s] = 0.0;
          continue;
        }
        op.stage = static_cast<std::uint16_t>(s - 1);
        if (forward) {
          op.kind = OpKind::Forward;
          chain += costs.op_time(op) + hop_ms(costs, s - 1, s, costs.activation_occupancy_ms());
        } else {
          op.kind = gradient_kind;
          chain += costs.op_time(op) + hop_ms(costs, s, s - 1, costs.gradient_occupancy_ms());
        }
        fastest[s] = std::min(fastest[s], chain);
      }
    }
  }
  return fastest;
}

// The longest round trip of one micro-batch: its forwards through every stage of its
// pipeline, then its input gradients back to the first stage, the messages between them,
// and the first stage's W when the backward is split. Every micro-batch makes that trip in
// full, whatever the schedule, so the longest one bounds the makespan from below (for
// interleaved schedules with costly messages it sits far above the device bound).
double longest_microbatch_path(const CostModel& costs, OpKind gradient_kind) {
  const Problem& problem = costs.problem();
  const std::uint32_t iterations = costs.has_op_overrides() ? problem.iterations : 1;
  const std::uint32_t microbatches = costs.has_op_overrides() ? problem.microbatches : 1;
  // Each pipeline's first stage: stage 0, and stage p for bidirectional placement.
  std::vector<std::uint32_t> firsts = {0};
  if (problem.bidirectional()) firsts.push_back(problem.devices);
  double longest = 0.0;
  Op op;
  for (op.iteration = 0; op.iteration < iterations; ++op.iteration) {
    for (std::uint32_t j = 0; j < microbatches; ++j) {
      op.microbatch = j;
      for (const std::uint32_t first : firsts) {
        if (costs.has_op_overrides() && !problem.runs_microbatch(first, j)) continue;
        std::uint32_t last = first;
        while (!problem.ends_pipeline(last)) ++last;
        double path = 0.0;
        for (std::uint32_t s = first; s <= last; ++s) {
          op.kind = OpKind::Forward;
          op.stage = static_cast<std::uint16_t>(s);
          path += costs.op_time(op);
          if (s < last) path += hop_ms(costs, s, s + 1, costs.activation_occupancy_ms());
        }
        for (std::uint32_t s = last + 1; s-- > first;) {
          op.kind = gradient_kind;
          op.stage = static_cast<std::uint16_t>(s);
          path += costs.op_time(op);
          if (s > first) path += hop_ms(costs, s, s - 1, costs.gradient_occupancy_ms());
        }
        if (gradient_kind == OpKind::BackwardInput) {
          op.kind = OpKind::BackwardWeight;
          op.stage = static_cast<std::uint16_t>(first);
          path += costs.op_time(op);
        }
        longest = std::max(longest, path);
      }
    }
  }
  return longest;
}

// What the device bound needs of one device: all its compute, the F, B and I part of it,
// and whether it runs any F, B or I.
struct DeviceWork {
  double busy_ms = 0.0;
  double path_ms = 0.0;
  bool path_ops = false;
  bool any_ops = false;
};

// The bounds of MakespanBounds from each device's work.
void device_bounds(const CostModel& costs, OpKind gradient_kind, const std::vector<DeviceWork>& work,
                   MakespanBounds& bounds) {
  const Problem& problem = costs.problem();
  const std::vector<double> fill = fastest_chains(costs, true, gradient_kind);
  const std::vector<double> drain = fastest_chains(costs, false, gradient_kind);
  // Per device, the shortest fill and drain over its stages (for looped and V-shape
  // placement both are its first stage's; each copy of bidirectional placement has its own).
  std::vector<double> device_fill(problem.devices, std::numeric_limits<double>::infinity());
  std::vector<double> device_drain(problem.devices, std::numeric_limits<double>::infinity());
  for (std::uint32_t s = 0; s < problem.stages(); ++s) {
    const std::uint32_t d = problem.device_of_stage(s);
    device_fill[d] = std::min(device_fill[d], fill[s]);
    device_drain[d] = std::min(device_drain[d], drain[s]);
  }
  bounds.device_lower_bound_ms.assign(problem.devices, 0.0);
  bool any_path_ops = false;
  for (std::uint32_t d = 0; d < problem.devices; ++d) {
    const DeviceWork& device = work[d];
    if (!device.any_ops) continue;
    any_path_ops = any_path_ops || device.path_ops;
    // A device with no F, B or I op (say, only optimizer steps) need not wait for the fill;
    // one with such ops does, even when they take no time (the messages still do).
    const double bound = device.path_ops
                             ? std::max(device_fill[d] + device.busy_ms,
                                        device_fill[d] + device.path_ms + device_drain[d])
                             : device.busy_ms;
    bounds.device_lower_bound_ms[d] = bound;
    bounds.lower_bound_ms = std::max(bounds.lower_bound_ms, bound);
  }
  if (any_path_ops) {
    bounds.microbatch_path_ms = longest_microbatch_path(costs, gradient_kind);
    bounds.lower_bound_ms = std::max(bounds.lower_bound_ms, bounds.microbatch_path_ms);
  }
}

}  // namespace

MakespanBounds makespan_bounds(const SimulationResult& result, const CostModel& costs) {
  const OpKind gradient_kind = result.split_backward ? OpKind::BackwardInput : OpKind::Backward;
  std::vector<DeviceWork> work;
  double serial_compute = 0.0;
  double slowest_steps = 0.0;
  for (const DeviceStats& stats : result.devices) {
    serial_compute += stats.busy_ms - stats.step_ms;
    slowest_steps = std::max(slowest_steps, stats.step_ms + stats.allreduce_ms);
    work.push_back({stats.busy_ms, stats.path_compute_ms, stats.path_ops > 0, stats.compute_ops > 0});
  }
  MakespanBounds bounds;
  device_bounds(costs, gradient_kind, work, bounds);
  bounds.naive_makespan_ms = serial_compute + result.message_ms + slowest_steps;
  return bounds;
}

double schedule_free_lower_bound(const CostModel& costs, bool split_backward) {
  if (costs.has_op_overrides()) return 0.0;
  const Problem& problem = costs.problem();
  const OpKind gradient_kind = split_backward ? OpKind::BackwardInput : OpKind::Backward;
  std::vector<DeviceWork> work(problem.devices);
  for (std::uint32_t s = 0; s < problem.stages(); ++s) {
    // Every micro-batch the stage runs, in every iteration: its F and its whole backward
    // (B, or I and W: the same time), and one optimizer step per iteration.
    const double runs = static_cast<double>(problem.iterations) *
                        (problem.bidirectional() ? problem.microbatches / 2 : problem.microbatches);
    Op op;
    op.stage = static_cast<std::uint16_t>(s);
    op.kind = OpKind::Forward;
    const double forward = costs.op_time(op);
    op.kind = OpKind::Backward;
    const double backward = costs.op_time(op);
    op.kind = gradient_kind;
    const double gradient = costs.op_time(op);
    op.kind = OpKind::OptimizerStep;
    const double step = costs.op_time(op);
    DeviceWork& device = work[problem.device_of_stage(s)];
    device.busy_ms += runs * (forward + backward) + problem.iterations * step;
    device.path_ms += runs * (forward + gradient);
    device.path_ops = device.any_ops = true;
  }
  MakespanBounds bounds;
  device_bounds(costs, gradient_kind, work, bounds);
  return bounds.lower_bound_ms;
}

}  // namespace pipewise::sim
