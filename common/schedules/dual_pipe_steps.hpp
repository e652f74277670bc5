#pragma once
// The eight steps of one rank of DualPipe (DeepSeek-AI, "DeepSeek-V3 Technical Report",
// arXiv 2412.19437, §3.2.1; deepseek-ai/DualPipe, dualpipe.py DualPipe.step), shared by
// dualpipe (two model copies fed from both ends) and dualpipe-v (the same steps on a
// V-shape, dualpipev.py). A rank runs two stages: `shallow`, the one in the direction where
// it is near the start of its pipeline, and `deep`, the other. With H ranks per direction,
// the rank's depth h (0 = the end rank) and M micro-batches per direction:
//   1  2(H-h-1) x F(shallow)
//   2  (h+1)    x F(shallow); F(deep)
//   3  (H-h-1)  x I(deep), W (the oldest deferred), F(deep)
//   4  (M-2H+h+1) x [F(shallow) & B(deep)] [F(deep) & B(shallow)], each pair overlapped
//                 (on the innermost rank, h = H-1, the first pair runs as F then B)
//   5  (H-h-1)  x B(deep); [F(deep) & B(shallow)]
//   6  (h+1)    x B(deep); B(shallow) -- from iteration (h+1)/2 on these are I's whose W is
//                 deferred (for odd h from that iteration's first backward, for even h
//                 from its second)
//   7  (H-h-1)  x W; I(shallow)
//   8  (h+1)    x W
// "&" is an overlapped pair: an F marked to run together with the B after it (op.hpp).
// Deferred W's run first-in first-out (DualPipe's WeightGradStore).
#include <cstdint>
#include <vector>

#include "common/ir/op.hpp"

namespace pipewise {

struct DualPipeRank {
  std::uint32_t ranks_per_direction = 1;  // H
  std::uint32_t depth = 0;                // h, 0 <= h < H
  std::uint32_t microbatches = 1;         // M per direction; REQUIRES M >= 2H - h - 1
  std::uint32_t shallow_stage = 0;
  std::uint32_t deep_stage = 0;
  std::uint32_t shallow_first_microbatch = 0;  // micro-batches of the shallow stage start here
  std::uint32_t deep_first_microbatch = 0;
};

// Appends the rank's ops of iteration `iteration` to `program`.
void append_dual_pipe_steps(const DualPipeRank& rank, std::uint32_t iteration,
                            std::vector<Op>& program);

}  // namespace pipewise
