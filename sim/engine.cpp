#include "sim/engine.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <new>
#include <optional>
#include <string>
#include <utility>

#include "common/ir/error.hpp"
#include "common/numeric/checked_arithmetic.hpp"
#include "common/resources/resource_limits.hpp"
#include "common/text/format.hpp"
#include "sim/activation_effects.hpp"
#include "sim/memory_estimate.hpp"
#include "common/ir/weight_versions.hpp"
#include "common/validate/placement.hpp"
#include "common/validate/validate.hpp"

namespace pipewise::sim {
namespace {

constexpr double kNotYet = std::numeric_limits<double>::infinity();
constexpr std::uint32_t kNoLink = ~std::uint32_t{0};
constexpr std::uint64_t kNothingAwaited = ~std::uint64_t{0};  // no input's key (input_key)
// Ops a streamed device's buffer holds (ScheduleStream::read fills it when it runs out):
// kStreamBufferOps, fewer when p·kStreamBufferOps would pass kStreamBufferBudget, never
// fewer than kSmallestStreamBuffer.
constexpr std::size_t kStreamBufferOps = 512;
constexpr std::size_t kStreamBufferBudget = std::size_t{1} << 20;  // 16 MiB of ops
constexpr std::size_t kSmallestStreamBuffer = 16;
// Fewest micro-batches per stage the streamed state's window holds (see Window).
constexpr std::uint64_t kSmallestWindow = 64;

// Slots between two stages' windows beyond the window itself: with a power-of-two stride
// the same micro-batch of neighbouring stages would share a cache set (p = 1024: 2.18 s
// against 3.35 s for the 134 M-op 1F1B).
constexpr std::uint64_t kWindowPadding = 24;

// Thrown when the window over a streamed schedule's micro-batches is too small for it:
// simulate() starts again with one twice as large.
struct WindowTooSmall {};

// The (stage, iteration, micro-batch) slots the engine keeps state for. A whole schedule:
// one per slot, n·m per stage. A streamed one: a window of mask + 1 micro-batches per
// stage (a power of two; `microbatches` with the padding), slot (s, j) for
// j = iteration·m + micro-batch at s·microbatches + (j & mask), reused once the slot's
// last op has run. A slot still in use when its successor j + mask + 1 needs it throws
// WindowTooSmall: a stream runs each stage's forwards in order, so that the successor's
// forward input is the first to arrive, or its forward the first to run.
struct Window {
  std::uint64_t microbatches = 0;          // slots per stage
  std::uint64_t mask = ~std::uint64_t{0};  // j -> its slot's offset: j & mask
};

// How far a (stage, iteration, micro-batch) slot has come. A scoped enum, not a byte, so
// that its stores do not alias the engine's other arrays.
enum class Progress : std::uint8_t {
  kNothingRun = 0,
  kForwardDone = 1,
  kInputGradientDone = 2,  // I ran, W pending
  kComplete = 3,           // B or W ran
};

struct Link {
  double free_ms = 0.0;
  std::uint32_t from_device = 0;
  std::uint32_t to_device = 0;
};

// Everything the hot loop needs about one stage, resolved once, in one cache-friendly place
// (whole cache lines, so that indexing by stage is a shift and an add).
struct alignas(64) StageInfo {
  std::array<double, kOpKindCount> time{};  // per OpKind; recomputation included
  double stashing_step_ms = 0.0;     // an OptimizerStep that keeps the version it replaces
  double allreduce_ms = 0.0;
  std::uint64_t forward_bytes = 0;   // allocated when F starts (stash, or boundary)
  std::uint64_t rebuilt_bytes = 0;   // allocated when B or I starts (recompute working set)
  std::uint64_t backward_frees = 0;  // released when B ends
  std::uint64_t input_frees = 0;     // released when I ends
  std::uint64_t weight_frees = 0;    // released when W ends
  std::uint64_t step_bytes = 0;      // held while its optimizer step runs
  std::uint64_t first_slot = 0;        // slot of (stage, iteration 0, micro-batch 0)
  std::uint32_t first_microbatch = 0;  // it runs micro-batches first .. first + count − 1
  std::uint32_t microbatch_count = 0;  // (m, or m/2 with bidirectional placement)
  std::uint32_t device = 0;
  std::uint32_t next_device = 0;      // device of stage+1 (when there is one)
  std::uint32_t previous_device = 0;  // device of stage-1 (when there is one)
  std::uint32_t forward_link = kNoLink;   // link of the message to stage+1, if on another device
  std::uint32_t backward_link = kNoLink;  // link of the message to stage-1, if on another device
  bool feeds_next = false;      // F's output goes on to stage+1 (not where a pipeline ends)
  bool feeds_previous = false;  // B/I's gradient goes back to stage-1 (not where one starts)
  bool starts_pipeline = false;  // its F's input is there from the start
  bool ends_pipeline = false;    // its B's gradient is there once F ran (the loss)
};

// Weight stashing, per stage: its newest weight version, and how many micro-batches whose F
// read that version have a B or W still to run, which reads it again. An optimizer step
// that finds such a micro-batch keeps the version it replaces (StageCosts::stashing_step),
// as the executor does (exec/core/weight_lifetimes.hpp).
struct NewestVersionReaders {
  std::uint32_t version = 0;
  std::uint32_t pending = 0;
};

// The latest op that computed weight gradients (B or W) of a stage.
struct LastGradient {
  double start_ms = 0.0;
  double end_ms = 0.0;
};

// Per-device state beside the public DeviceStats.
struct DeviceState {
  const Op* next = nullptr;  // the next op of its program
  const Op* end = nullptr;   // of its program, or of its buffer when streamed
  std::uint64_t streamed_ops = 0;  // ops its stream has given (streamed schedules)
  double free_ms = 0.0;
  double data_parallel_free_ms = 0.0;
  std::uint64_t activation_bytes = 0;
  std::uint64_t activation_limit = 0;  // most activation bytes its static bytes leave below 2^64
  std::uint32_t live_activations = 0;
  // The input it waits for (see input_key); kNothingAwaited while it runs or is listed, or
  // when nothing can wake it.
  std::uint64_t awaited = kNothingAwaited;
  // For its DeviceStats::compute_ops and path_ops, counted after the run: the ops the
  // replay skips (sends, receives, FSDP ops) and the W ops and steps it runs.
  std::uint64_t skipped_ops = 0;
  std::uint64_t off_path_ops = 0;
  bool started = false;  // it has run an op
};

// Bidirectional placement: how far each (stage, iteration) has come with its weight
// gradients, for the mirror stage's optimizer step (see run_step).
struct GradientProgress {
  std::uint32_t done = 0;     // B and W ops run
  double ready_ms = kNotYet;  // when the last of them ended
};

// Names the input an op waits for: the arrival of F(slot)'s activation, or of B/I(slot)'s
// gradient. Each is produced once, so a device is woken only by what it waits for.
constexpr std::uint64_t input_key(std::uint64_t slot, bool gradient) {
  return slot * 2 + (gradient ? 1 : 0);
}

class Engine {
 public:
  // Replays `schedule`, or `stream` (then with `window` slots per stage) when it is not null.
  Engine(const Schedule* schedule, ScheduleStream* stream, Window window, const CostModel& costs,
         const SimulationOptions& options)
      : schedule_(schedule),
        stream_(stream),
        problem_(stream != nullptr ? stream->problem() : schedule->problem),
        name_(stream != nullptr ? stream->name() : schedule->name),
        costs_(costs),
        options_(options),
        stages_(problem_.stages()),
        blocking_(costs.communication().mode == CommMode::Blocking),
        latency_ms_(costs.communication().latency_ms),
        activation_occupancy_ms_(costs.activation_occupancy_ms()),
        gradient_occupancy_ms_(costs.gradient_occupancy_ms()),
        overrides_(costs.has_op_overrides()),
        several_iterations_(problem_.iterations > 1),
        bidirectional_(problem_.bidirectional()),
        window_mask_(window.mask),
        stage_stride_(window.microbatches) {}

