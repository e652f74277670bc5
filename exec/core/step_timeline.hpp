#pragma once
#include <string>

#include "exec/core/timing_recorder.hpp"
#include "common/timeline/timeline.hpp"

namespace pipewise::exec {

// The measured timeline of one recorded step (measured_timeline.hpp), with its times counted
// from the start of the step's first op, as the simulator counts its predicted ones, so the
// two line up in a trace or an SVG. Throws pipewise::Error when no op of the step ran.
Timeline step_timeline(const TimingRecorder& step, std::string name = "measured");

}  // namespace pipewise::exec
