#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "exec/core/timing_recorder.hpp"

namespace pipewise::exec::cuda {

// One backend call timed by two CUDA events on its device's stream: the elapsed times
// (cudaEventElapsedTime, milliseconds) from the device's reference event to the events
// recorded before and after the call's work. A full backward B is two calls (I then W) at
// the same program position.
struct EventSpan {
  std::size_t position = 0;  // op index in the device's program
  float start_ms = 0.0f;
  float end_ms = 0.0f;
};

// Everything recorded on one pipeline device during a run.
struct DeviceEventLog {
  // Host clock (ns, the backend's now_ns clock) at which the reference event completed:
  // the midpoint of a host read before recording it on the idle stream and one after it
  // synchronized, so its error is at most half that window.
  std::int64_t reference_host_ns = 0;
  std::size_t program_size = 0;
  std::vector<EventSpan> spans;
};

// Places every timed op on the host clock, relative to `origin_ns` (the run's start, as
// the core's TimingRecorder does): an op at program position i gets [reference + start,
// reference + end) - origin in ns, rounded to the nearest ns; the calls of one position
// merge into one interval from the earliest start to the latest end. Positions with no
// span keep OpInterval's -1 ("never ran"). Returns timeline[d][i] for every device.
// Throws pipewise::Error when a span ends before it starts or names a position outside its
// program.
std::vector<std::vector<OpInterval>> event_timeline(const std::vector<DeviceEventLog>& logs,
                                                    std::int64_t origin_ns);

}  // namespace pipewise::exec::cuda