  SimulationResult run() {
    prepare();
    // Devices that may be able to go on; each is listed at most once (see wake), so p
    // entries suffice.
    worklist_.resize(problem_.devices);
    for (std::uint32_t d = 0; d < problem_.devices; ++d) worklist_[d] = problem_.devices - 1 - d;
    worklist_size_ = problem_.devices;
    if (options_.record_timeline) {  // never streamed
      if (options_.track_memory) {
        run_devices<true, true, false>();
      } else {
        run_devices<false, true, false>();
      }
    } else if (stream_ != nullptr) {
      if (options_.track_memory) {
        run_devices<true, false, true>();
      } else {
        run_devices<false, false, true>();
      }
    } else if (options_.track_memory) {
      run_devices<true, false, false>();
    } else {
      run_devices<false, false, false>();
    }
    for (const DeviceState& state : state_) {
      if (state.next != state.end) throw_invalid();
    }
    return finish();
  }

 private:

  std::uint64_t slot(const Op& op) const {
    return stage_stride_ * op.stage +
           ((std::uint64_t{op.iteration} * problem_.microbatches + op.microbatch) & window_mask_);
  }

  void prepare() {
    // The ops themselves are checked as they run (run_device); the problem and the
    // program count first, since every index depends on them.
    if (!options_.structure_checked) {
      if (const auto issue = problem_issue(problem_)) throw Error(format_issue(*issue));
      if (schedule_ != nullptr) {
        if (const auto issue = program_count_issue(*schedule_)) throw Error(format_issue(*issue));
      }
    }
    if (costs_.problem() != problem_) {
      throw Error("the cost model was resolved for another problem than the schedule's");
    }
    const std::uint64_t per_stage = stage_stride_;
    const std::uint64_t slots = per_stage * stages_;
    if (slots > (std::uint64_t{1} << 32)) {
      throw Error("p*v*m*n = " + std::to_string(slots) +
                  " stage micro-batches is more than the 2^32 the simulator supports");
    }
    require_memory_for_slots(slots);
    prepare_stages();
    forward_time_.assign(slots, kNotYet);
    backward_time_.assign(slots, kNotYet);
    progress_.assign(slots, Progress::kNothingRun);
    for (std::uint32_t s = 0; s < stages_; ++s) {
      const auto first = static_cast<std::ptrdiff_t>(per_stage * s);
      // A pipeline's first stage has its input; its last computes the loss itself.
      if (problem_.starts_pipeline(s)) std::fill_n(forward_time_.begin() + first, per_stage, 0.0);
      if (problem_.ends_pipeline(s)) std::fill_n(backward_time_.begin() + first, per_stage, 0.0);
    }
    if (problem_.bidirectional()) {
      gradient_progress_.assign(std::size_t{stages_} * problem_.iterations, GradientProgress{});
      mirror_key_base_ = 2 * slots;
    }

    last_gradient_.assign(stages_, LastGradient{});
    newest_readers_.assign(prices_stashing_ ? stages_ : 0, NewestVersionReaders{});
    state_.assign(problem_.devices, DeviceState{});
    if (stream_ != nullptr) {
      // kStreamBufferOps per device, fewer where p is large (at most kStreamBufferBudget in
      // all; 65536 devices would otherwise take 512 MiB of buffers).
      buffer_ops_ = std::clamp<std::size_t>(kStreamBufferBudget / problem_.devices,
                                            kSmallestStreamBuffer, kStreamBufferOps);
      stream_buffers_.resize(std::size_t{problem_.devices} * buffer_ops_);
      for (std::uint32_t d = 0; d < problem_.devices; ++d) {
        refill(d, state_[d].next, state_[d].end);
      }
    } else {
      for (std::uint32_t d = 0; d < problem_.devices; ++d) {
        state_[d].next = schedule_->programs[d].data();
        state_[d].end = schedule_->programs[d].data() + schedule_->programs[d].size();
      }
    }
    result_.schedule_name = name_;
    result_.problem = problem_;
    result_.devices.assign(problem_.devices, DeviceStats{});
    result_.iteration_end_ms.assign(problem_.iterations, 0.0);
    if (options_.track_memory) prepare_static_memory();
    if (options_.record_timeline) {
      timeline_.name = options_.timeline_name;
      timeline_.problem = problem_;
      timeline_.ops.reserve(schedule_->op_count());
      timeline_.memory.resize(problem_.devices);
      if (options_.track_memory) {
        ActivationLifetime never_allocated;
        never_allocated.allocated_ms = -1.0;
        lifetimes_.assign(slots, never_allocated);
        for (std::uint32_t d = 0; d < problem_.devices; ++d) {
          timeline_.memory[d].push_back({0.0, result_.devices[d].static_bytes, 0});
        }
      }
    }
  }

  // Refuses, with the estimate, a problem whose per-slot state does not fit in memory: a
  // schedule read from a small file can claim 2^32 slots.
  void require_memory_for_slots(std::uint64_t slots) const {
    std::uint64_t bytes = slots * kSimulatorBytesPerSlot;
    if (options_.record_timeline && options_.track_memory) {
      bytes += slots * sizeof(ActivationLifetime);
    }
    if (bytes < kAlwaysAffordableBytes) return;  // no message to build for every simulation
    require_available_memory(name_ + " " + problem_sizes(problem_), bytes,
                             "the simulator's state of its " + format_count(slots) +
                                 " (stage, iteration, micro-batch) slots");
  }

