#include "exec/cuda/planning/event_timeline.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "common/ir/error.hpp"

namespace pipewise::exec::cuda {
namespace {

std::int64_t ms_to_ns(float ms) { return std::llround(static_cast<double>(ms) * 1e6); }

}  // namespace

std::vector<std::vector<OpInterval>> event_timeline(const std::vector<DeviceEventLog>& logs,
                                                    std::int64_t origin_ns) {
  std::vector<std::vector<OpInterval>> timeline(logs.size());
  for (std::size_t d = 0; d < logs.size(); ++d) {
    const DeviceEventLog& log = logs[d];
    timeline[d].assign(log.program_size, OpInterval{});
    const std::int64_t base = log.reference_host_ns - origin_ns;
    for (const EventSpan& span : log.spans) {
      if (span.position >= log.program_size) {
        throw Error("device " + std::to_string(d) + " timed op #" + std::to_string(span.position) +
                    " but its program has " + std::to_string(log.program_size) + " ops");
      }
      if (span.end_ms < span.start_ms) {
        throw Error("device " + std::to_string(d) + " op #" + std::to_string(span.position) +
                    " ends " + std::to_string(span.start_ms - span.end_ms) +
                    " ms before it starts");
      }
      const std::int64_t start = base + ms_to_ns(span.start_ms);
      const std::int64_t end = base + ms_to_ns(span.end_ms);
      OpInterval& interval = timeline[d][span.position];
      if (!interval.ran()) {
        interval = {start, end};
      } else {
        interval.start_ns = std::min(interval.start_ns, start);
        interval.end_ns = std::max(interval.end_ns, end);
      }
    }
  }
  return timeline;
}

}  // namespace pipewise::exec::cuda
