#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "exec/core/run_observer.hpp"
#include "exec/core/timing_recorder.hpp"
#include "exec/core/training_backend.hpp"
#include "exec/cuda/planning/cuda_backend_options.hpp"
#include "exec/cuda/planning/cuda_run_report.hpp"
#include "exec/model/mlp_model.hpp"
#include "exec/model/optimizer.hpp"
#include "exec/model/synthetic_task.hpp"

namespace pipewise::exec::cuda {

struct DeviceState;
struct StageState;
class LaneSet;
class NcclComm;

// The CUDA backend: the CPU backend's semantics (exec/cpu/cpu_backend.hpp: the same MLP,
// stage math, weight stashing, gradient accumulation and memory accounting) on GPUs.
//
// Each pipeline device is a Lane (device_lanes.hpp): its own GPU, or an SM partition of a
// shared GPU through a green context. The core's worker thread of a device enqueues the
// device's ops on the lane's stream and returns: GEMMs through cuBLAS, the rest through our
// kernels, forward / backward-input / backward-weight as separate launches. Messages are
// device-to-device (or peer) copies ordered by CUDA events, or NCCL sends and receives in
// the groups transfer_plan.hpp computes. Memory comes from one arena per device whose use
// is accounted like the CPU's and cross-checked against cudaMemGetInfo. Every call is
// timed by pooled CUDA events; after the run they become one timeline on the host clock.
//
// As one rank of a multi-process run (CudaBackendOptions::rank), the backend drives one GPU
// and runs only its pipeline device: the core calls it for that device alone, messages to
// the other devices are NCCL sends and receives on a communicator spanning the pipeline's
// processes, and each optimizer step first averages the stage's gradient across the
// replicas with ncclAllReduce.
//
// A device's last op waits for its GPU work (a watchdog: an error when no op completes
// within the run's receive_timeout, or NCCL reports an asynchronous error), so GPU failures
// fail the run with the device and op named. Parameters and optimizer state persist
// across runs. The model and task must outlive the backend.
class CudaBackend final : public TrainingBackend {
 public:
  // Throws pipewise::Error "no CUDA device: ..." when the process sees no GPU, and when the
  // task does not fit the model or the optimizer config is invalid.
  CudaBackend(const MlpModel& model, const SyntheticTask& task, OptimizerConfig optimizer,
              CudaBackendOptions options = {});
  ~CudaBackend() override;
  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  // Also picks the GPUs (select_devices) and plans the transfers (plan_transfers), which
  // throw pipewise::Error on conflicts; builds lanes, arenas and communicators on first use.
  void prepare(const Schedule& schedule, const RunOptions& options) override;
  // Makes the device's lane current on the worker thread; creates its cuBLAS handle there.
  void start_worker(std::uint32_t device) override;
  void forward(std::uint32_t device, const Op& op) override;
  void backward_input(std::uint32_t device, const Op& op) override;
  void backward_weight(std::uint32_t device, const Op& op) override;
  void optimizer_step(std::uint32_t device, const Op& op, bool keep_previous) override;
  void release_weights(std::uint32_t device, std::uint32_t stage, std::uint32_t version) override;
  void send(std::uint32_t device, const Op& op, std::uint32_t peer_device) override;
  void recv(std::uint32_t device, const Op& op, std::uint32_t peer_device) override;
  void cancel() noexcept override;
  // The host's steady clock, the clock the device timeline is placed on.
  std::int64_t now_ns(std::uint32_t device) override;
  // Waits for every device's GPU work (aborting NCCL communicators that cannot finish
  // after a cancelled run), frees the run's buffers, reads the losses and the event
  // timings. Throws pipewise::Error for a GPU failure found here unless the run was
  // cancelled (its own error is then the one reported).
  void finish() override;
  const MemoryAccount& memory(std::uint32_t device) const override;
  // The losses and replay_device_timeline: host calls only enqueue the GPU work, so the
  // op times are the ones the CUDA events measured.
  StepHooks step_hooks() override;
  // describe_cuda_run of report().
  RunDescription describe_run() const override;

