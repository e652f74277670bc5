#include "common/ir/dependencies.hpp"

namespace pipewise {

std::optional<Op> cross_stage_producer(const Op& op, const Problem& problem) {
  Op producer = op;
  switch (op.kind) {
    case OpKind::Forward:
      if (problem.starts_pipeline(op.stage)) return std::nullopt;
      producer.stage = static_cast<std::uint16_t>(op.stage - 1);
      return producer;
    case OpKind::Backward:
    case OpKind::BackwardInput:
      if (problem.ends_pipeline(op.stage)) return std::nullopt;
      producer.kind = OpKind::Backward;
      producer.stage = static_cast<std::uint16_t>(op.stage + 1);
      return producer;
    default:
      return std::nullopt;
  }
}

std::optional<Op> same_stage_producer(const Op& op) {
  Op producer = op;
  switch (op.kind) {
    case OpKind::Backward:
    case OpKind::BackwardInput:
      producer.kind = OpKind::Forward;
      return producer;
    case OpKind::BackwardWeight:
      producer.kind = OpKind::BackwardInput;
      return producer;
    default:
      return std::nullopt;
  }
}

std::uint32_t peer_stage(const Op& op) {
  switch (op.kind) {
    case OpKind::SendActivation:
    case OpKind::RecvGrad:
      return op.stage + 1u;
    default:
      return op.stage - 1u;
  }
}

bool has_peer_stage(const Op& op, const Problem& problem) {
  switch (op.kind) {
    case OpKind::SendActivation:
    case OpKind::RecvGrad:
      return !problem.ends_pipeline(op.stage);
    default:
      return !problem.starts_pipeline(op.stage);
  }
}

}  // namespace pipewise
