// The CUDA backend's life cycle: construction, prepare (devices, stage placement, arenas,
// data, timing references, NCCL warm-up), finish, and the accessors read after a run.
#include "exec/cuda/cuda_backend.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <utility>

#include "common/ir/error.hpp"
#include "exec/cuda/planning/arena_sizing.hpp"
#include "exec/cuda/cuda_check.hpp"
#include "exec/cuda/cuda_device_state.hpp"
#include "exec/cuda/device_lanes.hpp"
#include "exec/cuda/nccl_comm.hpp"

namespace pipewise::exec::cuda {
namespace {

constexpr std::size_t kArenaGrowthBytes = std::size_t{64} << 20;
// After a cancelled run, how long finish waits for a device's GPU work to make progress
// before aborting the NCCL communicators that hold it.
constexpr std::int64_t kCancelledStallNs = 2'000'000'000;
// A pipeline device of a multi-process run that another process runs (DevicePlan).
constexpr int kOtherProcess = -1;

template <typename T>
void upload(DeviceBuffer& target, const std::vector<T>& values, cudaStream_t stream) {
  static_assert(sizeof(T) == sizeof(float));
  check_cuda(cudaMemcpyAsync(target.data, values.data(), values.size() * sizeof(T),
                             cudaMemcpyHostToDevice, stream),
             "uploading to the GPU");
}

std::vector<float> download(const DeviceBuffer& source, cudaStream_t stream) {
  std::vector<float> values(source.floats);
  check_cuda(cudaMemcpyAsync(values.data(), source.data, source.bytes(), cudaMemcpyDeviceToHost, stream),
             "downloading from the GPU");
  check_cuda(cudaStreamSynchronize(stream), "downloading from the GPU");
  return values;
}

std::int64_t stall_limit(const RunOptions& options) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(options.receive_timeout).count();
}

}  // namespace

CudaBackend::CudaBackend(const MlpModel& model, const SyntheticTask& task, OptimizerConfig optimizer,
                         CudaBackendOptions options)
    : model_(model), task_(task), optimizer_(optimizer), options_(std::move(options)) {
  optimizer_.check();
  check_task_fits_model(task, model.config());
  const DeviceCount count = cuda_device_count();
  if (count.count == 0) throw Error("no CUDA device: " + std::string(count.reason));
  visible_gpus_ = count.count;
  const std::size_t state_floats = optimizer_.state_per_parameter();
  for (std::uint32_t s = 0; s < model.stages(); ++s) {
    auto stage = std::make_unique<StageState>();
    stage->host_parameters = model.initial_parameters(s);
    const std::size_t parameters = stage->host_parameters.size();
    stage->host_gradient.assign(parameters, 0.0f);
    if (state_floats >= 1) stage->host_first_moment.assign(parameters, 0.0f);
    if (state_floats >= 2) stage->host_second_moment.assign(parameters, 0.0f);
    stages_.push_back(std::move(stage));
  }
}

CudaBackend::~CudaBackend() { tear_down_devices(); }

std::vector<DeviceState*> CudaBackend::local_devices() const {
  std::vector<DeviceState*> local;
  for (const auto& device : devices_) {
    if (device) local.push_back(device.get());
  }
  return local;
}

DeviceState& CudaBackend::local(std::uint32_t device) const {
  if (device >= devices_.size()) {
    throw Error("no device " + std::to_string(device) + " in the last run (it had " +
                std::to_string(devices_.size()) + ")");
  }
  if (!devices_[device]) {
    throw Error("device " + std::to_string(device) + " runs in another process (this rank runs device " +
                std::to_string(options_.rank ? options_.rank->device : 0) + ")");
  }
  return *devices_[device];
}

NcclComm& CudaBackend::pipeline_comm(std::uint32_t device) {
  if (rank_pipeline_) return *rank_pipeline_;
  return clique_.at(device);
}

void CudaBackend::tear_down_devices() noexcept {
  clique_.clear();
  for (DeviceState* device : local_devices()) {
    try {
      ScopedLane scope(device->lane);
      cudaStreamSynchronize(device->lane.stream);
      device->loopback.reset();
      device->gemm.reset();
      device->timing_events.reset();
      device->order_events.reset();
      if (device->reference != nullptr) cudaEventDestroy(device->reference);
      device->pool.reset();
      device->arena.reset();
    } catch (const Error&) {
      // The GPU is gone or broken: nothing more can be freed.
    }
  }
  devices_.clear();
  lanes_.reset();
  plan_.reset();
  nccl_warmed_up_ = false;
}

