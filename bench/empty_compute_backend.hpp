#pragma once
// A backend that computes nothing, for measuring what a run costs besides the model's math:
// the executor core (dispatch, weight-version checks, weight lifetimes, the clock reads
// around each op) and the transport's messages, which carry empty payloads. The transport is
// made for each run by the factory it is given (in one process: InProcessTransport; across
// ranks: exec/mpi's MpiTransport).
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "common/ir/dependencies.hpp"
#include "exec/core/backend.hpp"
#include "exec/cpu/message_transport.hpp"

namespace pipewise::bench {

class EmptyComputeBackend final : public exec::Backend {
 public:
  using TransportFactory = std::function<std::unique_ptr<exec::MessageTransport>(const Schedule&)>;

  explicit EmptyComputeBackend(TransportFactory make_transport)
      : make_transport_(std::move(make_transport)) {}

  void prepare(const Schedule& schedule, const exec::RunOptions& options) override {
    transport_ = make_transport_(schedule);
    memory_.assign(schedule.problem.devices, exec::MemoryAccount{});
    receive_timeout_ = options.receive_timeout;
  }
  void start_worker(std::uint32_t) override {}
  void forward(std::uint32_t, const Op&) override {}
  void backward_input(std::uint32_t, const Op&) override {}
  void backward_weight(std::uint32_t, const Op&) override {}
  void optimizer_step(std::uint32_t, const Op&, bool) override {}
  void release_weights(std::uint32_t, std::uint32_t, std::uint32_t) override {}
  void send(std::uint32_t device, const Op& op, std::uint32_t peer_device) override {
    transport_->send(device, peer_device, tag(op, op.stage), {});
  }
  void recv(std::uint32_t device, const Op& op, std::uint32_t peer_device) override {
    transport_->receive(device, peer_device, tag(op, peer_stage(op)), receive_timeout_);
  }
  void cancel() noexcept override {
    if (transport_) transport_->cancel();
  }
  std::int64_t now_ns(std::uint32_t) override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  void finish() override { transport_.reset(); }
  const exec::MemoryAccount& memory(std::uint32_t device) const override { return memory_[device]; }

 private:
  static exec::MessageTag tag(const Op& op, std::uint32_t from_stage) {
    const bool gradient = op.kind == OpKind::SendGrad || op.kind == OpKind::RecvGrad;
    return {gradient, static_cast<std::uint16_t>(from_stage), op.microbatch, op.iteration};
  }

  TransportFactory make_transport_;
  std::unique_ptr<exec::MessageTransport> transport_;
  std::vector<exec::MemoryAccount> memory_;
  std::chrono::milliseconds receive_timeout_{0};
};

}  // namespace pipewise::bench