  void prepare_stages() {
    stage_info_.assign(stages_, StageInfo{});
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint32_t> link_index;
    const auto link_between = [&](std::uint32_t from, std::uint32_t to) {
      if (from == to) return kNoLink;
      const auto [found, added] =
          link_index.emplace(std::pair{from, to}, static_cast<std::uint32_t>(links_.size()));
      if (added) links_.push_back({0.0, from, to});
      return found->second;
    };
    const bool recompute = costs_.recompute();
    for (std::uint32_t s = 0; s < stages_; ++s) {
      StageInfo& info = stage_info_[s];
      info.device = problem_.device_of_stage(s);
      info.first_slot = stage_stride_ * s;
      info.starts_pipeline = problem_.starts_pipeline(s);
      info.ends_pipeline = problem_.ends_pipeline(s);
      const bool second_copy = problem_.bidirectional() && s >= problem_.devices;
      info.first_microbatch = second_copy ? problem_.microbatches / 2 : 0;
      info.microbatch_count = problem_.bidirectional() ? problem_.microbatches / 2
                                                       : problem_.microbatches;
      const StageCosts& time = costs_.stage(s);
      const double rerun = recompute ? costs_.rerun_ms(s) : 0.0;
      info.time[static_cast<int>(OpKind::Forward)] = time.forward;
      info.time[static_cast<int>(OpKind::Backward)] = time.backward() + rerun;
      info.time[static_cast<int>(OpKind::BackwardInput)] = time.backward_input + rerun;
      info.time[static_cast<int>(OpKind::BackwardWeight)] = time.backward_weight;
      info.time[static_cast<int>(OpKind::OptimizerStep)] = time.optimizer_step;
      info.stashing_step_ms = time.stashing_step_time();
      if (info.stashing_step_ms != time.optimizer_step) prices_stashing_ = true;
      info.allreduce_ms = costs_.allreduce_ms(s);
      if (!std::isfinite(info.allreduce_ms)) throw_allreduce_overflow(s);
      const ActivationEffects effects = activation_effects(costs_, s);
      info.forward_bytes = effects.forward_bytes;
      info.rebuilt_bytes = effects.rebuilt_bytes;
      info.backward_frees = effects.backward_frees;
      info.input_frees = effects.input_frees;
      info.weight_frees = effects.weight_frees;
      info.step_bytes = effects.step_bytes;
    }
    for (std::uint32_t s = 0; s + 1 < stages_; ++s) {
      if (problem_.ends_pipeline(s)) continue;  // the two copies of bidirectional placement
      stage_info_[s].feeds_next = true;
      stage_info_[s + 1].feeds_previous = true;
      stage_info_[s].next_device = stage_info_[s + 1].device;
      stage_info_[s + 1].previous_device = stage_info_[s].device;
      stage_info_[s].forward_link = link_between(stage_info_[s].device, stage_info_[s + 1].device);
      stage_info_[s + 1].backward_link =
          link_between(stage_info_[s + 1].device, stage_info_[s].device);
    }
  }

  // Streamed schedules only: reads the next ops of device `device` into its buffer and
  // points `next` and `end` at them; false (the program has ended) when there are none.
  [[gnu::noinline]] bool refill(std::uint32_t device, const Op*& next, const Op*& end) {
    Op* buffer = stream_buffers_.data() + std::size_t{device} * buffer_ops_;
    const std::size_t read = stream_->read(device, buffer, buffer_ops_);
    state_[device].streamed_ops += read;
    streamed_ops_ += read;
    if (streamed_ops_ >= next_progress_ && options_.on_stream_progress) {
      options_.on_stream_progress(streamed_ops_);
      next_progress_ = streamed_ops_ + kStreamProgressOps;
    }
    next = buffer;
    end = buffer + read;
    return read > 0;
  }

  // Slot `index` (of `stage`) has run its last op. A streamed schedule's window frees it for
  // the next micro-batch to use it, as prepare() set it up; a whole schedule's is marked
  // complete, so that an op that runs again is found.
  template <bool kStreamed>
  [[gnu::always_inline]] void complete(std::uint64_t index, const StageInfo& stage) {
    if constexpr (!kStreamed) {
      progress_[index] = Progress::kComplete;
      return;
    }
    progress_[index] = Progress::kNothingRun;
    forward_time_[index] = stage.starts_pipeline ? 0.0 : kNotYet;
    backward_time_[index] = stage.ends_pipeline ? 0.0 : kNotYet;
  }

  void prepare_static_memory() {
    if (stream_ != nullptr) {
      // Each of a stream's iterations ends with a flush: one version held (its promise).
      for (std::uint32_t d = 0; d < problem_.devices; ++d) {
        result_.devices[d].weight_versions = stream_->program_size(d) == 0 ? 0 : 1;
      }
    } else {
      const std::vector<std::uint32_t> versions = weight_versions_held(*schedule_);
      for (std::uint32_t d = 0; d < problem_.devices; ++d) {
        result_.devices[d].weight_versions = versions[d];
      }
    }
    for (std::uint32_t s = 0; s < stages_; ++s) {
      const std::uint32_t device = stage_info_[s].device;
      DeviceStats& stats = result_.devices[device];
      const std::uint64_t copies = std::max<std::uint32_t>(stats.weight_versions, 1);
      const StageMemory& memory = costs_.stage_memory(s);
      // Sizes near 2^64 would wrap to a small, wrong number: refuse them, naming the input.
      const auto weights = checked_multiply(memory.parameter_bytes, copies);
      const auto with_gradients = weights ? checked_add(*weights, memory.gradient_bytes) : std::nullopt;
      const auto weight_total = weights ? checked_add(stats.weight_bytes, *weights) : std::nullopt;
      const auto stage_static =
          with_gradients ? checked_add(*with_gradients, memory.optimizer_state_bytes) : std::nullopt;
      const auto static_total =
          stage_static ? checked_add(stats.static_bytes, *stage_static) : std::nullopt;
      if (!weight_total || !static_total) {
        too_many_bytes("device " + std::to_string(device) + "'s static memory (weights x " +
                           std::to_string(copies) + " version(s), gradients, optimizer state)",
                       "the parameter, gradient or optimizer state bytes are too large")
            .throw_if_failed();
      }
      stats.weight_bytes = *weight_total;
      stats.static_bytes = *static_total;
    }
    for (std::uint32_t d = 0; d < problem_.devices; ++d) {
      state_[d].activation_limit =
          std::numeric_limits<std::uint64_t>::max() - result_.devices[d].static_bytes;
    }
  }

  // Out of line, off the hot path: the activations of `device` would exceed 2^64 bytes.
  [[noreturn, gnu::cold, gnu::noinline]] static void throw_too_many_activation_bytes(
      std::uint32_t device) {
    too_many_bytes("device " + std::to_string(device) +
                       "'s memory (static memory plus its stashed activations)",
                   "the activation bytes (or the parameter bytes beside them) are too large")
        .throw_if_failed();
    throw Error("unreachable");
  }

