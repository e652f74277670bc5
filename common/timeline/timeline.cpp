#include "common/timeline/timeline.hpp"

#include <algorithm>

namespace pipewise {

double Timeline::end_ms() const {
  double end = 0.0;
  for (const OpSpan& span : ops) end = std::max(end, span.end_ms);
  for (const MessageSpan& message : messages) end = std::max(end, message.end_ms);
  return end;
}

}  // namespace pipewise
