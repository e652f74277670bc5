#pragma once
// A timeline as a character grid for the terminal.
#include <cstdint>
#include <string>

#include "common/timeline/timeline.hpp"

namespace pipewise {

// One line per device: "d0 |F0 F1 F2 B0 ...|", each column a fixed slice of time. An op
// fills its columns with its kind letter (F, B, I, W, S) followed by its micro-batch
// number when they fit, then spaces (ops of zero duration are not drawn); idle columns are
// '.'. A column is a whole fraction (1/4 at best) of the shortest op when that fits in
// `max_columns`, so uniform-cost grids line up; a last line says how many ms a column is.
std::string ascii_timeline(const Timeline& timeline, std::uint32_t max_columns = 160);

}  // namespace pipewise
