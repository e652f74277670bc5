#include "exec/core/measured_timeline.hpp"

#include <unordered_map>
#include <utility>

#include "common/ir/dependencies.hpp"

namespace pipewise::exec {
namespace {

constexpr double kNanosecondsPerMs = 1e6;

double to_ms(std::int64_t ns) { return static_cast<double>(ns) / kNanosecondsPerMs; }

// Identifies a message by direction, sending stage and micro-batch.
std::uint64_t message_key(bool gradient, std::uint32_t from_stage, const Op& op,
                          const Problem& problem) {
  const std::uint64_t microbatch = std::uint64_t{op.iteration} * problem.microbatches + op.microbatch;
  return ((microbatch * problem.stages() + from_stage) << 1) | (gradient ? 1u : 0u);
}

// The compute op that produced what send op `index` of `program` carries: the F before a
// SendActivation, the B or I before a SendGrad.
Op producer_of(const std::vector<Op>& program, std::size_t index) {
  const Op& send = program[index];
  for (std::size_t i = index; i-- > 0;) {
    const Op& op = program[i];
    if (op.stage != send.stage || op.microbatch != send.microbatch || op.iteration != send.iteration) {
      continue;
    }
    if (send.kind == OpKind::SendActivation ? op.kind == OpKind::Forward
                                            : produces_input_grad(op.kind)) {
      return op;
    }
  }
  // Not reached for a send that ran: the backend refuses to send what no op produced.
  Op fallback = send;
  fallback.kind = send.kind == OpKind::SendActivation ? OpKind::Forward : OpKind::Backward;
  return fallback;
}

}  // namespace

Timeline measured_timeline(const TimingRecorder& timing, std::string name) {
  const Schedule& schedule = timing.schedule();
  const Problem& problem = schedule.problem;
  const auto& intervals = timing.intervals();
  Timeline timeline;
  timeline.name = std::move(name);
  timeline.problem = problem;

  struct Receive {
    std::uint32_t device;
    std::size_t index;
  };
  std::unordered_map<std::uint64_t, Receive> receives;
  for (std::uint32_t d = 0; d < schedule.programs.size(); ++d) {
    const auto& program = schedule.programs[d];
    for (std::size_t i = 0; i < program.size(); ++i) {
      const Op& op = program[i];
      if (!intervals[d][i].ran()) continue;
      timeline.ops.push_back({to_ms(intervals[d][i].start_ns), to_ms(intervals[d][i].end_ns), op, d});
      if (is_recv(op.kind)) {
        receives[message_key(op.kind == OpKind::RecvGrad, peer_stage(op), op, problem)] = {d, i};
      }
    }
  }
  for (std::uint32_t d = 0; d < schedule.programs.size(); ++d) {
    const auto& program = schedule.programs[d];
    for (std::size_t i = 0; i < program.size(); ++i) {
      const Op& op = program[i];
      if (!is_send(op.kind) || !intervals[d][i].ran()) continue;
      const auto found = receives.find(message_key(op.kind == OpKind::SendGrad, op.stage, op, problem));
      if (found == receives.end()) continue;
      const Receive& receive = found->second;
      timeline.messages.push_back({to_ms(intervals[d][i].start_ns),
                                   to_ms(intervals[receive.device][receive.index].end_ns), d,
                                   receive.device, producer_of(program, i)});
    }
  }
  const auto& memory = timing.memory_after_op();
  timeline.memory.resize(memory.size());
  for (std::uint32_t d = 0; d < memory.size(); ++d) {
    for (std::size_t i = 0; i < memory[d].size(); ++i) {
      if (!intervals[d][i].ran()) continue;
      timeline.memory[d].push_back(
          {to_ms(intervals[d][i].end_ns), memory[d][i].bytes, memory[d][i].live_activations});
    }
  }
  return timeline;
}

}  // namespace pipewise::exec
