#pragma once
#include <string_view>

#include <memory>

#include "common/ir/schedule.hpp"
#include "common/ir/schedule_stream.hpp"

// The generators behind the registry (registry.hpp), one per file. Each emits compute and
// OptimizerStep ops only and assigns weight versions. The registry checks a problem before
// it generates (Problem::validity, v = 1 for schedules without chunks, then the rules
// below), so every generator REQUIRES a problem that passed those checks.

namespace pipewise {

// naive: micro-batches one at a time; device d runs F(d, j), B(d, j) for j = 0..m-1, then
// steps. REQUIRES v = 1.
Schedule generate_naive(const Problem& problem);
std::unique_ptr<ScheduleStream> stream_naive(const Problem& problem);

// gpipe: F(d, 0..m-1), then B(d, 0..m-1), then steps. REQUIRES v = 1.
Schedule generate_gpipe(const Problem& problem);
std::unique_ptr<ScheduleStream> stream_gpipe(const Problem& problem);

// 1f1b (PipeDream-Flush): min(p-d-1, m) warm-up forwards, F/B pairs, cool-down backwards,
// then steps. REQUIRES v = 1.
Schedule generate_one_f_one_b(const Problem& problem);
std::unique_ptr<ScheduleStream> stream_one_f_one_b(const Problem& problem);

// interleaved: Megatron-LM's interleaved 1F1B over v looped chunks per device. With v = 1
// it is exactly 1f1b.
Schedule generate_interleaved(const Problem& problem);
std::unique_ptr<ScheduleStream> stream_interleaved(const Problem& problem);
// Its rules: looped placement, and m >= p when v > 1.
Status interleaved_rules(const Problem& problem);

// pipedream: 1F1B over the n*m micro-batch stream with no flush and a step after every
// backward; stage s holds p - s weight versions. REQUIRES v = 1.
Schedule generate_pipedream(const Problem& problem);

// pipedream-2bw: 1F1B over the n*m micro-batch stream with no flush and a step after the
// m-th backward of each iteration; at most 2 weight versions per stage. REQUIRES v = 1.
Schedule generate_pipedream_2bw(const Problem& problem);
// Its rule: m >= p.
Status pipedream_2bw_rules(const Problem& problem);

// The zero-bubble family: split backward (I and W) and, for the V-shape ones, two chunks
// per device. Each file cites its source and states the closed forms.

// zb-h1: 1F1B's skeleton with W's delayed d micro-batches on device d. REQUIRES v = 1.
Schedule generate_zb_h1(const Problem& problem);

// zb-h2: 2(p-d-1)+1 warm-up forwards, at most 2p-1 stashes. REQUIRES v = 1.
Schedule generate_zb_h2(const Problem& problem);

// interleaved-zb: PyTorch's ScheduleInterleavedZeroBubble over v looped chunks.
Schedule generate_interleaved_zb(const Problem& problem);
// Its rules: looped placement, m a multiple of max(1, m / p).
Status interleaved_zb_rules(const Problem& problem);

// looped-bfs: breadth-first over v looped chunks, as PyTorch's ScheduleLoopedBFS.
Schedule generate_looped_bfs(const Problem& problem);
// Its rule: looped placement.
Status looped_bfs_rules(const Problem& problem);

// "`name` ... placement must be v-shape" unless `problem` has V-shape placement.
Status v_shape_rules(std::string_view name, const Problem& problem);

// zbv: ZB-V on V-shape placement. REQUIRES v = 2.
Schedule generate_zbv(const Problem& problem);
Status zbv_rules(const Problem& problem);

// v-half and v-min: the controllable-memory V schedules. REQUIRES v = 2.
Schedule generate_v_half(const Problem& problem);
Status v_half_rules(const Problem& problem);
Schedule generate_v_min(const Problem& problem);
Status v_min_rules(const Problem& problem);

// dualpipe: DeepSeek's bidirectional schedule with overlapped F&B pairs. REQUIRES v = 2.
Schedule generate_dualpipe(const Problem& problem);
// Its rules: bidirectional placement, p even, m >= 2p.
Status dualpipe_rules(const Problem& problem);

// dualpipe-v: DualPipe on a V-shape. REQUIRES v = 2.
Schedule generate_dualpipe_v(const Problem& problem);
// Its rules: V-shape placement, m >= 2p.
Status dualpipe_v_rules(const Problem& problem);

}  // namespace pipewise
