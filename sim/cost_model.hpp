#pragma once
// What every op of a schedule costs: compute time, communication time and bytes of memory.
//
// Units: times in milliseconds, bandwidths in GB/s (10^9 bytes per second), sizes in bytes.
//
// Two layers. A CostConfig is what a user writes (CLI flags or a cost file, see
// cost_file.hpp): default costs for one device's share of the model, plus per-stage,
// per-device and per-op overrides. resolve_costs turns it into a CostModel for one Problem:
// one entry per model stage (p·v of them), which is what the simulator (engine.hpp) and the
// executor's predictor read.
//
// "One device's share" is what a device holds when v = 1: with v chunks per device each
// chunk-stage takes 1/v of its time, parameters, layers and stashed activations, so
// comparing v = 1 with v = 2 compares the same model (Megatron-LM's convention). Message
// sizes are not divided: a stage boundary carries one hidden state whatever v is. With
// bidirectional placement (two model copies, DualPipe) every stage is a whole share
// (Problem::stages_per_device_share), so a device holds twice the parameters of v = 1.
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/ir/op.hpp"
#include "common/ir/problem.hpp"
#include "common/ir/status.hpp"

namespace pipewise::sim {

// Compute times of one stage for one micro-batch. The full backward B is the input-gradient
// part I plus the weight-gradient part W: B = backward_input + backward_weight. Schedules
// without the zero-bubble split run B; split schedules run I and W separately.
struct StageCosts {
  double forward = 1.0;          // F
  double backward_input = 1.0;   // I
  double backward_weight = 1.0;  // W
  double optimizer_step = 0.0;   // one OptimizerStep of the stage
  // One OptimizerStep that keeps the version it replaces, because a micro-batch whose F read
  // it has yet to run its B or W (weight stashing: PipeDream, PipeDream-2BW), and so writes the
  // new version into another buffer; absent: optimizer_step. On a CPU such a step also reads
  // the new buffer into the caches before writing it, and its working set is larger.
  std::optional<double> stashing_step = std::nullopt;

  double backward() const { return backward_input + backward_weight; }
  double stashing_step_time() const { return stashing_step.value_or(optimizer_step); }
};

// A partial description of compute times, as written by a user: any field may be absent.
// `backward` is the full backward. apply_to fills in what is missing from `base`:
//   forward, optimizer_step, stashing_step: taken when given;
//   backward only: I and W scaled together so their ratio stays that of `base`;
//   two of backward / backward_input / backward_weight: the third follows from B = I + W;
//   all three: they must satisfy B = I + W;
//   backward_input or backward_weight alone: the other keeps its `base` value.
struct ComputeOverride {
  std::optional<double> forward;
  std::optional<double> backward;
  std::optional<double> backward_input;
  std::optional<double> backward_weight;
  std::optional<double> optimizer_step;
  std::optional<double> stashing_step;
  // Stage overrides only: the forward that recomputation reruns before each B or I
  // (MemoryConfig::recompute); absent: the stage's whole F. Less than F when part of the
  // stage keeps its activations, as Megatron-LM's full recomputation reruns the
  // transformer layers but not the loss. Multiplied by the device's slowdown like F.
  std::optional<double> recompute_forward;

  // The costs `base` with these fields applied, or why they cannot be (prefixed with
  // `where`, e.g. "$.stages[2]"): a derived time is negative or B != I + W.
  Result<StageCosts> apply_to(const StageCosts& base, const char* where) const;
};

// How a message between two devices is accounted for.
enum class CommMode : std::uint8_t {
  Overlapped,  // asynchronous P2P: the sender goes on computing while its message travels
  Blocking,    // the sender's device waits until its message has arrived
};

// Point-to-point communication between the devices of adjacent stages. Each ordered device
// pair (from, to) is one link that carries its messages one at a time, in the order they
// were sent: a message occupies its link for bytes / bandwidth, then arrives `latency_ms`
// later (latency is per message and does not hold the link).
struct CommunicationCosts {
  double latency_ms = 0.0;
  double bandwidth_gb_per_s = 0.0;  // 0 means unlimited (no per-byte cost)
  double activation_bytes = 0.0;    // one micro-batch's stage output, sent forward
  double gradient_bytes = 0.0;      // one micro-batch's input gradient, sent backward
  CommMode mode = CommMode::Overlapped;

