#pragma once
#include <string>

#include "exec/core/timing_recorder.hpp"
#include "common/timeline/timeline.hpp"

namespace pipewise::exec {

// The run a TimingRecorder watched, as a Timeline, so that the simulator's report
// writers (Chrome trace, SVG, ASCII) draw measured runs beside predicted ones. Times are in
// milliseconds from the start of the run. Every op that ran becomes an OpSpan; every
// message whose send and receive both ran becomes a MessageSpan from the start of the send
// to the end of the receive; with memory sampling, each device gets a MemorySample after
// each op. Activation lifetimes are left empty.
Timeline measured_timeline(const TimingRecorder& timing, std::string name = "measured");

}  // namespace pipewise::exec