  // Out of line: stage `stage`'s all-reduce would take longer than a double holds.
  [[noreturn, gnu::cold, gnu::noinline]] void throw_allreduce_overflow(std::uint32_t stage) const {
    throw Error("the times are too large to simulate: the data-parallel all-reduce of stage " +
                std::to_string(stage) + " (its parameter bytes over the data-parallel bandwidth, " +
                std::to_string(costs_.data_parallel().replicas) +
                " replicas) would take longer than the largest time a double holds (1.8e+308 "
                "ms): the parameter bytes are too large or the data-parallel bandwidth too small");
  }

  // Out of line: the overlapped pair of `forward` and `backward` on `device` would end at
  // infinity.
  [[noreturn, gnu::cold, gnu::noinline]] void throw_pair_overflow(const Op& forward,
                                                              const Op& backward,
                                                              std::uint32_t device,
                                                              double duration_ms) const {
    throw Error("the times are too large to simulate: the overlapped pair (" +
                op_label(forward, problem_.microbatches) + ";" +
                op_label(backward, problem_.microbatches) + ") on device " +
                std::to_string(device) + " (" + format_number(duration_ms) +
                " ms) would end after the largest time a double holds (1.8e+308 ms): its "
                "pair time (the overlap's pair override, or its ops' times) is too large");
  }

  // Out of line: op `op` on `device` would end (or its message arrive) at infinity.
  [[noreturn, gnu::cold, gnu::noinline]] void throw_time_overflow(const Op& op, std::uint32_t device,
                                                               double duration_ms,
                                                               bool message) const {
    const std::string label = op_label(op, problem_.microbatches);
    if (message) {
      throw Error("the times are too large to simulate: the message of op " + label +
                  " on device " + std::to_string(device) +
                  " would arrive after the largest time a double holds (1.8e+308 ms): the "
                  "latency, the message bytes or the op times are too large");
    }
    throw Error("the times are too large to simulate: op " + label + " on device " +
                std::to_string(device) + " (" + format_number(duration_ms) +
                " ms) would end after the largest time a double holds (1.8e+308 ms): its "
                "stage's op times" +
                (op.kind == OpKind::OptimizerStep ? std::string(" or its data-parallel all-reduce") : "") +
                " are too large");
  }

  // Lists `device` for another try if it waits for input `key`, which has just come.
  void wake(std::uint32_t device, std::uint64_t key) {
    DeviceState& state = state_[device];
    if (state.awaited == key) {
      state.awaited = kNothingAwaited;
      worklist_[worklist_size_++] = device;
    }
  }

  // Sends a message that device `device` produced at `ready_ms` over `link_index`; returns
  // its arrival time. Blocking mode keeps the sender busy until then.
  template <bool kTimeline>
  [[gnu::always_inline]] double send(std::uint32_t link_index, double ready_ms, double occupancy_ms, const Op& producer,
              std::uint32_t device, double& device_free_ms) {
    Link& link = links_[link_index];
    const double start = std::max(ready_ms, link.free_ms);
    link.free_ms = start + occupancy_ms;
    const double arrival = link.free_ms + latency_ms_;
    if (arrival == kNotYet) throw_time_overflow(producer, device, 0.0, true);
    ++result_.messages;
    result_.message_ms += occupancy_ms + latency_ms_;
    if (blocking_) {
      result_.devices[device].blocked_ms += arrival - ready_ms;
      device_free_ms = arrival;
    }
    if constexpr (kTimeline) {
      timeline_.messages.push_back({start, arrival, link.from_device, link.to_device, producer});
    }
    return arrival;
  }

  // Adds `bytes` (and `new_stashes` stashes) to the device's activations at `time_ms`.
  // `activation_limit` is the most activation bytes its static bytes leave below 2^64.
  [[gnu::always_inline]] static void allocate(DeviceState& state, DeviceStats& stats,
                                              std::uint32_t device, std::uint64_t bytes,
                                              std::uint32_t new_stashes, double time_ms) {
    if (__builtin_add_overflow(state.activation_bytes, bytes, &state.activation_bytes) ||
        state.activation_bytes > state.activation_limit) {
      throw_too_many_activation_bytes(device);
    }
    state.live_activations += new_stashes;
    if (state.activation_bytes > stats.peak_activation_bytes) {
      stats.peak_activation_bytes = state.activation_bytes;
      stats.peak_time_ms = time_ms;
    }
    if (state.live_activations > stats.peak_activations) {
      stats.peak_activations = state.live_activations;
      stats.peak_activations_time_ms = time_ms;
    }
  }

  void record_memory(std::uint32_t device, double time_ms) {
    auto& samples = timeline_.memory[device];
    const DeviceState& state = state_[device];
    const MemorySample sample{time_ms, result_.devices[device].static_bytes + state.activation_bytes,
                              state.live_activations};
    if (!samples.empty() && samples.back().time_ms == time_ms) {
      samples.back() = sample;
    } else {
      samples.push_back(sample);
    }
  }

  // Memory effects at the start and at the end of compute op `op`, of kind kKind
  // (MemoryConfig's model).
  template <bool kTimeline, OpKind kKind>
  [[gnu::always_inline]] void on_start(const Op& op, const StageInfo& stage, std::uint32_t device,
                                       std::uint64_t index, double time_ms) {
    DeviceState& state = state_[device];
    DeviceStats& stats = result_.devices[device];
    if constexpr (kKind == OpKind::Forward) {
      allocate(state, stats, device, stage.forward_bytes, 1, time_ms);
      if constexpr (kTimeline) {
        lifetimes_[index] = {op.stage, op.iteration,      op.microbatch,      device,
                             time_ms,  time_ms, stage.forward_bytes};
      }
    } else if constexpr (produces_input_grad(kKind)) {
      if (stage.rebuilt_bytes == 0) return;
      allocate(state, stats, device, stage.rebuilt_bytes, 0, time_ms);
    } else if constexpr (kKind == OpKind::OptimizerStep) {
      if (stage.step_bytes == 0) return;
      allocate(state, stats, device, stage.step_bytes, 0, time_ms);
    } else {
      return;
    }
    if constexpr (kTimeline) record_memory(device, time_ms);
  }

  template <bool kTimeline, OpKind kKind>
  [[gnu::always_inline]] void on_end(const StageInfo& stage, std::uint32_t device,
                                     std::uint64_t index, double time_ms) {
    DeviceState& state = state_[device];
    if constexpr (kKind == OpKind::Backward) {
      state.activation_bytes -= stage.backward_frees;
      --state.live_activations;
    } else if constexpr (kKind == OpKind::BackwardInput) {
      state.activation_bytes -= stage.input_frees;  // the rest lives on until W
    } else if constexpr (kKind == OpKind::BackwardWeight) {
      state.activation_bytes -= stage.weight_frees;
      --state.live_activations;
    } else if constexpr (kKind == OpKind::OptimizerStep) {
      if (stage.step_bytes == 0) return;
      state.activation_bytes -= stage.step_bytes;
    } else {
      return;
    }
    if constexpr (kTimeline) {
      record_memory(device, time_ms);
      if constexpr (kKind == OpKind::Backward || kKind == OpKind::BackwardWeight) {
        lifetimes_[index].released_ms = time_ms;
      }
    }
  }