  // Milliseconds `bytes` occupy a link: bytes / bandwidth (0 when bandwidth is unlimited).
  double occupancy_ms(double bytes) const;
};

// Gradient synchronisation across `replicas` data-parallel copies of the pipeline, one per
// stage and optimizer step, over a ring. Unsharded: an all-reduce of the gradients,
// 2(d−1)/d · gradient bytes / bandwidth + 2(d−1) · latency. Sharded (a distributed
// optimizer, Megatron-LM's --use-distributed-optimizer): a reduce-scatter of the gradients
// and an all-gather of the updated weights, (d−1)/d · (gradient + parameter bytes) /
// bandwidth + 2(d−1) · latency. Each device synchronises its stages one after another on
// its own data-parallel network.
struct DataParallelCosts {
  std::uint32_t replicas = 1;  // d; 1 means no data parallelism and no all-reduce
  double latency_ms = 0.0;
  double bandwidth_gb_per_s = 0.0;  // 0 means unlimited
  // true: a stage's all-reduce streams its gradient buckets while the stage's last backward
  // (B or W) of the iteration produces them, starting when that op starts and ending no
  // earlier than it, and runs beside the device's remaining (cool-down) work, as DDP and
  // Megatron-LM's overlapped gradient reduction do; the step waits for it.
  // false: it starts when the device reaches the stage's optimizer step, and the device
  // waits for it.
  bool overlap_with_cooldown = true;
  bool sharded = false;  // reduce-scatter + all-gather instead of an all-reduce

