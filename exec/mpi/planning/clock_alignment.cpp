#include "exec/mpi/planning/clock_alignment.hpp"

#include <cmath>

namespace pipewise::exec::mpi {

ClockOffset estimate_offset(std::span<const ClockSample> samples) {
  const ClockSample* best = &samples.front();
  for (const ClockSample& sample : samples) {
    if (sample.received_ns - sample.sent_ns < best->received_ns - best->sent_ns) best = &sample;
  }
  const double middle = (static_cast<double>(best->sent_ns) + static_cast<double>(best->received_ns)) / 2;
  return {middle, static_cast<double>(best->remote_ns) - middle,
          static_cast<double>(best->received_ns - best->sent_ns) / 2};
}

std::int64_t ClockMapping::to_reference(std::int64_t remote_ns) const {
  // remote = reference + offset_ns + drift · (reference − at_ns), solved for reference.
  const double reference =
      (static_cast<double>(remote_ns) - offset_ns + drift * at_ns) / (1.0 + drift);
  return static_cast<std::int64_t>(std::llround(reference));
}

ClockMapping clock_mapping(const ClockOffset& start, const ClockOffset& end) {
  const double span = end.at_ns - start.at_ns;
  const double drift = span > 0 ? (end.offset_ns - start.offset_ns) / span : 0.0;
  return {start.offset_ns, start.at_ns, drift};
}

}  // namespace pipewise::exec::mpi