DevicePlan CudaBackend::plan_devices(std::uint32_t pipeline_devices) const {
  if (!options_.rank) return select_devices(options_.devices, pipeline_devices, visible_gpus_);
  const RankPlacement& rank = *options_.rank;
  DevicePlan plan{DeviceMode::OnePerGpu, std::vector<int>(pipeline_devices, kOtherProcess)};
  plan.gpu_of_device.at(rank.device) = rank_gpu(options_.devices, rank.local_rank, visible_gpus_);
  return plan;
}

void CudaBackend::build_devices(const DevicePlan& plan) {
  for (std::uint32_t s = 0; s < stages_.size(); ++s) {
    if (stages_[s]->home) download_stage(s);
  }
  tear_down_devices();
  DevicePlan here{plan.mode, {}};
  for (int gpu : plan.gpu_of_device) {
    if (gpu != kOtherProcess) here.gpu_of_device.push_back(gpu);
  }
  lanes_ = std::make_unique<LaneSet>(here, options_.green_contexts, options_.sms_per_device);
  devices_.clear();
  devices_.resize(plan.devices());
  std::size_t lane = 0;
  for (std::uint32_t d = 0; d < plan.devices(); ++d) {
    if (plan.gpu_of_device[d] == kOtherProcess) continue;
    auto device = std::make_unique<DeviceState>();
    device->index = d;
    device->lane = lanes_->lanes()[lane++];
    ScopedLane scope(device->lane);
    device->arena = std::make_unique<DeviceArena>(device->lane.gpu, kArenaGrowthBytes);
    device->pool = std::make_unique<DevicePool>(*device->arena);
    device->timing_events = std::make_unique<EventPool>(cudaEventDefault);
    device->order_events = std::make_unique<EventPool>(cudaEventDisableTiming);
    check_cuda(cudaEventCreate(&device->reference), "creating the timing reference event");
    devices_[d] = std::move(device);
  }
  plan_ = plan;
}

void CudaBackend::download_stage(std::uint32_t s) {
  StageState& stage = *stages_[s];
  DeviceState& device = *devices_[*stage.home];
  ScopedLane scope(device.lane);
  const cudaStream_t stream = device.lane.stream;
  stage.host_parameters = download(stage.versions.newest().values, stream);
  stage.host_gradient = download(stage.gradient, stream);
  if (!stage.first_moment.empty()) stage.host_first_moment = download(stage.first_moment, stream);
  if (!stage.second_moment.empty()) stage.host_second_moment = download(stage.second_moment, stream);
  for (DeviceBuffer& held : stage.versions.take_all()) device.pool->give_untracked(held);
  device.pool->give_untracked(stage.gradient);
  device.pool->give_untracked(stage.first_moment);
  device.pool->give_untracked(stage.second_moment);
  stage.home.reset();
}

void CudaBackend::upload_stage(std::uint32_t s, std::uint32_t d) {
  StageState& stage = *stages_[s];
  DeviceState& device = *devices_[d];
  ScopedLane scope(device.lane);
  const cudaStream_t stream = device.lane.stream;
  const auto place = [&](std::vector<float>& host, DeviceBuffer& target) {
    if (host.empty()) return;
    target = device.pool->take_untracked(host.size());
    upload(target, host, stream);
  };
  DeviceBuffer parameters;
  place(stage.host_parameters, parameters);
  stage.versions.start_from(parameters);
  place(stage.host_gradient, stage.gradient);
  place(stage.host_first_moment, stage.first_moment);
  place(stage.host_second_moment, stage.second_moment);
  check_cuda(cudaStreamSynchronize(stream), "uploading stage " + std::to_string(s));
  stage.host_parameters.clear();
  stage.host_gradient.clear();
  stage.host_first_moment.clear();
  stage.host_second_moment.clear();
  stage.home = d;
}