  // The newest parameters of `stage` (flat StageLayout order), copied from the GPU.
  std::vector<float> parameters(std::uint32_t stage) const;
  // The gradient the latest optimizer step of `stage` applied (averaged over its
  // micro-batches); all zeros before the first step.
  std::vector<float> last_gradient(std::uint32_t stage) const;
  // The loss of every micro-batch g = iteration·m + micro-batch of the last run (NaN for
  // any whose forward on the last stage did not run).
  const std::vector<float>& losses() const { return losses_; }
  // How the last run used the GPUs.
  const CudaRunReport& report() const { return report_; }

  // When each op of the last run ran on its GPU, from its CUDA events (event_timeline.hpp),
  // in ns since `origin_ns` on the now_ns clock: pass the origin the run's observer got in
  // on_run_start to compare with the core's host-side TimingRecorder. timeline[d][i] times
  // op i of device d's program; ops that never ran are -1.
  std::vector<std::vector<OpInterval>> device_timeline(std::int64_t origin_ns) const;
  // Plays the device timeline of the last run into `observer` (on_run_start with the
  // schedule and `origin_ns`, on_op for every op that ran, in program order per device,
  // on_run_end), so that a TimingRecorder, a trace writer or a report reads GPU times.
  void replay_device_timeline(RunObserver& observer, std::int64_t origin_ns) const;

 private:
  // The devices this process runs: all of them, or a rank's one.
  std::vector<DeviceState*> local_devices() const;
  // The device, which must run in this process (throws pipewise::Error naming it otherwise).
  DeviceState& local(std::uint32_t device) const;
  // The communicator device `device` sends and receives on: its rank of the clique, or the
  // rank's pipeline communicator.
  NcclComm& pipeline_comm(std::uint32_t device);

  // prepare's parts (cuda_backend.cpp)
  DevicePlan plan_devices(std::uint32_t pipeline_devices) const;
  void build_devices(const DevicePlan& plan);
  void make_rank_communicators();
  void warm_up_rank_nccl();
  void place_stages();
  void reserve_arenas();
  void upload_data();
  void start_measurement();
  void warm_up_nccl();
  void download_stage(std::uint32_t stage);
  void upload_stage(std::uint32_t stage, std::uint32_t device);
  void tear_down_devices() noexcept;

  // call bookkeeping and the watchdog (cuda_backend_timing.cpp)
  std::size_t begin_call(DeviceState& device, const Op& op, bool weight_half);
  void end_call(DeviceState& device, std::size_t position);
  void wait_for_gpu(DeviceState& device, std::int64_t stall_limit_ns, bool stop_on_cancel);
  void collect_spans(DeviceState& device);

  // messages (cuda_backend_transfer.cpp)
  const CommStep& next_comm_step(DeviceState& device, std::size_t position,
                                 std::uint32_t peer_device);
  void free_consumed_messages(DeviceState& device, bool all);
  void verify_pending_checksums(DeviceState& device);
  void abort_nccl() noexcept;

  // stage state helpers (cuda_backend_compute.cpp)
  const float* data_inputs(const DeviceState& device, std::uint64_t g) const;
  const std::int32_t* data_labels(const DeviceState& device, std::uint64_t g) const;
  void release_open_slots();
  std::uint64_t microbatch_index(const Op& op) const;
  // The data set's micro-batch `op` reads: its replica's share (DataParallelShare).
  std::uint64_t data_index(const Op& op) const;

  const MlpModel& model_;
  const SyntheticTask& task_;
  OptimizerConfig optimizer_;
  CudaBackendOptions options_;
  int visible_gpus_ = 0;

  Schedule schedule_;
  RunOptions run_options_;
  std::optional<DevicePlan> plan_;
  TransferPlan transfers_;
  std::unique_ptr<LaneSet> lanes_;
  std::vector<std::unique_ptr<DeviceState>> devices_;
  std::vector<std::unique_ptr<StageState>> stages_;
  std::vector<NcclComm> clique_;  // rank d = pipeline device d, when messages use NCCL
  // A rank's communicators (CudaBackendOptions::rank): its pipeline's, its replicas'.
  std::unique_ptr<NcclComm> rank_pipeline_;
  std::unique_ptr<NcclComm> rank_replicas_;
  bool nccl_warmed_up_ = false;
  std::atomic<bool> cancelled_{false};
  std::vector<float> losses_;
  CudaRunReport report_;
};

}  // namespace pipewise::exec::cuda
