#pragma once
#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/ir/lower.hpp"
#include "common/ir/weight_versions.hpp"
#include "common/schedules/registry.hpp"
#include "exec/model/mlp_model.hpp"
#include "exec/model/synthetic_task.hpp"

// Small models and helpers shared by the executor tests: widths of a few dozen so a run
// takes milliseconds, eight layers so that up to eight stages can be formed.
namespace pipewise::exec::test {

inline MlpConfig small_mlp() {
  MlpConfig config;
  config.widths = {12, 24, 24, 32, 32, 24, 24, 16, 5};
  config.seed = 11;
  return config;
}

inline SyntheticTaskConfig small_task_config() {
  SyntheticTaskConfig config;
  config.microbatch_size = 8;
  config.distinct_microbatches = 16;
  config.teacher_hidden = 16;
  config.seed = 5;
  return config;
}

inline SyntheticTask small_task(const MlpConfig& mlp) {
  return SyntheticTask(mlp.input_width(), mlp.classes(), small_task_config());
}

inline Problem problem(std::uint32_t devices, std::uint32_t microbatches,
                       std::uint32_t iterations = 1, std::uint32_t chunks = 1) {
  Problem shape;
  shape.devices = devices;
  shape.chunks = chunks;
  shape.microbatches = microbatches;
  shape.iterations = iterations;
  return shape;
}

// The generator's schedule with send/recv ops, ready to execute.
inline Schedule lowered(std::string_view name, const Problem& shape) {
  return lower_communication(generate_schedule(name, shape));
}

// `schedule` (unlowered) with every B split into I, and its W moved to just before the
// next optimizer step of its stage on the device: a zero-bubble-style split in which
// weight gradients are computed late. Weight versions are re-derived.
inline Schedule with_deferred_weight_gradients(const Schedule& schedule) {
  Schedule split = schedule;
  for (auto& program : split.programs) {
    std::vector<Op> out;
    std::vector<Op> deferred;
    for (const Op& op : program) {
      if (op.kind == OpKind::Backward) {
        Op input = op;
        input.kind = OpKind::BackwardInput;
        out.push_back(input);
        Op weight = op;
        weight.kind = OpKind::BackwardWeight;
        deferred.push_back(weight);
        continue;
      }
      if (op.kind == OpKind::OptimizerStep) {
        for (auto it = deferred.begin(); it != deferred.end();) {
          if (it->stage != op.stage) {
            ++it;
            continue;
          }
          out.push_back(*it);
          it = deferred.erase(it);
        }
      }
      out.push_back(op);
    }
    program = out;
  }
  assign_weight_versions(split);
  return split;
}

// ||a - b|| / ||b|| (Euclidean norms); a and b have the same length.
inline double relative_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double difference = 0.0;
  double norm = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double delta = double{a[i]} - double{b[i]};
    difference += delta * delta;
    norm += double{b[i]} * double{b[i]};
  }
  return std::sqrt(difference) / std::sqrt(norm);
}

}  // namespace pipewise::exec::test