void CudaBackend::prepare(const Schedule& schedule, const RunOptions& options) {
  const Problem& problem = schedule.problem;
  if (problem.bidirectional()) {
    throw Error("the CUDA backend runs one model copy: bidirectional placement (dualpipe) runs on "
                "--backend cpu; dualpipe-v is its one-copy form");
  }
  if (problem.stages() != model_.stages()) {
    throw Error("the schedule has p*v = " + std::to_string(problem.stages()) +
                " stages but the model is split into " + std::to_string(model_.stages()));
  }
  if (options_.rank) check_rank_placement(*options_.rank, problem.devices);
  const DevicePlan plan = plan_devices(problem.devices);
  TransferPlan transfers = options_.rank ? plan_rank_transfers(schedule, options_.transport)
                                         : plan_transfers(schedule, plan.gpu_of_device, options_.transport);
  schedule_ = schedule;
  run_options_ = options;
  cancelled_.store(false);
  if (!plan_ || plan_->mode != plan.mode || plan_->gpu_of_device != plan.gpu_of_device) {
    build_devices(plan);
  }
  transfers_ = std::move(transfers);
  if (options_.rank) {
    make_rank_communicators();
  } else if (transfers_.uses_nccl() && clique_.empty()) {
    clique_ = make_nccl_clique(plan.gpu_of_device);
    nccl_warmed_up_ = false;
  }
  if (transfers_.uses_nccl_loopback()) {
    for (DeviceState* device : local_devices()) {
      if (!device->loopback) {
        device->loopback.emplace(make_nccl_loopback(device->lane.gpu));
        nccl_warmed_up_ = false;
      }
    }
  }
  for (DeviceState* device : local_devices()) device->pool = std::make_unique<DevicePool>(*device->arena);
  reserve_arenas();
  place_stages();
  upload_data();
  warm_up_nccl();
  start_measurement();

  report_ = CudaRunReport{};
  report_.mode = plan.mode;
  report_.fallback_reason = lanes_->fallback_reason();
  report_.unused_sms = lanes_->unused_sms();
  report_.math = options_.math;
  report_.transport = options_.transport;
  report_.nccl_refusal = transfers_.nccl_refusal;
  for (DeviceState* device : local_devices()) {
    for (const CommStep& step : transfers_.steps[device->index]) {
      if (!is_send(step.op.kind)) continue;
      ++(step.route == Route::Copy ? report_.copy_messages
         : step.route == Route::Nccl ? report_.nccl_messages
                                     : report_.loopback_messages);
    }
  }
  if (report_.nccl_messages + report_.loopback_messages > 0) report_.nccl_version = nccl_version_text();
}

void CudaBackend::make_rank_communicators() {
  const RankPlacement& rank = *options_.rank;
  const int gpu = plan_->gpu_of_device.at(rank.device);
  // Collective, in the same order on every rank: the pipeline groups, then the
  // data-parallel groups.
  if (rank.devices > 1 && !rank_pipeline_) {
    rank_pipeline_ = std::make_unique<NcclComm>(
        make_nccl_rank_comm(gpu, rank.device, rank.devices, RankGroup::Pipeline, rank.broadcast));
    nccl_warmed_up_ = false;
  }
  if (rank.replicas > 1 && !rank_replicas_) {
    rank_replicas_ = std::make_unique<NcclComm>(
        make_nccl_rank_comm(gpu, rank.replica, rank.replicas, RankGroup::DataParallel, rank.broadcast));
    nccl_warmed_up_ = false;
  }
}

void CudaBackend::reserve_arenas() {
  for (DeviceState* device : local_devices()) {
    const std::size_t wanted =
        options_.arena_bytes > 0
            ? options_.arena_bytes
            : arena_reservation_bytes(device_peak_bytes(schedule_, model_, task_.rows(),
                                                        optimizer_.state_per_parameter(),
                                                        device->index));
    if (device->arena->reserved_bytes() >= wanted) continue;
    ScopedLane scope(device->lane);
    device->arena->reserve(wanted - device->arena->reserved_bytes());
  }
}

void CudaBackend::place_stages() {
  const Problem& problem = schedule_.problem;
  for (std::uint32_t s = 0; s < stages_.size(); ++s) {
    StageState& stage = *stages_[s];
    const std::uint32_t home = problem.device_of_stage(s);
    if (stage.home && *stage.home != home) download_stage(s);
    if (!devices_[home]) continue;  // another process runs it
    if (!stage.home) upload_stage(s, home);
    DeviceState& device = *devices_[home];
    // Training continues from the newest parameters, which become version 0 of this run.
    for (DeviceBuffer& older : stage.versions.restart_from_newest()) {
      device.pool->give_untracked(older);
    }
    if (stage.accumulated != 0) {  // a failed run left a partial sum
      ScopedLane scope(device.lane);
      check_cuda(cudaMemsetAsync(stage.gradient.data, 0, stage.gradient.bytes(), device.lane.stream),
                 "clearing a partial gradient");
      stage.accumulated = 0;
    }
    const std::size_t bytes = model_.stage(s).parameter_count * sizeof(float);
    MemoryAccount& account = device.pool->account();
    account.allocate(MemoryCategory::Weights, bytes);
    account.allocate(MemoryCategory::WeightGradients, bytes);
    account.allocate(MemoryCategory::OptimizerState, bytes * optimizer_.state_per_parameter());
    account.weight_versions_held(1);
  }
}

