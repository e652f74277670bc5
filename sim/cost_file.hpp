#pragma once
// The JSON cost file (`pipewise simulate --costs FILE`).
//
// ## Cost file schema
//
// Every field is optional; absent ones keep their defaults (F = 1 ms, B = 2 ms split as
// I = W = 1 ms, no optimizer time, free communication, no data parallelism, no memory
// sizes), or the values of the command-line flags. Unknown fields are errors, so a typo
// does not go unnoticed. Units: ms, GB/s (10^9 bytes/s), bytes.
//
//   {
//     "schema": "pipewise.costs", "version": 1,
//     "split_stages": 8,        // "stages" describe the model split into exactly 8 stages
//                               //   (pipewise partition): the file fits only p·v = 8
//     "compute": {              // one device's share of the model, per micro-batch;
//       "forward": 1.0,         // each of a device's v chunks takes 1/v of it
//       "backward": 2.0,        // full backward B = backward_input + backward_weight
//       "backward_input": 1.0,  // I of split (zero-bubble) schedules
//       "backward_weight": 1.0, // W of split schedules
//       "optimizer_step": 0.0,
//       "stashing_step": 0.0    // a step that keeps the version it replaces (weight
//     },                        //   stashing), writing the new one elsewhere; default
//                               //   optimizer_step
//     "stages": [               // per model stage (0..p·v−1), absolute (not divided by v)
//       {"stage": 7, "forward": 1.4, "backward": 3.1,    // e.g. the last stage with the loss;
//        "recompute_forward": 1.0,  // rerun before each B under recomputation (default: forward)
//        "parameter_bytes": 3e9, "gradient_bytes": 6e9,  // its memory, replacing "memory"'s:
//        "optimizer_state_bytes": 3.6e10,                // weights, gradients, optimizer state,
//        "stash_bytes": 2e9,        // kept from F to B per micro-batch (no recomputation),
//        "checkpoint_bytes": 1e8,   // kept from F to B per micro-batch under recomputation,
//        "working_set_bytes": 4e8,  // rebuilt during B under recomputation
//        "step_working_bytes": 0}   // held only while its optimizer step runs
//     ],
//     "devices": [              // stragglers: every time of the device's stages × slowdown
//       {"device": 2, "slowdown": 1.3}
//     ],
//     "ops": [                  // one op's time, absolute; kind is forward, backward,
//       {"kind": "forward", "stage": 0, "microbatch": 5, "iteration": 0, "time": 4.0}
//     ],                        //   backward_input or backward_weight; iteration defaults to 0
//     "communication": {        // between the devices of adjacent stages
//       "latency": 0.01,        // ms per message
//       "bandwidth": 25.0,      // GB/s per link and direction; 0 = unlimited
//       "activation_bytes": 16777216,  // one micro-batch's stage output
//       "gradient_bytes": 16777216,    // its input gradient (default: activation_bytes)
//       "mode": "overlapped"    // or "blocking": the sender waits until arrival
//     },
//     "data_parallel": {        // gradient all-reduce across replicas (ring)
//       "replicas": 8, "latency": 0.02, "bandwidth": 50.0,
//       "overlap": true,        // overlap the all-reduce with the cool-down
//       "sharded": false        // distributed optimizer: reduce-scatter gradients and
//     },                        //   all-gather weights instead of all-reducing gradients
//     "profile": {              // written by `pipewise profile`: where measured costs come from
//       "backend": "cpu", "schedule": "1f1b", "widths": [100, 1024, 10],  // the MLP it ran
//       "processes": 2,         // 1 (default): one process; more: one MPI rank per device
//       "microbatch_size": 32, "optimizer": "sgd",
//       "model_stages": 2,      // the split "stages" describes: the file fits only p·v = 2
//       "contention": {"forward": 1.1, "backward_input": 1.0,   // in-pipeline time over the
//                      "backward_weight": 1.0, "optimizer_step": 1.0},  // time alone
//       "layers": [             // per layer: its share of its stage's time, as timed alone
//         {"forward": 0.1, "backward_input": 0.1, "backward_weight": 0.1, "optimizer_step": 0.01,
//          "stashing_step": 0.02}  // optional, as in "compute"
//       ]
//     },
//     "memory": {               // one device's share of the model (÷ v per chunk)
//       "parameter_bytes": 2e9, // weights
//       "gradient_bytes": 4e9,  // the gradient buffer (default: parameter_bytes)
//       "optimizer": "adam",    // sgd (no state), momentum (1×), adam (2× parameter bytes)
//       "optimizer_state_bytes": 1.2e10,  // overrides the optimizer's multiple
//       "layers": 4,            // L
//       "activation_bytes_per_layer": 1e8,  // A_layer stashed per layer and micro-batch
//       "working_set_factor": 1.0,          // α: recomputation rebuilds α·L·A_layer
//       "weight_gradient_fraction": 1.0,    // share of the stash W still needs after I
//       "recompute": false,     // keep only the boundary activation; B reruns F
//       "step_working_bytes": 0 // held only during the optimizer steps (e.g. the other
//                               //   copy's gradient a bidirectional stage adds)
//     }
//   }
//
// Bad files are rejected with one line naming the JSON path, e.g.
// "$.stages[2].forward must be a number >= 0 (got -1)".
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/cost_model.hpp"

namespace pipewise::sim {

// Applies the cost file `text` on top of `base` and returns the result. Throws
// pipewise::Error with a one-line message naming the JSON path of the first problem
// (syntax errors name the byte offset).
CostConfig parse_cost_config(std::string_view text, const CostConfig& base = {});

// What a tool writes as a cost file: stage times and memory, and optionally the links and
// where the costs were measured.
struct CostFileContents {
  std::vector<StageOverride> stages;  // the compute and memory fields that are set
  // The memory section's "recompute": stages keep checkpoint_bytes per micro-batch and
  // rebuild working_set_bytes during their backward, instead of keeping stash_bytes.
  bool recompute = false;
  // The top-level "split_stages": the stages list a whole split of the model into this
  // many stages (CostConfig::split_stages).
  std::optional<std::uint32_t> split_stages;
  std::optional<CommunicationCosts> communication;
  std::optional<DataParallelCosts> data_parallel;  // measured across replicas
  std::optional<ProfileOrigin> profile;
};

// The cost file of `contents` as JSON text, which parse_cost_config reads back to the same
// values. Throws pipewise::Error if it would not (e.g. a negative time).
std::string cost_file_text(const CostFileContents& contents);

}  // namespace pipewise::sim