  // Ring all-reduce time of `bytes` of gradients across the replicas; 0 when d = 1.
  double allreduce_ms(double bytes) const;
  // The time of one stage's synchronisation as described above; 0 when d = 1.
  double synchronisation_ms(double gradient_bytes, double parameter_bytes) const;
};

enum class Optimizer : std::uint8_t {
  Sgd,       // no optimizer state
  Momentum,  // one momentum buffer: state = parameter bytes
  Adam,      // first and second moments: state = 2 × parameter bytes
};

// Memory of one device's share of the model (divided by v per chunk, like times).
// Activation model: without recomputation, F stashes layers · activation_bytes_per_layer
// bytes per micro-batch, freed when its backward ends (for split schedules the I frees
// (1 − weight_gradient_fraction) of it and the W the rest). With recomputation, F keeps
// only the stage-boundary activation (CommunicationCosts::activation_bytes); the backward
// reruns the forward (costing one more F) and rebuilds a working set of
// working_set_factor · layers · activation_bytes_per_layer for its duration, so GPipe's
// peak is m·A_boundary + α·L·A_layer with α = working_set_factor, L = layers per stage.
struct MemoryConfig {
  double parameter_bytes = 0.0;  // weights of one device's share
  // Its gradient buffer; absent: as large as the weights. Megatron-LM keeps fp32 gradients
  // of bf16 weights: twice the weight bytes.
  std::optional<double> gradient_bytes;
  Optimizer optimizer = Optimizer::Sgd;
  // Optimizer state of one device's share; when absent, the optimizer's multiple of
  // parameter_bytes (0, 1 or 2). Give it for mixed precision (e.g. fp32 master weights).
  std::optional<double> optimizer_state_bytes;
  double layers = 1.0;                    // L for one device's share (L / v per chunk)
  double activation_bytes_per_layer = 0;  // A_layer, stashed per layer per micro-batch
  double working_set_factor = 1.0;        // α, see above
  double weight_gradient_fraction = 1.0;  // share of the stash that W still needs after I
  bool recompute = false;
  // Held only while the share's optimizer steps run, on top of the gradients: a buffer the
  // step fills and frees (e.g. the other copy's gradient to add, with bidirectional
  // placement; an all-gather buffer). Each of the share's stages holds its part during its
  // own step.
  double step_working_bytes = 0;
};

// One stage's time for one exact op, replacing the stage's time for that op only.
struct OpTimeOverride {
  OpKind kind = OpKind::Forward;  // Forward, Backward, BackwardInput or BackwardWeight
  std::uint32_t stage = 0;
  std::uint32_t microbatch = 0;
  std::uint32_t iteration = 0;
  double time_ms = 0.0;
};

// A per-device multiplier on every compute time of the stages it runs (a straggler).
struct DeviceSlowdown {
  std::uint32_t device = 0;
  double factor = 1.0;
};

// Bytes one stage holds, replacing what MemoryConfig gives it; absolute (not divided by v).
// Models whose stages differ (an embedding on the first, the loss on the last) say so here.
// Without gradient_bytes here or in MemoryConfig, the stage's gradients are as large as its
// weights.
struct StageMemoryOverride {
  std::optional<double> parameter_bytes;
  std::optional<double> gradient_bytes;
  std::optional<double> optimizer_state_bytes;
  std::optional<double> stash_bytes;        // kept from F to B per micro-batch, no recomputation
  std::optional<double> checkpoint_bytes;   // kept from F to B per micro-batch under recomputation
  std::optional<double> working_set_bytes;  // rebuilt during B or I under recomputation
  std::optional<double> step_working_bytes;  // held only while its optimizer step runs
};

struct StageOverride {
  // Model stage, 0..p·v−1; with bidirectional placement 0..p−1, and both copies of it.
  std::uint32_t stage = 0;
  ComputeOverride costs;    // absolute times for this stage (not divided by v)
  StageMemoryOverride memory;
};

// The time of every overlapped pair whose F runs `forward_stage` and whose B or I runs
// `backward_stage`, replacing the formula of OverlapCosts.
struct PairTimeOverride {
  std::uint32_t forward_stage = 0;
  std::uint32_t backward_stage = 0;
  double time_ms = 0.0;
};

// How an overlapped F&B pair (op.hpp, kOverlapWithNext) is timed. The pair of an F taking
// tF and a B or I taking tB (their op times: recomputation and op overrides included) takes
// max(tF, tB) + (1 − efficiency) · min(tF, tB): efficiency 0 (the default) is the two ops
// back to back, what PyTorch's runtime does with OVERLAP_F_B unless a custom function is
// registered and what the CPU executor does; 1 hides the shorter op entirely, the aim of
// DualPipe's overlap (its all-to-all and pipeline messages run behind the other chunk's
// compute). Measure it, and give `pairs` where one number does not fit.
struct OverlapCosts {
  double efficiency = 0.0;              // in [0, 1]
  std::vector<PairTimeOverride> pairs;  // absolute times of particular pairs
};

// Everything a user can say about costs. Defaults: F = 1, B = 2 (I = W = 1), free
// communication, no data parallelism, no memory sizes, overlapped pairs back to back.
// Where a measured cost file comes from (`pipewise profile`, its "profile" section): the
// model it ran, the number of model stages its "stages" entries split that model into, and
// each layer's times (its share of its stage's in-pipeline time, in proportion to its time
// alone), so that a tool knowing how a model is split (`pipewise run --costs`) can cost other
// splits.
struct ProfileOrigin {
  std::string backend;                 // "cpu" or "cuda"
  std::string schedule;                // the schedule the stage costs were measured in
  std::uint32_t processes = 1;         // 1: one process (a thread per device); more: MPI ranks
  std::vector<std::uint32_t> widths;   // the MLP's layer widths, input first
  std::uint32_t microbatch_size = 1;
  std::string optimizer;               // sgd, momentum or adam
  std::uint32_t model_stages = 1;      // p·v of the split the "stages" entries describe
  StageCosts contention;               // in-pipeline time / time alone, per kind of op
  std::vector<StageCosts> layers;      // per layer, in order
};

struct CostConfig {
  StageCosts device_share;  // costs of one device's share (each chunk-stage takes 1/v)
  std::vector<StageOverride> stages;
  std::vector<DeviceSlowdown> devices;
  std::vector<OpTimeOverride> ops;
  CommunicationCosts communication;
  DataParallelCosts data_parallel;
  MemoryConfig memory;
  OverlapCosts overlap;
  // Set for a measured cost file: its "stages" describe exactly origin.model_stages stages,
  // and resolving it for a problem with another p·v fails rather than mixing measured and
  // default stage times.
  std::optional<ProfileOrigin> profile;
  // Set when "stages" describe the model split into exactly this many stages (pipewise
  // partition writes it): resolving it for another p·v fails rather than giving the stages
  // it does not list the default times.
  std::optional<std::uint32_t> split_stages;
};

// Bytes one stage holds, resolved for a problem.
struct StageMemory {
  std::uint64_t parameter_bytes = 0;
  std::uint64_t gradient_bytes = 0;
  std::uint64_t optimizer_state_bytes = 0;
  std::uint64_t stash_bytes = 0;            // kept from F to B per micro-batch (no recompute)
  std::uint64_t boundary_bytes = 0;         // kept from F to B per micro-batch (recompute)
  std::uint64_t working_set_bytes = 0;      // rebuilt during B/I (recompute)
  std::uint64_t weight_gradient_bytes = 0;  // part of the stash (or working set) W frees
  std::uint64_t step_working_bytes = 0;     // held only while its optimizer step runs
};

// The costs of one problem, per model stage. Cheap to query from the simulator's hot loop.
class CostModel {
 public:
  CostModel() = default;
  // Uniform costs: every stage gets `stage_costs` as is; nothing else is charged.
  CostModel(const Problem& problem, const StageCosts& stage_costs);