void CudaBackend::upload_data() {
  const Problem& problem = schedule_.problem;
  const std::uint32_t first_device = problem.device_of_stage(0);
  const std::uint32_t loss_device = problem.device_of_stage(problem.stages() - 1);
  const std::uint32_t entries = task_.config().distinct_microbatches;
  const std::size_t rows = task_.rows();
  for (DeviceState* device : local_devices()) {
    ScopedLane scope(device->lane);
    const cudaStream_t stream = device->lane.stream;
    device->pool->give_untracked(device->losses);
    if (device->index == first_device && device->inputs.empty()) {
      std::vector<float> inputs;
      inputs.reserve(entries * rows * task_.input_width());
      for (std::uint32_t e = 0; e < entries; ++e) {
        const float* entry = task_.inputs(e);
        inputs.insert(inputs.end(), entry, entry + rows * task_.input_width());
      }
      device->inputs = device->pool->take_untracked(inputs.size());
      upload(device->inputs, inputs, stream);
    }
    if (device->index == loss_device) {
      if (device->labels.empty()) {
        std::vector<std::int32_t> labels;
        labels.reserve(entries * rows);
        for (std::uint32_t e = 0; e < entries; ++e) {
          const std::int32_t* entry = task_.labels(e);
          labels.insert(labels.end(), entry, entry + rows);
        }
        device->labels = device->pool->take_untracked(labels.size());
        upload(device->labels, labels, stream);
      }
      const std::vector<float> unset(std::size_t{problem.microbatches} * problem.iterations,
                                     std::numeric_limits<float>::quiet_NaN());
      device->losses = device->pool->take_untracked(unset.size());
      upload(device->losses, unset, stream);
    }
    check_cuda(cudaStreamSynchronize(stream), "uploading the data set");
  }
  losses_.assign(std::size_t{problem.microbatches} * problem.iterations,
                 std::numeric_limits<float>::quiet_NaN());
}

void CudaBackend::warm_up_nccl() {
  if (options_.rank) {
    warm_up_rank_nccl();
    return;
  }
  if (nccl_warmed_up_ || (!transfers_.uses_nccl() && !transfers_.uses_nccl_loopback())) return;
  const std::uint32_t devices = static_cast<std::uint32_t>(devices_.size());
  // NCCL connects peers lazily, at their first send and receive; doing it here, for every
  // pair that will talk, keeps connection set-up out of the timed run and out of the
  // workers (whose group ends would otherwise wait on each other's connection).
  std::set<std::pair<std::uint32_t, std::uint32_t>> pairs;
  for (std::uint32_t d = 0; d < devices; ++d) {
    for (const CommStep& step : transfers_.steps[d]) {
      if (step.route == Route::Nccl && is_send(step.op.kind)) pairs.emplace(d, step.peer_device);
    }
  }
  std::vector<DeviceBuffer> scratch(devices);
  for (DeviceState* device : local_devices()) scratch[device->index] = device->pool->take_untracked(2 * devices);
  if (!pairs.empty()) {
    // One thread driving several communicators: every call inside one group.
    check_nccl(ncclGroupStart(), "NCCL warm-up");
    for (const auto& [from, to] : pairs) {
      check_nccl(ncclSend(scratch[from].data, 1, ncclFloat, static_cast<int>(to),
                          clique_[from].get(), devices_[from]->lane.stream),
                 "NCCL warm-up send");
      check_nccl(ncclRecv(scratch[to].data + devices + from, 1, ncclFloat, static_cast<int>(from),
                          clique_[to].get(), devices_[to]->lane.stream),
                 "NCCL warm-up receive");
    }
    check_nccl(ncclGroupEnd(), "NCCL warm-up");
  }
  for (DeviceState* device : local_devices()) {
    if (!device->loopback) continue;
    // As in the run: from the lane's context, a self-send and its receive in one group.
    ScopedLane scope(device->lane);
    check_nccl(ncclGroupStart(), "NCCL loopback warm-up");
    check_nccl(ncclSend(scratch[device->index].data, 1, ncclFloat, 0, device->loopback->get(),
                        device->lane.stream),
               "NCCL loopback warm-up send");
    check_nccl(ncclRecv(scratch[device->index].data + 1, 1, ncclFloat, 0, device->loopback->get(),
                        device->lane.stream),
               "NCCL loopback warm-up receive");
    check_nccl(ncclGroupEnd(), "NCCL loopback warm-up");
  }
  for (DeviceState* device : local_devices()) {
    ScopedLane scope(device->lane);
    wait_for_gpu(*device, stall_limit(run_options_), false);
    device->pool->give_untracked(scratch[device->index]);
  }
  nccl_warmed_up_ = true;
}

