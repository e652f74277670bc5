#pragma once
#include "common/ir/schedule.hpp"

namespace pipewise::exec::cuda {

// Lowered `schedule` made runnable with one GPU per pipeline device and every message an
// NCCL call (a multi-process CUDA run): where a rank's NCCL group would wait forever on a
// receive its peer posts only after a group of its own that waits on this rank (the
// interleaved schedule's gradients), that receive moves earlier in its program, into the
// group the peer is blocked in, as Megatron-LM posts the receives of its next step in the
// same batched group as the sends of this one. A receive moves only when its send is
// already posted, so it never waits there on work behind it; every pair of devices keeps
// the order of its messages, compute ops keep theirs, and the simulator's prediction is
// unchanged (it skips send and receive ops). Returns `schedule` itself when its groups
// already complete (1F1B, GPipe). Throws pipewise::Error naming the ops of a wait that no
// moved receive resolves, or plan_transfers's errors for messages NCCL cannot pair.
Schedule post_receives_ahead(const Schedule& schedule);

}  // namespace pipewise::exec::cuda
