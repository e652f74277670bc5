#include "exec/core/step_timeline.hpp"

#include <utility>

#include "exec/core/measured_timeline.hpp"
#include "exec/core/timing_recorder.hpp"

namespace pipewise::exec {

Timeline step_timeline(const TimingRecorder& step, std::string name) {
  const double offset_ms = static_cast<double>(step_start_ns(step.intervals())) / 1e6;
  Timeline timeline = measured_timeline(step, std::move(name));
  for (OpSpan& span : timeline.ops) {
    span.start_ms -= offset_ms;
    span.end_ms -= offset_ms;
  }
  for (MessageSpan& message : timeline.messages) {
    message.start_ms -= offset_ms;
    message.end_ms -= offset_ms;
  }
  for (auto& samples : timeline.memory) {
    for (MemorySample& sample : samples) sample.time_ms -= offset_ms;
  }
  return timeline;
}

}  // namespace pipewise::exec