  // The end of F `op`: its output is there at `end` and goes on to the next stage.
  template <bool kTimeline, bool kStreamed>
  [[gnu::always_inline]] void finish_forward(const Op& op, const StageInfo& stage,
                                             std::uint64_t index, double end,
                                             std::uint32_t device, double& free_ms) {
    progress_[index] = Progress::kForwardDone;
    forward_time_[index] = end;
    if (stage.feeds_next) {
      // A window's slot still held by an earlier micro-batch.
      if constexpr (kStreamed) {
        if (forward_time_[index + stage_stride_] != kNotYet) [[unlikely]] throw_invalid();
      }
      forward_time_[index + stage_stride_] =
          stage.forward_link == kNoLink
              ? end
              : send<kTimeline>(stage.forward_link, end, activation_occupancy_ms_, op, device, free_ms);
      wake(stage.next_device, input_key(index + stage_stride_, false));
    }
  }

  // The end of B or I `op` (which ran from `start`): its input gradient is there at `end`
  // and goes back to the previous stage.
  template <bool kTimeline, bool kStreamed, OpKind kKind>
  [[gnu::always_inline]] void finish_input_gradient(const Op& op, const StageInfo& stage,
                                                    std::uint64_t index, double start,
                                                    double end, std::uint32_t device,
                                                    double& free_ms) {
    if constexpr (kKind == OpKind::Backward) {
      last_gradient_[op.stage] = {start, end};
      if (bidirectional_) [[unlikely]] note_gradient(op, end);
    } else {
      progress_[index] = Progress::kInputGradientDone;
      result_.split_backward = true;
    }
    backward_time_[index] = end;
    if (stage.feeds_previous) {
      backward_time_[index - stage_stride_] =
          stage.backward_link == kNoLink
              ? end
              : send<kTimeline>(stage.backward_link, end, gradient_occupancy_ms_, op, device, free_ms);
      wake(stage.previous_device, input_key(index - stage_stride_, true));
    }
    if constexpr (kKind == OpKind::Backward) complete<kStreamed>(index, stage);
  }

  // Bidirectional placement: the wait key of step `step` for its mirror's gradients.
  std::uint64_t mirror_key(const Op& step) const {
    return mirror_key_base_ +
           std::uint64_t{problem_.mirror_stage(step.stage)} * problem_.iterations + step.iteration;
  }

  // When the mirror stage of step `step` has all its weight gradients of the step's
  // iteration and has sent them over (latency + the stage's gradient bytes on the link);
  // kNotYet before.
  double mirror_gradients_ready(const Op& step) const {
    const std::uint32_t mirror = problem_.mirror_stage(step.stage);
    const GradientProgress& progress =
        gradient_progress_[std::size_t{mirror} * problem_.iterations + step.iteration];
    if (progress.ready_ms == kNotYet) return kNotYet;
    if (stage_info_[mirror].device == stage_info_[step.stage].device) return progress.ready_ms;
    const double bytes = static_cast<double>(costs_.stage_memory(mirror).gradient_bytes);
    const double ready = progress.ready_ms + latency_ms_ + costs_.communication().occupancy_ms(bytes);
    // An arrival at infinity would read as "not yet" and be reported as a deadlock.
    if (ready == kNotYet) throw_time_overflow(step, stage_info_[step.stage].device, 0.0, true);
    return ready;
  }

  // Bidirectional placement: counts gradient op `op` (a B or W that ended at `end`); the
  // last of its stage and iteration wakes the mirror's device if its step waits.
  void note_gradient(const Op& op, double end) {
    GradientProgress& progress =
        gradient_progress_[std::size_t{op.stage} * problem_.iterations + op.iteration];
    if (++progress.done < problem_.microbatches / 2) return;
    progress.ready_ms = end;
    const std::uint32_t mirror = problem_.mirror_stage(op.stage);
    wake(stage_info_[mirror].device,
         mirror_key_base_ + std::uint64_t{op.stage} * problem_.iterations + op.iteration);
  }

  // Where an OptimizerStep `op` of `stage` may start, given that its device is free at
  // `free_ms`: after the mirror stage's gradients (bidirectional placement) and the
  // all-reduce of its own (data parallelism). kNotYet when it must wait for the mirror.
  [[gnu::noinline]] double step_start(const Op& op, const StageInfo& stage, double free_ms,
                                      std::uint32_t device) {
    DeviceState& state = state_[device];
    DeviceStats& stats = result_.devices[device];
    double start = free_ms;
    if (bidirectional_) {
      const double mirror_ready = mirror_gradients_ready(op);
      if (mirror_ready == kNotYet) return kNotYet;
      start = std::max(start, mirror_ready);
    }
    if (stage.allreduce_ms > 0) {
      stats.allreduce_ms += stage.allreduce_ms;
      if (costs_.data_parallel().overlap_with_cooldown) {
        const LastGradient& gradient = last_gradient_[op.stage];
        const double begin = std::max(gradient.start_ms, state.data_parallel_free_ms);
        state.data_parallel_free_ms = std::max(begin + stage.allreduce_ms, gradient.end_ms);
        start = std::max(start, state.data_parallel_free_ms);
      } else {
        stats.blocked_ms += stage.allreduce_ms;
        start += stage.allreduce_ms;
      }
    }
    return start;
  }

