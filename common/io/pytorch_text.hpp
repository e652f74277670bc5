#pragma once
#include <string>
#include <string_view>

#include "common/ir/schedule.hpp"

namespace pipewise {

// PyTorch pipelining's per-rank action notation: one line per rank, actions separated by
// commas, each `<stage><type><microbatch>` with type F, B, I, W, SEND_F, RECV_F, SEND_B,
// RECV_B (e.g. `0F1` = stage 0 forward of micro-batch 1, `2SEND_F3`), as
// torch.distributed.pipelining prints an `_Action` and as its `_dump_csv`/`_load_csv`
// write and read a schedule (csv.writer: one row per rank). Also, as today's PyTorch
// writes them:
//  - `(0F7;7B3)OVERLAP_F_B`: an overlapped pair, a forward marked kOverlapWithNext and the
//    B or I after it (op.hpp);
//  - `<stage>UNSHARD`, `<stage>RESHARD`: FSDP's gathering and freeing of a stage's
//    parameters (OpKind::Unshard, Reshard; the simulator prices them at zero);
//  - `<stage>REDUCE_GRAD`: the reduction of a stage's gradients after its last backward,
//    read as pipewise's OptimizerStep of that stage (which reduces and applies them).
// pipewise adds a first comment line `# pipewise p=4 v=1 m=8 n=1 placement=looped
// name=1f1b` (the name runs to the end of the line) and the action `<stage>STEP` for an
// optimizer step; multi-iteration micro-batches are numbered i*m + mb. Weight versions are
// not written; the reader derives them (assign_weight_versions), and dates each STEP (or
// REDUCE_GRAD) to the last B or W of its stage before it on its rank line (as the
// generators date steps), so a round trip reproduces any schedule whose versions and step
// dates follow those rules.
// With `pytorch_compatible`, the comment line is omitted and each step becomes a
// REDUCE_GRAD in a lowered schedule (PyTorch's compute-and-comms form) and is left out of
// an unlowered one (PyTorch's compute-only form refuses it and adds its own).
// Throws pipewise::Error for a name with a line break (the header could not hold it), and
// with `pytorch_compatible` for bidirectional placement, which PyTorch cannot express.
std::string schedule_to_pytorch_text(const Schedule& schedule, bool pytorch_compatible = false);

// Reads the form above. Lines may end in "\n" or "\r\n"; spaces around actions and empty
// cells (PyTorch's idle steps, None in its action lists) are skipped. Without the comment
// line the problem is inferred: p = number of rank lines, p·v = largest stage + 1,
// m = largest micro-batch + 1, n = 1, and placement v-shape when v = 2 and every stage
// sits on its v-shape rank but not on its looped one (PyTorch's ZBV schedules), else
// looped. Throws pipewise::Error naming the line and the action that cannot be read
// (`line 3, action 5 "0X1": unknown action type "X"`), or the header field that is wrong.
Schedule schedule_from_pytorch_text(std::string_view text);

}  // namespace pipewise
