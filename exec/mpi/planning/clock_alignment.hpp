#pragma once
#include <cstdint>
#include <span>

namespace pipewise::exec::mpi {

// One exchange of clock readings between the reference rank (rank 0) and another rank: the
// reference clock when the ping left and when the answer came back, and the other rank's
// clock when it answered. Nanoseconds, each on its own clock.
struct ClockSample {
  std::int64_t sent_ns = 0;
  std::int64_t remote_ns = 0;
  std::int64_t received_ns = 0;
};

// The other clock minus the reference clock around one moment.
struct ClockOffset {
  double at_ns = 0.0;           // the moment, on the reference clock
  double offset_ns = 0.0;       // other − reference
  double uncertainty_ns = 0.0;  // half the round trip it was read over: the true offset lies within
};

// The offset from the sample of smallest round trip, as NTP picks it (the least delayed by
// queuing and scheduling): remote − (sent + received) / 2, within half that round trip, at
// (sent + received) / 2. REQUIRES: !samples.empty(), sent_ns ≤ received_ns in each.
ClockOffset estimate_offset(std::span<const ClockSample> samples);

// Another rank's clock readings mapped onto the reference clock, from its offsets estimated
// at the start and the end of a run: between (and beyond) them the offset changes linearly,
// the drift of one oscillator against the other. On one machine both read the same
// CLOCK_MONOTONIC and the mapping is the identity up to the estimates' uncertainty.
struct ClockMapping {
  double offset_ns = 0.0;  // at reference time at_ns
  double at_ns = 0.0;
  double drift = 0.0;      // ns of offset gained per ns of reference time

  // The reference clock's reading at the moment the other clock read `remote_ns`.
  std::int64_t to_reference(std::int64_t remote_ns) const;
};

// The mapping through `start` and `end`; without drift (offset `start`'s) when they were read
// at the same moment.
ClockMapping clock_mapping(const ClockOffset& start, const ClockOffset& end);

}  // namespace pipewise::exec::mpi
