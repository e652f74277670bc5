#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "exec/core/data_parallel_share.hpp"
#include "exec/core/microbatch_stash.hpp"
#include "exec/core/training_backend.hpp"
#include "exec/core/weight_versions.hpp"
#include "exec/cpu/buffer_pool.hpp"
#include "exec/cpu/cpu_placement.hpp"
#include "exec/cpu/in_process_transport.hpp"
#include "exec/cpu/message_transport.hpp"
#include "exec/model/mlp_model.hpp"
#include "exec/model/optimizer.hpp"
#include "exec/model/synthetic_task.hpp"

namespace pipewise::exec {

// Options of the CPU backend, with their defaults.
struct CpuBackendOptions {
  // Pin device d's worker to the d-th core the process may use, when there are at least as
  // many such cores as devices. Default on.
  bool pin_workers = true;
  // Makes the transport of each run, in prepare. Default (empty): an InProcessTransport
  // between the run's devices, all of them threads of this process. A multi-process run
  // (exec/mpi) passes one that reaches the devices other processes run.
  std::function<std::unique_ptr<MessageTransport>(const Problem&, const RunOptions&)> make_transport;
  // Which micro-batches of the data set this backend trains on. Default: a single replica.
  DataParallelShare data_parallel;
  // Called by optimizer_step on the device's worker with the stage's gradient, averaged over
  // the micro-batches since its previous step, before the step applies it: a data-parallel
  // run averages it across the replicas there. May throw pipewise::Error, which fails the
  // step. Default (empty): the gradient is applied as it is.
  std::function<void(std::uint32_t stage, std::vector<float>& gradient)> reduce_gradient;
  // Keep a copy of the gradient each optimizer step applies, for last_gradient(): a pass over
  // the gradient per step, which is why a timed run leaves it off (the step clears the
  // gradient it applied, step_from_gradient_sum). Default off.
  bool keep_last_gradients = false;
};

// The CPU backend: every device is a worker thread of this process, its stages' math runs
// on that thread with single-threaded OpenBLAS, messages go through an InProcessTransport
// (or the transport CpuBackendOptions::make_transport makes),
// and each device's memory is accounted buffer by buffer. Trains an MlpModel on a
// SyntheticTask; parameters and optimizer state persist across runs, so consecutive runs
// continue training. The model and task must outlive the backend.
//
// Bidirectional placement (two model copies, DualPipe) runs a model of p stages as 2p
// schedule stages: stage p+s is a copy of stage s, made when the run is prepared. When a
// copy has accumulated its m/2 micro-batches of an iteration it sends its gradient sum to
// the other copy's device, and each copy's optimizer step waits for the other's sum and
// applies the average of both (the first copy's added first on both sides, so the copies
// stay bit-identical): what DualPipe's example does by summing the mirrored copies'
// gradients before the step.
class CpuBackend final : public TrainingBackend {
 public:
  // Throws pipewise::Error when the task does not fit the model (input width, classes) or
  // the optimizer config is invalid. Sets OpenBLAS to one thread (process-wide), so each
  // worker's GEMMs run on the worker itself.
  CpuBackend(const MlpModel& model, const SyntheticTask& task, OptimizerConfig optimizer,
             CpuBackendOptions options = {});
  ~CpuBackend() override;

  void prepare(const Schedule& schedule, const RunOptions& options) override;
  void start_worker(std::uint32_t device) override;
  void forward(std::uint32_t device, const Op& op) override;
  void backward_input(std::uint32_t device, const Op& op) override;
  void backward_weight(std::uint32_t device, const Op& op) override;
  void optimizer_step(std::uint32_t device, const Op& op, bool keep_previous) override;
  void release_weights(std::uint32_t device, std::uint32_t stage, std::uint32_t version) override;
  void send(std::uint32_t device, const Op& op, std::uint32_t peer_device) override;
  void recv(std::uint32_t device, const Op& op, std::uint32_t peer_device) override;
  void cancel() noexcept override;
  std::int64_t now_ns(std::uint32_t device) override;
  void finish() override;
  const MemoryAccount& memory(std::uint32_t device) const override;
  // The losses; host-observed times are the op times, as each op runs on its worker.
  StepHooks step_hooks() override;
  // describe_cpu_placement of placement().
  RunDescription describe_run() const override;

  // The newest parameters of `stage` (flat StageLayout order); for bidirectional runs the
  // stages of the second copy follow the model's. REQUIRES: stage < stages.
  const std::vector<float>& parameters(std::uint32_t stage) const;
  // The gradient the latest optimizer step of `stage` applied (averaged over its
  // micro-batches); all zeros before the first step. Throws pipewise::Error unless the
  // backend was made with CpuBackendOptions::keep_last_gradients. REQUIRES: stage < stages.
  const std::vector<float>& last_gradient(std::uint32_t stage) const;
  // The loss of every micro-batch g = iteration·m + micro-batch of the last run (NaN for
  // any whose forward on the last stage did not run).
  const std::vector<float>& losses() const { return losses_; }
  // How the last run's workers sat on the machine's cores.
  const CpuPlacement& placement() const { return placement_; }

 private:
  using Stash = MicrobatchStash<std::vector<float>>;
  struct Stage {
    std::uint32_t device = 0;
    WeightVersions<std::vector<float>> versions;
    std::vector<float> gradient;          // sum since the last step
    std::vector<float> last_applied;      // the latest step's gradient, if options keep it
    std::uint32_t accumulated = 0;        // micro-batches summed since the last step
    OptimizerState optimizer;
    MicrobatchStashes<std::vector<float>> slots;
  };

  std::uint64_t microbatch_index(const Op& op) const;
  // The data set's micro-batch that `op`'s micro-batch reads (DataParallelShare).
  std::uint64_t data_index(const Op& op) const;
  // The layout of the model stage that schedule stage `stage` computes.
  const StageLayout& layout_of(std::uint32_t stage) const;
  static MessageTag mirror_tag(std::uint32_t from_stage, std::uint32_t iteration);

  const MlpModel& model_;
  const SyntheticTask& task_;
  OptimizerConfig optimizer_;
  CpuBackendOptions options_;
  Problem problem_;
  RunOptions run_options_;
  std::vector<Stage> stages_;
  std::vector<BufferPool> devices_;
  std::unique_ptr<MessageTransport> transport_;
  std::vector<int> cores_;
  CpuPlacement placement_;
  std::vector<float> losses_;
};

}  // namespace pipewise::exec
