#pragma once
// SVG timeline in the style of the pipeline papers' diagrams.
#include <cstdint>
#include <string>
#include <vector>

#include "common/svg/svg_document.hpp"
#include "common/timeline/timeline.hpp"

namespace pipewise {

struct SvgOptions {
  double width_px = 1200;  // whole picture; the time axis gets what the labels leave
  std::string title;       // drawn on top when not empty
};

// A standalone SVG document. Each timeline (e.g. "predicted" and "measured") gets a
// section, one above the other, on one shared time scale: its name; a row per device with
// its ops as blocks coloured by kind (F blue, B green, I orange, W purple, optimizer step
// grey; later chunks of interleaved schedules paler) labelled with the micro-batch number
// when the label fits inside the block (dropped otherwise); idle time as gaps; a time
// axis in ms; and, when the timeline has memory samples, a chart of each device's memory
// over time below it. A legend of the kinds present closes the picture.
std::string timeline_svg(const std::vector<Timeline>& timelines, const SvgOptions& options = {});

// The most memory drawing the SVG takes per op, its elements and its text together:
// measured at about 0.5 KiB per op beside the timeline (1f1b p=8 m=20000), rounded up.
inline constexpr std::uint64_t kSvgTimelineBytesPerOp = 1024;

// The drawing timeline_svg renders, and its size, for pictures that place it inside theirs.
struct TimelineDrawing {
  SvgDocument svg;
  double width = 0;
  double height = 0;
};
TimelineDrawing timeline_drawing(const std::vector<Timeline>& timelines,
                                 const SvgOptions& options = {});

}  // namespace pipewise