void CudaBackend::warm_up_rank_nccl() {
  if (nccl_warmed_up_ || (!rank_pipeline_ && !rank_replicas_)) return;
  // NCCL connects peers at their first send and receive: one float to and from each peer
  // of the run, and a one-float all-reduce across the replicas, keep that out of the run.
  DeviceState& device = local(options_.rank->device);
  std::set<std::uint32_t> sends_to;
  std::set<std::uint32_t> receives_from;
  for (const CommStep& step : transfers_.steps[device.index]) {
    (is_send(step.op.kind) ? sends_to : receives_from).insert(step.peer_device);
  }
  ScopedLane scope(device.lane);
  const cudaStream_t stream = device.lane.stream;
  DeviceBuffer scratch = device.pool->take_untracked(2 + receives_from.size());
  if (rank_pipeline_ && (!sends_to.empty() || !receives_from.empty())) {
    check_nccl(ncclGroupStart(), "NCCL warm-up");
    for (std::uint32_t peer : sends_to) {
      check_nccl(ncclSend(scratch.data, 1, ncclFloat, static_cast<int>(peer), rank_pipeline_->get(), stream),
                 "NCCL warm-up send");
    }
    std::size_t slot = 2;
    for (std::uint32_t peer : receives_from) {
      check_nccl(ncclRecv(scratch.data + slot++, 1, ncclFloat, static_cast<int>(peer), rank_pipeline_->get(),
                          stream),
                 "NCCL warm-up receive");
    }
    check_nccl(ncclGroupEnd(), "NCCL warm-up");
  }
  if (rank_replicas_) {
    check_nccl(ncclAllReduce(scratch.data + 1, scratch.data + 1, 1, ncclFloat, ncclSum, rank_replicas_->get(),
                             stream),
               "NCCL warm-up all-reduce");
  }
  wait_for_gpu(device, stall_limit(run_options_), false);
  device.pool->give_untracked(scratch);
  nccl_warmed_up_ = true;
}

void CudaBackend::start_measurement() {
  for (DeviceState* device : local_devices()) {
    const std::uint32_t d = device->index;
    device->program = &schedule_.programs[d];
    device->comm_steps = &transfers_.steps[d];
    device->next_position = 0;
    device->backward_half_open = false;
    device->next_comm = 0;
    device->pending_checksums.clear();
    device->calls.clear();
    device->calls_seen_complete = 0;
    device->timing_log = DeviceEventLog{};
    std::size_t calls = device->program->size();
    for (const Op& op : *device->program) calls += op.kind == OpKind::Backward ? 1 : 0;
    device->calls.reserve(calls);
    ScopedLane scope(device->lane);
    device->timing_events->recycle();
    device->order_events->recycle();
    device->timing_events->reserve(2 * calls);
    device->order_events->reserve(device->comm_steps->size());
    device->arena->reset_peak();
    // The reference: recorded on the idle stream, so it completes between the two host reads.
    check_cuda(cudaStreamSynchronize(device->lane.stream), "idling the stream");
    const std::int64_t before = now_ns(d);
    check_cuda(cudaEventRecord(device->reference, device->lane.stream), "recording the reference event");
    check_cuda(cudaEventSynchronize(device->reference), "waiting for the reference event");
    const std::int64_t after = now_ns(d);
    device->reference_host_ns = before + (after - before) / 2;
  }
}

void CudaBackend::start_worker(std::uint32_t device) {
  DeviceState& state = local(device);
  make_current(state.lane);
  if (!state.gemm) {
    const std::uint32_t sms = state.lane.isolation == Isolation::GreenContext ? state.lane.sms : 0;
    state.gemm = std::make_unique<Gemm>(state.lane.stream, sms, options_.math);
  }
}

void CudaBackend::cancel() noexcept {
  cancelled_.store(true, std::memory_order_release);
  for (DeviceState* device : local_devices()) device->inbox.wake_all();
}

