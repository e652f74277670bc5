#pragma once
#include "common/ir/schedule.hpp"

namespace pipewise {

// Lowering pass: returns `schedule` with explicit communication. Wherever a compute op's
// cross-stage producer (dependencies.hpp) runs on another device, a Send is placed right
// after the producer on its device and the matching Recv right before the consumer on
// the consumer's device (the order PyTorch pipelining's lowering uses). Same-device stage
// boundaries get no ops. An overlapped pair (op.hpp) is kept together: the receives of
// both its ops come before its F, the sends of both after its B. Steps and FSDP ops pass
// through. A schedule that is already lowered (is_lowered(): it carries its own sends and
// receives, as a lowered schedule file does) is returned as it is, so lowering twice never
// adds a second message for the same micro-batch.
Schedule lower_communication(const Schedule& schedule);

}  // namespace pipewise
