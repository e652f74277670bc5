#pragma once
// Chrome trace event JSON (opens in Perfetto and chrome://tracing).
#include <cstdint>
#include <string>
#include <vector>

#include "common/timeline/timeline.hpp"

namespace pipewise {

// One trace holding every timeline as its own process (named after Timeline::name, so a
// measured and a predicted run sit one above the other). Per process: one track per
// device with its ops as complete events ("ph":"X", named like "F3 s1" = forward of
// micro-batch 3 on stage 1, coloured by kind with "cname", args stage / microbatch /
// iteration / chunk); one track per link ("link 0->1") with its messages; a flow arrow
// ("ph":"s" then "ph":"f") from each message's producer op to its consumer op (or to the
// message, when the consumer is not in the timeline); and two counter tracks per device
// ("ph":"C"): memory in MiB and live micro-batch activations. Timestamps are in µs.
std::string chrome_trace_json(const std::vector<Timeline>& timelines);

// The most memory writing the trace takes per op of its timelines, its document tree and
// its text together: measured at 6.4 KiB per op (1f1b p=8 m=20000, peak RSS), rounded up.
// Callers refuse, before simulating, a trace that cannot fit (sim/memory_estimate.hpp).
inline constexpr std::uint64_t kChromeTraceBytesPerOp = 8 * 1024;

}  // namespace pipewise
