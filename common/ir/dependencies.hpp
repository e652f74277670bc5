#pragma once
#include <cstdint>
#include <optional>

#include "common/ir/op.hpp"
#include "common/ir/problem.hpp"

namespace pipewise {

// The compute op of another stage whose result `op` consumes, if any:
//   F(s, j)    <- F(s-1, j)      (none where a pipeline starts: Problem::starts_pipeline)
//   B/I(s, j)  <- B/I(s+1, j)    (none where the loss is computed: Problem::ends_pipeline)
// For the gradient producer the returned kind is Backward and means "the B or the I of
// (s+1, j), whichever the schedule has": both produce the input gradient.
// Communication ops, W and OptimizerStep have no cross-stage producer.
std::optional<Op> cross_stage_producer(const Op& op, const Problem& problem);

// The compute op of the same stage that `op` needs: F(s, j) for B/I(s, j), I(s, j) for
// W(s, j); nothing for anything else. Iteration and weight version are copied from `op`.
std::optional<Op> same_stage_producer(const Op& op);

// For a communication op, the stage on the other end: s+1 for SendActivation / RecvGrad,
// s-1 for SendGrad / RecvActivation.
std::uint32_t peer_stage(const Op& op);

// True when communication op `op` has a stage on the other end in `problem`: a send or
// recv of an activation or gradient that crosses a stage boundary inside one pipeline (not
// past either end, and with bidirectional placement not between the two copies).
// REQUIRES: is_communication(op.kind), op.stage < problem.stages().
bool has_peer_stage(const Op& op, const Problem& problem);

}  // namespace pipewise