  // Runs the overlapped pair at `at` in device `device`'s program: a forward marked
  // kOverlapWithNext (whose own placement the caller checked) and the B or I right after
  // it, checked here. The pair starts when the device is free and both ops have their
  // inputs, and both end together after CostModel::pair_time; the forward allocates its
  // stash at the start and the backward frees at the end. Returns the input the device
  // must wait for, or nothing when the pair ran.
  template <bool kMemory, bool kTimeline>
  [[gnu::noinline]] std::optional<std::uint64_t> run_pair(std::uint32_t device, const Op* at,
                                                          double& free_ms) {
    if (stream_ != nullptr) throw_invalid();  // a stream marks no pairs (its promise)
    const std::vector<Op>& program = schedule_->programs[device];
    if (overlap_rule(program, static_cast<std::size_t>(at - program.data())) != nullptr ||
        placement_rule(problem_, device, at[1]) != nullptr) {
      throw_structure_fault();
    }
    DeviceStats& stats = result_.devices[device];
    const Op& forward = at[0];
    const Op& backward = at[1];
    const std::uint64_t forward_index = slot(forward);
    const std::uint64_t backward_index = slot(backward);
    if (progress_[forward_index] != Progress::kNothingRun ||
        progress_[backward_index] == Progress::kInputGradientDone ||
        progress_[backward_index] == Progress::kComplete) {
      throw_invalid();
    }
    if (forward_time_[forward_index] == kNotYet) return input_key(forward_index, false);
    if (progress_[backward_index] == Progress::kNothingRun ||
        backward_time_[backward_index] == kNotYet) {
      return input_key(backward_index, true);
    }
    const double start =
        std::max({free_ms, forward_time_[forward_index], backward_time_[backward_index]});
    const double duration = costs_.pair_time(forward, backward);
    if (prices_stashing_) {
      note_weight_reader(forward, stage_info_[forward.stage], 0.0);
      note_weight_reader(backward, stage_info_[backward.stage], 0.0);
    }
    const double end = start + duration;
    if (end == kNotYet) throw_pair_overflow(forward, backward, device, duration);
    free_ms = end;
    stats.busy_ms += duration;
    stats.path_compute_ms += duration;
    DeviceState& state = state_[device];
    if (!state.started) {
      state.started = true;
      stats.first_start_ms = start;
    }
    const StageInfo& forward_stage = stage_info_[forward.stage];
    const StageInfo& backward_stage = stage_info_[backward.stage];
    const bool full_backward = backward.kind == OpKind::Backward;
    if constexpr (kMemory) {
      on_start<kTimeline, OpKind::Forward>(forward, forward_stage, device, forward_index, start);
      if (full_backward) {
        on_start<kTimeline, OpKind::Backward>(backward, backward_stage, device, backward_index,
                                              start);
      } else {
        on_start<kTimeline, OpKind::BackwardInput>(backward, backward_stage, device,
                                                   backward_index, start);
      }
    }
    if constexpr (kTimeline) {
      // Drawn as the forward's share of the pair, then the backward's (both marked).
      const double forward_ms = costs_.op_time(forward);
      const double parts = forward_ms + costs_.op_time(backward);
      const double split = parts > 0 ? start + duration * forward_ms / parts : start;
      timeline_.ops.push_back({start, split, forward, device});
      Op marked = backward;
      marked.flags |= kOverlapWithNext;
      timeline_.ops.push_back({split, end, marked, device});
    }
    finish_forward<kTimeline, false>(forward, forward_stage, forward_index, end, device, free_ms);
    if (full_backward) {
      finish_input_gradient<kTimeline, false, OpKind::Backward>(backward, backward_stage, backward_index,
                                                         start, end, device, free_ms);
      if constexpr (kMemory) {
        on_end<kTimeline, OpKind::Backward>(backward_stage, device, backward_index, end);
      }
    } else {
      finish_input_gradient<kTimeline, false, OpKind::BackwardInput>(
          backward, backward_stage, backward_index, start, end, device, free_ms);
      if constexpr (kMemory) {
        on_end<kTimeline, OpKind::BackwardInput>(backward_stage, device, backward_index, end);
      }
    }
    if (several_iterations_) {
      for (const Op* op : {&forward, &backward}) {
        double& iteration_end = result_.iteration_end_ms[op->iteration];
        iteration_end = std::max(iteration_end, free_ms);
      }
    }
    return std::nullopt;
  }

  // What the replay loop reads on every op, loaded once for all devices.
  struct Replay {
    Progress* progress;
    double* forward_time;
    double* backward_time;
    double* iteration_end;
    const StageInfo* stage_info;
    std::uint32_t stages;
    std::uint32_t iterations;
    std::uint64_t microbatches;
    std::uint64_t window_mask;  // Window::mask
    bool several_iterations;
    bool bidirectional;
  };

  // Runs listed devices until none can go on, with the cost model's per-op overrides
  // (CostModel::op_time) or its stage times.
  template <bool kMemory, bool kTimeline, bool kStreamed>
  void run_devices() {
    if (overrides_) {
      run_devices<kMemory, kTimeline, kStreamed, true>();
    } else {
      run_devices<kMemory, kTimeline, kStreamed, false>();
    }
  }

  template <bool kMemory, bool kTimeline, bool kStreamed, bool kOverrides>
  void run_devices() {
    const Replay replay{progress_.data(),     forward_time_.data(),
                        backward_time_.data(), result_.iteration_end_ms.data(),
                        stage_info_.data(),   stages_,
                        problem_.iterations,  problem_.microbatches,
                        window_mask_,         several_iterations_,
                        bidirectional_};
    for (std::uint32_t d = 0; d < problem_.devices; ++d) {
      state_[d].next = first_to_run(state_[d].next, state_[d].end, d, replay);
    }
    while (worklist_size_ > 0) {
      run_device<kMemory, kTimeline, kStreamed, kOverrides>(worklist_[--worklist_size_], replay);
    }
  }

  // The first op from `op` on that the replay runs (a compute op or a step), or `end`; the
  // sends, receives and FSDP ops before it are skipped (engine.hpp). Each op is checked
  // against check_structure's placement rules on the way (in a few compares for an op that
  // runs), so that no separate pass over the schedule is needed; a fault is reported as
  // check_structure reports the schedule's first.
  [[gnu::always_inline]] const Op* first_to_run(const Op* op, const Op* end, std::uint32_t device,
                                                const Replay& replay) {
    for (; op != end; ++op) {
      if (!is_compute(op->kind) && op->kind != OpKind::OptimizerStep) [[unlikely]] {
        if (placement_rule(problem_, device, *op) != nullptr) throw_structure_fault();
        ++state_[device].skipped_ops;
        continue;
      }
      if (op->stage >= replay.stages) [[unlikely]] throw_structure_fault();
      const StageInfo& stage = replay.stage_info[op->stage];
      if (stage.device != device) [[unlikely]] throw_structure_fault();
      if (op->iteration >= replay.iterations) [[unlikely]] throw_structure_fault();
      // One unsigned compare tests first_microbatch <= microbatch < first + count.
      if (op->microbatch - stage.first_microbatch >= stage.microbatch_count) [[unlikely]] {
        throw_structure_fault();
      }
      // The one flag marks an overlapped pair's forward (its partner: run_pair).
      if (op->flags != 0 && (op->kind != OpKind::Forward || op->flags != kOverlapWithNext))
          [[unlikely]] {
        throw_structure_fault();
      }
      return op;
    }
    return end;
  }

  // Weight stashing (NewestVersionReaders): an F that reads its stage's newest version adds a
  // pending reader, the B or W of such a micro-batch removes it, and an optimizer step with
  // readers pending keeps the version it replaces. Returns the duration of `op`, `duration`
  // unless it is such a step.
  [[gnu::noinline]] double note_weight_reader(const Op& op, const StageInfo& stage,
                                              double duration) {
    NewestVersionReaders& readers = newest_readers_[op.stage];
    switch (op.kind) {
      case OpKind::Forward:
        if (op.weight_version == readers.version) ++readers.pending;
        return duration;
      case OpKind::Backward:
      case OpKind::BackwardWeight:
        if (op.weight_version == readers.version && readers.pending > 0) --readers.pending;
        return duration;
      case OpKind::OptimizerStep: {
        const bool keeps_previous = readers.pending > 0;
        readers = {op.weight_version + 1, 0};
        return keeps_previous ? stage.stashing_step_ms : duration;
      }
      default:
        return duration;
    }
  }