  const Problem& problem() const { return problem_; }
  const StageCosts& stage(std::uint32_t stage) const { return stages_[stage]; }
  const StageMemory& stage_memory(std::uint32_t stage) const { return memory_[stage]; }
  const CommunicationCosts& communication() const { return communication_; }
  const DataParallelCosts& data_parallel() const { return data_parallel_; }
  bool recompute() const { return recompute_; }

  // Duration of compute or optimizer op `op` in ms: the stage's time (or the op's override),
  // plus one forward of the same micro-batch for B and I under recomputation; 0 for
  // communication ops (their cost is on the link, see CommunicationCosts).
  // REQUIRES: op.stage < problem().stages().
  double op_time(const Op& op) const {
    if (!op_overrides_.empty()) return overridden_op_time(op);
    const StageCosts& costs = stages_[op.stage];
    const double time = stage_op_time(op, costs);
    return recompute_ && produces_input_grad(op.kind) ? time + reruns_[op.stage] : time;
  }
  // Duration of the overlapped pair of `forward` and `backward` (OverlapCosts).
  // REQUIRES: both stages < problem().stages().
  double pair_time(const Op& forward, const Op& backward) const;
  // The forward that recomputation reruns before stage `stage`'s B or I (its F unless
  // its override says otherwise).
  double rerun_ms(std::uint32_t stage) const { return reruns_[stage]; }
  // Gradient synchronisation time of one stage (DataParallelCosts::synchronisation_ms).
  double allreduce_ms(std::uint32_t stage) const {
    return data_parallel_.synchronisation_ms(static_cast<double>(memory_[stage].gradient_bytes),
                                             static_cast<double>(memory_[stage].parameter_bytes));
  }
  // Link occupancy of one forward (activation) or backward (gradient) message.
  double activation_occupancy_ms() const { return activation_occupancy_ms_; }
  double gradient_occupancy_ms() const { return gradient_occupancy_ms_; }
  bool has_op_overrides() const { return !op_overrides_.empty(); }

  friend Result<CostModel> try_resolve_costs(const CostConfig& config, const Problem& problem);

 private:
  static double stage_op_time(const Op& op, const StageCosts& costs);
  double overridden_op_time(const Op& op) const;
  std::uint64_t override_key(OpKind kind, const Op& op) const;

  Problem problem_;
  std::vector<StageCosts> stages_;
  std::vector<double> reruns_;
  std::vector<bool> has_rerun_override_;
  std::vector<StageMemory> memory_;
  std::unordered_map<std::uint64_t, double> op_overrides_;
  double overlap_efficiency_ = 0.0;
  std::unordered_map<std::uint64_t, double> pair_overrides_;  // forward stage · p·v + backward
  CommunicationCosts communication_;
  DataParallelCosts data_parallel_;
  double activation_occupancy_ms_ = 0.0;
  double gradient_occupancy_ms_ = 0.0;
  bool recompute_ = false;
};

// Resolves `config` for `problem`: stage s starts from device_share / v (/ 1 for
// bidirectional placement), gets its stage override (absolute; with bidirectional placement
// both copies of the model stage get it), then its device's slowdown factor; memory sizes
// are divided the same way, then replaced by the stage's memory override where it gives them.
// Fails, with one line, when the problem is invalid, an override names a stage, device,
// micro-batch or iteration outside the problem, or a value is negative or not finite (an
// overlap efficiency outside [0, 1]): a
// sweep over problems records the reason for the problems a cost file does not fit.
Result<CostModel> try_resolve_costs(const CostConfig& config, const Problem& problem);
// try_resolve_costs, throwing pipewise::Error with the reason when it fails.
CostModel resolve_costs(const CostConfig& config, const Problem& problem);

// The optimizer named "sgd", "momentum" or "adam"; throws pipewise::Error naming any other.
Optimizer optimizer_from_name(const std::string& name);
// The mode named "overlapped" or "blocking"; throws pipewise::Error naming any other.
CommMode comm_mode_from_name(const std::string& name);

}  // namespace pipewise::sim
