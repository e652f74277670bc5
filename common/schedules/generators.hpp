#pragma once
#include "common/ir/schedule.hpp"

// The generators behind the registry (registry.hpp), one per file. Each emits compute and
// OptimizerStep ops only and assigns weight versions. The registry checks a problem before
// it generates (Problem::validity, v = 1 for schedules without chunks, then the rules
// below), so every generator REQUIRES a problem that passed those checks.

namespace pipewise {

// naive: micro-batches one at a time; device d runs F(d, j), B(d, j) for j = 0..m-1, then
// steps. REQUIRES v = 1.
Schedule generate_naive(const Problem& problem);

// gpipe: F(d, 0..m-1), then B(d, 0..m-1), then steps. REQUIRES v = 1.
Schedule generate_gpipe(const Problem& problem);

// 1f1b (PipeDream-Flush): min(p-d-1, m) warm-up forwards, F/B pairs, cool-down backwards,
// then steps. REQUIRES v = 1.
Schedule generate_one_f_one_b(const Problem& problem);

// interleaved: Megatron-LM's interleaved 1F1B over v looped chunks per device. With v = 1
// it is exactly 1f1b.
Schedule generate_interleaved(const Problem& problem);
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

}  // namespace pipewise