  // Runs op `op` (of kind kKind, in slot `index`) of device `device` from `start`, when its
  // inputs are there and the device is free: its time, stats, memory and outputs. One copy
  // per kind, so that nothing in it tests the kind again.
  template <bool kMemory, bool kTimeline, bool kStreamed, bool kOverrides, OpKind kKind>
  [[gnu::always_inline]] void run_op(const Op& op, const StageInfo& stage, std::uint64_t index,
                                     double start, std::uint32_t device, double& free_ms,
                                     const Replay& replay) {
    DeviceState& state = state_[device];
    DeviceStats& stats = result_.devices[device];
    double duration = kOverrides ? costs_.op_time(op) : stage.time[static_cast<int>(kKind)];
    if (prices_stashing_) [[unlikely]] duration = note_weight_reader(op, stage, duration);
    const double end_ms = start + duration;
    // kNotYet (infinity) marks an input not yet there: an end at infinity would read as
    // a wait and be reported as a deadlock.
    if (end_ms == kNotYet) throw_time_overflow(op, device, duration, false);
    free_ms = end_ms;
    stats.busy_ms += duration;
    if (!state.started) [[unlikely]] {
      state.started = true;
      stats.first_start_ms = start;
    }
    if constexpr (kMemory) on_start<kTimeline, kKind>(op, stage, device, index, start);
    if constexpr (kTimeline) timeline_.ops.push_back({start, end_ms, op, device});
    if constexpr (kKind == OpKind::Forward) {
      stats.path_compute_ms += duration;
      finish_forward<kTimeline, kStreamed>(op, stage, index, end_ms, device, free_ms);
    } else if constexpr (produces_input_grad(kKind)) {
      stats.path_compute_ms += duration;
      finish_input_gradient<kTimeline, kStreamed, kKind>(op, stage, index, start, end_ms, device,
                                                         free_ms);
    } else if constexpr (kKind == OpKind::BackwardWeight) {
      complete<kStreamed>(index, stage);
      ++state.off_path_ops;
      last_gradient_[op.stage] = {start, end_ms};
      if (replay.bidirectional) [[unlikely]] note_gradient(op, end_ms);
    } else {
      stats.step_ms += duration;
      ++state.off_path_ops;
    }
    if constexpr (kMemory) on_end<kTimeline, kKind>(stage, device, index, end_ms);
    if (replay.several_iterations) {
      double& iteration_end = replay.iteration_end[op.iteration];
      iteration_end = std::max(iteration_end, free_ms);
    }
  }

  // Runs device `device` until its program ends or its next op waits for an input. Its
  // next op has passed first_to_run's checks, and each op after it passes them before it
  // is tried, so that an op that waits is checked once, not each time it is tried.
  template <bool kMemory, bool kTimeline, bool kStreamed, bool kOverrides>
  [[gnu::always_inline]] void run_device(std::uint32_t device, const Replay& replay) {
    DeviceState& state = state_[device];
    Progress* const progress = replay.progress;
    double* const forward_time = replay.forward_time;
    double* const backward_time = replay.backward_time;
    const Op* next = state.next;
    const Op* end = state.end;
    double free_ms = state.free_ms;
    // Stops the device at `next`, waiting for input `key` (kNothingAwaited: for good).
    const auto wait = [&](std::uint64_t key) {
      state.awaited = key;
      state.next = next;
      state.end = end;
      state.free_ms = free_ms;
    };
    for (;;) {
      if (next == end) [[unlikely]] {  // the program ended, or a streamed one's buffer
        if (!kStreamed || !refill(device, next, end)) break;
        next = first_to_run(next, end, device, replay);
        continue;
      }
      const Op& op = *next;
      const StageInfo& stage = replay.stage_info[op.stage];
      if (op.flags != 0) [[unlikely]] {  // an overlapped pair's forward (first_to_run)
        const std::optional<std::uint64_t> awaited =
            run_pair<kMemory, kTimeline>(device, next, free_ms);
        if (awaited) return wait(*awaited);
        next = first_to_run(next + 2, end, device, replay);  // past the partner
        continue;
      }
      const std::uint64_t microbatch = op.iteration * replay.microbatches + op.microbatch;
      const std::uint64_t index =
          stage.first_slot + (kStreamed ? microbatch & replay.window_mask : microbatch);
      // Whether B or I `op` has its own F's output and its gradient; waits if not.
      const auto input_gradient_ready = [&] {
        if (progress[index] != Progress::kForwardDone) [[unlikely]] {
          if (progress[index] != Progress::kNothingRun) throw_invalid();  // it ran before
          // Without its own F it waits for good: that F is later in this program.
          wait(input_key(index, true));
          return false;
        }
        if (backward_time[index] == kNotYet) {
          wait(input_key(index, true));
          return false;
        }
        return true;
      };
      switch (op.kind) {
        case OpKind::Forward:
          if (progress[index] != Progress::kNothingRun) throw_invalid();
          if (forward_time[index] == kNotYet) return wait(input_key(index, false));
          run_op<kMemory, kTimeline, kStreamed, kOverrides, OpKind::Forward>(op, stage, index,
                                                      std::max(free_ms, forward_time[index]),
                                                      device, free_ms, replay);
          break;
        case OpKind::Backward:
          if (!input_gradient_ready()) return;
          run_op<kMemory, kTimeline, kStreamed, kOverrides, OpKind::Backward>(op, stage, index,
                                                       std::max(free_ms, backward_time[index]),
                                                       device, free_ms, replay);
          break;
        case OpKind::BackwardInput:
          if (!input_gradient_ready()) return;
          run_op<kMemory, kTimeline, kStreamed, kOverrides, OpKind::BackwardInput>(
              op, stage, index, std::max(free_ms, backward_time[index]), device, free_ms, replay);
          break;
        case OpKind::BackwardWeight:
          if (progress[index] == Progress::kComplete) throw_invalid();
          // Its I is later in this program (or nowhere): nothing can wake it.
          if (progress[index] != Progress::kInputGradientDone) return wait(kNothingAwaited);
          run_op<kMemory, kTimeline, kStreamed, kOverrides, OpKind::BackwardWeight>(op, stage, index, free_ms, device,
                                                             free_ms, replay);
          break;
        default: {  // OptimizerStep
          const double start = step_start(op, stage, free_ms, device);
          if (start == kNotYet) return wait(mirror_key(op));
          run_op<kMemory, kTimeline, kStreamed, kOverrides, OpKind::OptimizerStep>(op, stage, index, start, device,
                                                            free_ms, replay);
          break;
        }
      }
      next = first_to_run(next + 1, end, device, replay);
    }
    state.next = next;
    state.end = end;
    state.free_ms = free_ms;
  }

