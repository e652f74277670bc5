#pragma once
#include <cstdint>
#include <string>

#include "common/ir/error.hpp"
#include "common/ir/schedule.hpp"
#include "exec/core/memory_account.hpp"
#include "exec/core/run_options.hpp"

namespace pipewise::exec {

// Thrown by a backend's blocking calls (recv) after cancel(): the run is being stopped
// because another worker failed. The executor reports that worker's error, not this one.
class RunCancelled : public Error {
 public:
  RunCancelled() : Error("run cancelled after a failure on another device") {}
};

// The seam between the backend-neutral executor core and a machine. The core runs each
// device's program on its own thread and calls these methods from that device's thread
// only (except prepare, finish, memory, now_ns and cancel, as stated), so a backend keeps
// per-device state without locks. Ops reach the backend with their stage, micro-batch, iteration and
// weight version; where the data lives is the backend's business.
class Backend {
 public:
  virtual ~Backend() = default;

  // Before any worker starts, on the calling thread: allocates what running `schedule`
  // needs (parameters of every stage on its device, buffers, the transport) and starts a
  // new memory measurement. Throws pipewise::Error when the backend cannot run it (e.g.
  // its model has a different number of stages).
  virtual void prepare(const Schedule& schedule, const RunOptions& options) = 0;
  // On `device`'s worker thread, before its first op (e.g. pin the thread to a core).
  virtual void start_worker(std::uint32_t device) = 0;

  // F: forward of op.stage on its micro-batch with weight version op.weight_version.
  virtual void forward(std::uint32_t device, const Op& op) = 0;
  // I: gradient w.r.t. the stage input (and the pre-activation gradients W needs).
  virtual void backward_input(std::uint32_t device, const Op& op) = 0;
  // W: gradient w.r.t. the stage parameters, added to the stage's accumulator; frees the
  // micro-batch's activations. A full backward B is backward_input then backward_weight.
  virtual void backward_weight(std::uint32_t device, const Op& op) = 0;
  // Applies the stage's accumulated gradient, averaged over the micro-batches accumulated
  // since its previous step, to version op.weight_version, making version + 1. With
  // `keep_previous` the old version stays held (a later op still reads it); otherwise it is
  // updated in place.
  virtual void optimizer_step(std::uint32_t device, const Op& op, bool keep_previous) = 0;
  // Frees version `version` of `stage`: no later op reads it.
  virtual void release_weights(std::uint32_t device, std::uint32_t stage,
                               std::uint32_t version) = 0;

  // SendActivation / SendGrad: hands the op's buffer to the transport for `peer_device`.
  virtual void send(std::uint32_t device, const Op& op, std::uint32_t peer_device) = 0;
  // RecvActivation / RecvGrad: blocks until the matching message from `peer_device`
  // arrives; throws pipewise::Error when it does not within the run's receive_timeout,
  // and RunCancelled once cancel() was called.
  virtual void recv(std::uint32_t device, const Op& op, std::uint32_t peer_device) = 0;
  // Any thread, any time during a run: makes every blocked and future recv throw
  // RunCancelled.
  virtual void cancel() noexcept = 0;

  // The backend clock in nanoseconds, monotonic and comparable across devices. Any thread.
  virtual std::int64_t now_ns(std::uint32_t device) = 0;
  // After every worker has been joined, whether the run succeeded or not: frees the
  // run's transient buffers. Parameters and optimizer state persist, so another run
  // continues training.
  virtual void finish() = 0;

  // What `device` holds and held at its peak during the last run. Read after the run.
  virtual const MemoryAccount& memory(std::uint32_t device) const = 0;
};

}  // namespace pipewise::exec
