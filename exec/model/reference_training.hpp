#pragma once
#include <cstdint>
#include <vector>

#include "common/ir/schedule.hpp"
#include "exec/model/mlp_model.hpp"
#include "exec/model/optimizer.hpp"
#include "exec/model/synthetic_task.hpp"

// Single-threaded reference trainers: the ground truth the pipelined executor is checked
// against. They use the same stage math as the executor but none of its machinery (no
// devices, threads, transport, stashing or memory accounting).

namespace pipewise::exec {

// A model's state after training.
struct TrainedModel {
  std::vector<std::vector<float>> parameters;      // per stage, the newest version
  std::vector<std::vector<float>> last_gradients;  // per stage, the (averaged) gradient its
                                                   // last optimizer step applied
  std::vector<float> losses;  // per micro-batch g = iteration·m + micro-batch
};

// Plain synchronous training on one device: for each of `iterations` steps, micro-batches
// 0..m-1 run forward and backward with the same parameters, the gradients are averaged
// over the m micro-batches, and every stage takes one optimizer step.
TrainedModel train_synchronous_reference(const MlpModel& model, const SyntheticTask& task,
                                         const OptimizerConfig& optimizer,
                                         std::uint32_t microbatches, std::uint32_t iterations);

// Sequential training by the update rule of `schedule` (lowered or not), which may be
// asynchronous: micro-batch g runs forward and backward through every stage s with the
// weight version that the schedule's F(s, g) names (weight stashing: its backward uses the
// same version); the k-th optimizer step of stage s turns version k into k+1 with the
// average gradient of the micro-batches whose backward (B, or W when split) comes before
// it and after the previous step of s in its device's program. Micro-batches run in the
// order their versions become available. Throws pipewise::Error when a micro-batch lacks
// its F or backward, or when no order can produce the versions the schedule names.
TrainedModel train_following_schedule(const MlpModel& model, const SyntheticTask& task,
                                      const OptimizerConfig& optimizer, const Schedule& schedule);

}  // namespace pipewise::exec