  // A fault of the schedule's structure met on the way: reported as check_structure
  // (common/validate/placement.hpp) reports the schedule's first one.
  [[noreturn, gnu::cold, gnu::noinline]] void throw_structure_fault() const {
    if (stream_ != nullptr) throw_broken_stream();
    check_structure(*schedule_).throw_if_failed();
    throw Error("the simulator met an op that check_structure accepts as misplaced");
  }

  // An op that runs twice, or a run that stops with ops left, comes only from a schedule
  // that breaks a rule check_structure does not check (a duplicate or missing op, a
  // deadlock): the validator names it, in the format `pipewise validate` prints.
  // With a window, a slot was still in use when a later micro-batch needed it
  // (WindowTooSmall); a stream's schedule is valid (its promise).
  [[noreturn, gnu::cold, gnu::noinline]] void throw_invalid() const {
    if (stream_ != nullptr) {
      if (window_mask_ + 1 < std::uint64_t{problem_.iterations} * problem_.microbatches) {
        throw WindowTooSmall{};
      }
      throw_broken_stream();
    }
    const ValidationReport report = validate_schedule(*schedule_);
    if (!report.ok()) throw Error(format_issue(report.issues.front()));
    throw Error("the simulation stopped with ops left in a schedule the validator accepts");
  }

  // A streamed schedule broke a promise of ScheduleStream: a fault of its generator.
  [[noreturn, gnu::cold, gnu::noinline]] void throw_broken_stream() const {
    throw Error("the streamed schedule " + name_ + " (" + problem_sizes(problem_) +
                ") is not one the simulator can run: generate it whole and validate it "
                "(pipewise validate)");
  }

  SimulationResult finish() {
    for (std::uint32_t d = 0; d < problem_.devices; ++d) {
      DeviceStats& stats = result_.devices[d];
      // Every op ran once: the program's ops less those skipped.
      stats.compute_ops =
          (stream_ != nullptr ? state_[d].streamed_ops : schedule_->programs[d].size()) -
          state_[d].skipped_ops;
      stats.path_ops = stats.compute_ops - state_[d].off_path_ops;
      stats.finish_ms = stats.compute_ops > 0 ? state_[d].free_ms : 0.0;
      stats.peak_bytes = stats.static_bytes + stats.peak_activation_bytes;
      result_.makespan_ms = std::max(result_.makespan_ms, stats.finish_ms);
    }
    if (problem_.iterations == 1) result_.iteration_end_ms[0] = result_.makespan_ms;
    if (options_.record_timeline) {
      for (const ActivationLifetime& lifetime : lifetimes_) {
        if (lifetime.allocated_ms >= 0) timeline_.activations.push_back(lifetime);
      }
      result_.timeline = std::move(timeline_);
    }
    return std::move(result_);
  }

  const Schedule* const schedule_;  // the whole schedule, or
  ScheduleStream* const stream_;    // the streamed one
  const Problem& problem_;
  const std::string name_;
  const CostModel& costs_;
  const SimulationOptions& options_;
  const std::uint32_t stages_;
  const bool blocking_;
  const double latency_ms_;
  const double activation_occupancy_ms_;
  const double gradient_occupancy_ms_;
  const bool overrides_;
  bool prices_stashing_ = false;  // some stage's stashing step costs other than its step
  const bool several_iterations_;
  const bool bidirectional_;
  const std::uint64_t window_mask_;   // Window::mask
  const std::uint64_t stage_stride_;  // slots of one stage: Window::microbatches

  // Per (stage, iteration, micro-batch) slot, stage-major (see slot()).
  std::vector<double> forward_time_;   // before F: its input's arrival; after: F's end
  std::vector<double> backward_time_;  // before B/I: its gradient's arrival; after: its end
  std::vector<Progress> progress_;
  std::vector<ActivationLifetime> lifetimes_;  // only when recording the timeline
  std::vector<Op> stream_buffers_;  // streamed: buffer_ops_ per device
  std::size_t buffer_ops_ = 0;
  std::uint64_t streamed_ops_ = 0;                   // read from the stream, all devices
  std::uint64_t next_progress_ = kStreamProgressOps;  // on_stream_progress's next call

  std::vector<StageInfo> stage_info_;
  std::vector<Link> links_;
  std::vector<LastGradient> last_gradient_;  // per stage
  std::vector<NewestVersionReaders> newest_readers_;  // per stage, when prices_stashing_
  std::vector<GradientProgress> gradient_progress_;  // bidirectional: per (stage, iteration)
  std::uint64_t mirror_key_base_ = 0;  // wait keys of mirror gradients start here
  std::vector<DeviceState> state_;
  std::vector<std::uint32_t> worklist_;
  std::uint32_t worklist_size_ = 0;
  SimulationResult result_;
  Timeline timeline_;
};

}  // namespace

SimulationResult simulate(const Schedule& schedule, const CostModel& costs,
                          const SimulationOptions& options) {
  const std::uint64_t slots_per_stage =
      std::uint64_t{schedule.problem.iterations} * schedule.problem.microbatches;
  try {
    return Engine(&schedule, nullptr, Window{.microbatches = slots_per_stage}, costs, options)
        .run();
  } catch (const Error&) {
    // The engine checks each op as it runs it, so it can meet another fault before a
    // structural one it has not reached: the structural one is reported, as if checked first.
    if (!options.structure_checked) check_structure(schedule).throw_if_failed();
    throw;
  } catch (const std::bad_alloc&) {
    if (!options.structure_checked) check_structure(schedule).throw_if_failed();
    throw Error("not enough memory to simulate " + std::to_string(schedule.op_count()) + " ops" +
                (options.record_timeline ? " with their timeline recorded" : ""));
  }
}

SimulationResult simulate(ScheduleStream& stream, const CostModel& costs,
                          const SimulationOptions& options) {
  if (options.record_timeline) {
    throw Error("a streamed schedule has no timeline: simulate the whole schedule to record one");
  }
  const Problem& problem = stream.problem();
  const std::uint64_t every_slot = std::uint64_t{problem.iterations} * problem.microbatches;
  // A power of two: at least the micro-batches the stream says are in flight (and
  // kSmallestWindow), at most the first to hold every micro-batch.
  const std::uint64_t wanted =
      std::min(std::max(stream.microbatches_in_flight(), kSmallestWindow), every_slot);
  std::uint64_t window = 1;
  while (window < wanted) window *= 2;
  for (;;) {
    stream.rewind();
    try {
      return Engine(nullptr, &stream,
                    Window{.microbatches = window + kWindowPadding, .mask = window - 1}, costs,
                    options)
          .run();
    } catch (const WindowTooSmall&) {
      window *= 2;  // at most log2(n·m) times: a window of every slot is never too small
    } catch (const std::bad_alloc&) {
      throw Error("not enough memory to simulate the streamed schedule " + stream.name() + " (" +
                  problem_sizes(problem) + ")");
    }
  }
}

}  // namespace pipewise::sim