std::int64_t CudaBackend::now_ns(std::uint32_t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void CudaBackend::finish() {
  const bool cancelled = cancelled_.load();
  std::string first_error;
  for (DeviceState* device : local_devices()) {
    try {
      ScopedLane scope(device->lane);
      try {
        wait_for_gpu(*device, cancelled ? kCancelledStallNs : stall_limit(run_options_), false);
      } catch (const Error&) {
        abort_nccl();  // unblocks streams held by sends or receives that will never match
        cudaStreamSynchronize(device->lane.stream);
        throw;
      }
    } catch (const Error& error) {
      if (first_error.empty()) first_error = error.what();
    }
  }
  for (DeviceState* device : local_devices()) {
    for (PostedMessage& message : device->inbox.drain()) {
      DevicePool& sender = *devices_[message.sender]->pool;
      sender.give_untracked(message.payload);
      sender.give_untracked(message.checksum);
    }
  }
  for (DeviceState* device : local_devices()) {
    try {
      ScopedLane scope(device->lane);
      free_consumed_messages(*device, true);
      for (PendingChecksum& pending : device->pending_checksums) {
        device->pool->give_untracked(pending.expected);
      }
      device->pending_checksums.clear();
      collect_spans(*device);
    } catch (const Error& error) {
      if (first_error.empty()) first_error = error.what();
    }
  }
  release_open_slots();
  const Problem& problem = schedule_.problem;
  // The losses, where the last stage ran in this process (else they stay NaN).
  const std::unique_ptr<DeviceState>& loss_device = devices_[problem.device_of_stage(problem.stages() - 1)];
  if (loss_device) {
    try {
      ScopedLane scope(loss_device->lane);
      losses_ = download(loss_device->losses, loss_device->lane.stream);
    } catch (const Error& error) {
      if (first_error.empty()) first_error = error.what();
    }
  }
  report_.devices.clear();
  report_.gpus.clear();
  for (DeviceState* device : local_devices()) {
    const DeviceArena& arena = *device->arena;
    report_.devices.push_back({device->lane.gpu, device->lane.isolation, device->lane.sms,
                               arena.reserved_bytes(), arena.peak_in_use_bytes(),
                               arena.grown_segments()});
    auto gpu = std::find_if(report_.gpus.begin(), report_.gpus.end(),
                            [&](const CudaGpuMemoryCheck& check) { return check.gpu == device->lane.gpu; });
    if (gpu == report_.gpus.end()) {
      report_.gpus.push_back(CudaGpuMemoryCheck{device->lane.gpu, 0, 0});
      gpu = report_.gpus.end() - 1;
    }
    gpu->arena_reserved_bytes += arena.reserved_bytes();
    gpu->observed_drop_bytes += arena.observed_drop_bytes();
  }
  if (!first_error.empty() && !cancelled) throw Error(first_error);
}

void CudaBackend::abort_nccl() noexcept {
  for (NcclComm& comm : clique_) comm.abort();
  clique_.clear();
  for (std::unique_ptr<NcclComm>* comm : {&rank_pipeline_, &rank_replicas_}) {
    if (*comm) (*comm)->abort();
    comm->reset();
  }
  for (DeviceState* device : local_devices()) {
    if (!device->loopback) continue;
    device->loopback->abort();
    device->loopback.reset();
  }
  nccl_warmed_up_ = false;
}

const MemoryAccount& CudaBackend::memory(std::uint32_t device) const {
  return local(device).pool->account();
}

StepHooks CudaBackend::step_hooks() {
  StepHooks hooks;
  hooks.losses = [this] { return losses_; };
  hooks.device_times = [this](std::int64_t origin_ns, TimingRecorder& step) {
    replay_device_timeline(step, origin_ns);
  };
  return hooks;
}

RunDescription CudaBackend::describe_run() const { return describe_cuda_run(report_); }

std::vector<float> CudaBackend::parameters(std::uint32_t s) const {
  const StageState& stage = *stages_.at(s);
  if (!stage.home) return stage.host_parameters;
  const DeviceState& device = *devices_[*stage.home];
  ScopedLane scope(device.lane);
  return download(stage.versions.newest().values, device.lane.stream);
}

std::vector<float> CudaBackend::last_gradient(std::uint32_t s) const {
  const StageState& stage = *stages_.at(s);
  if (!stage.home) return stage.host_gradient;
  const DeviceState& device = *devices_[*stage.home];
  ScopedLane scope(device.lane);
  return download(stage.gradient, device.lane.stream);
}

}  // namespace pipewise::exec::cuda
