#include "common/timeline/svg_timeline.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <set>

#include "common/text/format.hpp"
#include "common/timeline/op_style.hpp"

namespace pipewise {
namespace {

constexpr double kMarginLeft = 84;
constexpr double kMarginRight = 24;
constexpr double kRowHeight = 22;
constexpr double kRowGap = 4;
constexpr double kAxisHeight = 30;
constexpr double kChartHeight = 120;
constexpr double kSectionGap = 18;
constexpr double kLabelFontPx = 10;
constexpr double kDigitWidthPx = 6.2;  // a digit of the label font, generously

const std::array<const char*, 10> kDevicePalette = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2",
                                                    "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                                                    "#9c755f", "#bab0ac"};

std::string num(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", value);
  std::string out = text;
  out.erase(out.find_last_not_of('0') + 1);
  if (out.back() == '.') out.pop_back();
  return out;
}

// Dark text on pale fills, white text on dark ones.
const char* text_colour(const std::string& fill) {
  const auto channel = [&](int i) { return std::stoi(fill.substr(1 + 2 * i, 2), nullptr, 16); };
  const double luminance = 0.299 * channel(0) + 0.587 * channel(1) + 0.114 * channel(2);
  return luminance > 150 ? "#222222" : "#ffffff";
}

// A round step (1, 2 or 5 times a power of ten) giving about `ticks` intervals over `span`.
double nice_step(double span, int ticks) {
  const double raw = span / ticks;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (double factor : {1.0, 2.0, 5.0}) {
    if (factor * magnitude >= raw) return factor * magnitude;
  }
  return 10 * magnitude;
}

std::string device_colour(std::uint32_t device, std::uint32_t devices) {
  if (devices <= kDevicePalette.size()) return kDevicePalette[device];
  // Blue to red through the hues, for many devices.
  const double hue = 220.0 * (1.0 - static_cast<double>(device) / (devices - 1));
  return "hsl(" + num(hue) + ",65%,45%)";
}

class SvgWriter {
 public:
  SvgWriter(const std::vector<Timeline>& timelines, const SvgOptions& options)
      : timelines_(timelines), options_(options) {
    for (const Timeline& timeline : timelines) {
      end_ms_ = std::max(end_ms_, timeline.end_ms());
      for (const auto& samples : timeline.memory) {
        for (const MemorySample& sample : samples) {
          peak_bytes_ = std::max(peak_bytes_, static_cast<double>(sample.bytes));
        }
      }
    }
    if (end_ms_ <= 0) end_ms_ = 1;
    plot_width_ = std::max(100.0, options.width_px - kMarginLeft - kMarginRight);
  }

  TimelineDrawing draw() {
    double y = 8;
    if (!options_.title.empty()) {
      svg_.text(kMarginLeft, y + 16, options_.title, 16, Anchor::Start, "#222222", "bold");
      y += 28;
    }
    for (const Timeline& timeline : timelines_) y = section(timeline, y) + kSectionGap;
    y = legend(y);
    return {std::move(svg_), options_.width_px, y + 8};
  }

 private:
  double x_of(double ms) const { return kMarginLeft + ms / end_ms_ * plot_width_; }

  using Anchor = SvgDocument::Anchor;

  double section(const Timeline& timeline, double y) {
    const Problem& problem = timeline.problem;
    svg_.text(8, y + 14, timeline.name, 13, Anchor::Start, "#222222", "bold");
    y += 22;
    for (std::uint32_t d = 0; d < problem.devices; ++d) {
      const double row_y = y + d * (kRowHeight + kRowGap);
      svg_.text(kMarginLeft - 8, row_y + kRowHeight / 2 + 4, "device " + std::to_string(d), 11,
                Anchor::End, "#333333");
      svg_.rect(kMarginLeft, row_y, plot_width_, kRowHeight, "#f1f1f1");
    }
    for (const OpSpan& span : timeline.ops) {
      kinds_.insert(span.op.kind);
      const std::uint32_t chunk = span.op.stage / std::max(problem.devices, 1u);
      chunks_ = std::max(chunks_, problem.chunks);
      const double row_y = y + span.device * (kRowHeight + kRowGap);
      const double x = x_of(span.start_ms);
      const double width = std::max(0.5, x_of(span.end_ms) - x);
      const std::string fill = chunk_fill(span.op.kind, chunk, problem.chunks);
      svg_.rect(x, row_y, width, kRowHeight, fill, width > 4 ? "#ffffff" : "none", {}, 0.8);
      const std::string label =
          span.op.kind == OpKind::OptimizerStep
              ? "S"
              : std::to_string(global_microbatch(span.op, problem.microbatches));
      if (static_cast<double>(label.size()) * kDigitWidthPx + 4 <= width) {
        svg_.text(x + width / 2, row_y + kRowHeight / 2 + 3.5, label, kLabelFontPx,
                  Anchor::Middle, text_colour(fill));
      }
      if (overlaps_next(span.op)) {
        // Both ops of an overlapped F&B pair carry the mark: one bar under the pair.
        svg_.line(x, row_y + kRowHeight - 1.5, x + width, row_y + kRowHeight - 1.5, "#222222", 3);
        pairs_ = true;
      }
    }
    y += problem.devices * (kRowHeight + kRowGap);
    y = time_axis(y);
    if (!timeline.memory.empty() && peak_bytes_ > 0) y = memory_chart(timeline, y + 10);
    return y;
  }

  double time_axis(double y) {
    const double step = nice_step(end_ms_, 10);
    svg_.line(kMarginLeft, y, kMarginLeft + plot_width_, y, "#555555");
    for (double t = 0; t <= end_ms_ * (1 + 1e-9); t += step) {
      const double x = x_of(t);
      svg_.line(x, y, x, y + 5, "#555555");
      svg_.text(x, y + 17, num(t), 10, Anchor::Middle, "#333333");
    }
    svg_.text(kMarginLeft - 8, y + 17, "time (ms)", 10, Anchor::End, "#333333");
    return y + kAxisHeight;
  }

  double memory_chart(const Timeline& timeline, double y) {
    const std::uint32_t devices = static_cast<std::uint32_t>(timeline.memory.size());
    svg_.text(8, y + 12, "memory per device", 11, Anchor::Start, "#333333", "bold");
    y += 20;
    const double top = y;
    const double bottom = y + kChartHeight;
    svg_.rect(kMarginLeft, top, plot_width_, kChartHeight, "#fafafa", "#cccccc");
    // Gridlines at round numbers of the binary unit the peak is shown in.
    const ByteUnit unit = byte_unit_for(peak_bytes_);
    const double step = nice_step(peak_bytes_ / unit.bytes, 5) * unit.bytes;
    for (double bytes = 0; bytes <= peak_bytes_ * 1.05; bytes += step) {
      const double line_y = bottom - bytes / (peak_bytes_ * 1.05) * kChartHeight;
      svg_.line(kMarginLeft, line_y, kMarginLeft + plot_width_, line_y, "#e3e3e3");
      svg_.text(kMarginLeft - 6, line_y + 3.5, num(bytes / unit.bytes) + " " + unit.name, 10,
                Anchor::End, "#333333");
    }
    const auto y_of = [&](double bytes) {
      return bottom - bytes / (peak_bytes_ * 1.05) * kChartHeight;
    };
    for (std::uint32_t d = 0; d < devices; ++d) {
      const auto& samples = timeline.memory[d];
      if (samples.empty()) continue;
      // Step line; samples falling in one pixel column are drawn as one vertical stroke up
      // to their maximum, so that short peaks stay visible in long runs.
      std::string path;
      for (std::size_t i = 0; i < samples.size();) {
        const double x = x_of(samples[i].time_ms);
        double peak = static_cast<double>(samples[i].bytes);
        std::size_t last = i;
        while (last + 1 < samples.size() &&
               std::floor(x_of(samples[last + 1].time_ms)) == std::floor(x)) {
          ++last;
          peak = std::max(peak, static_cast<double>(samples[last].bytes));
        }
        path += (i == 0 ? "M" + num(x) + " " : " H" + num(x) + " V") + num(y_of(peak));
        const double settled = static_cast<double>(samples[last].bytes);
        if (settled != peak) path += " V" + num(y_of(settled));
        i = last + 1;
      }
      path += " H" + num(x_of(end_ms_));
      svg_.path(path, device_colour(d, devices), 1.4);
    }
    y = bottom + 16;
    // Device legend: all of them when few, else first, middle and last.
    double x = kMarginLeft;
    for (std::uint32_t d = 0; d < devices; ++d) {
      const bool shown = devices <= 10 || d == 0 || d == devices / 2 || d + 1 == devices;
      if (!shown) continue;
      svg_.line(x, y - 4, x + 16, y - 4, device_colour(d, devices), 2.5);
      svg_.text(x + 20, y, "device " + std::to_string(d), 10, Anchor::Start, "#333333");
      x += 84;
    }
    return y + 8;
  }

  // One entry per kind of op drawn, then the reading hints; entries that would pass the
  // right edge go on a new line.
  double legend(double y) {
    double x = kMarginLeft;
    const double right = kMarginLeft + plot_width_;
    // Where an entry of `width` pixels goes: here, or at the start of the next line.
    const auto place = [&](double width) {
      if (x > kMarginLeft && x + width > right) {
        x = kMarginLeft;
        y += 22;
      }
      const double at = x;
      x += width;
      return at;
    };
    const auto swatch = [&](std::string_view fill, const std::string& label) {
      const double at = place(30 + static_cast<double>(label.size()) * 6.0);
      svg_.rect(at, y, 14, 14, fill);
      svg_.text(at + 19, y + 11, label, 11, Anchor::Start, "#333333");
    };
    for (OpKind kind : {OpKind::Forward, OpKind::Backward, OpKind::BackwardInput,
                        OpKind::BackwardWeight, OpKind::OptimizerStep}) {
      if (!kinds_.count(kind)) continue;
      const OpStyle& style = op_style(kind);
      swatch(style.fill, std::string(style.letter) + "  " + std::string(style.description));
    }
    // Sends and receives (measured timelines record them): a receive lasts until its data
    // is there, so a long one is a wait.
    if (std::any_of(kinds_.begin(), kinds_.end(), [](OpKind kind) { return is_communication(kind); })) {
      swatch(op_style(OpKind::RecvActivation).fill, "send / receive (until its data is there)");
    }
    if (pairs_) {
      const double at = place(150);
      svg_.line(at, y + 12.5, at + 24, y + 12.5, "#222222", 3);
      svg_.text(at + 29, y + 11, "overlapped F&B pair", 11, Anchor::Start, "#333333");
    }
    const std::string hint = chunks_ > 1 ? "paler = later chunk; numbers = micro-batch; gaps = bubbles"
                                         : "numbers = micro-batch; gaps = bubbles";
    const double at = place(static_cast<double>(hint.size()) * 5.6);
    svg_.text(at, y + 11, hint, 11, Anchor::Start, "#555555");
    return y + 22;
  }

  const std::vector<Timeline>& timelines_;
  const SvgOptions& options_;
  double end_ms_ = 0.0;
  double peak_bytes_ = 0.0;
  double plot_width_ = 0.0;
  std::set<OpKind> kinds_;
  bool pairs_ = false;  // some op is drawn as part of an overlapped pair
  std::uint32_t chunks_ = 1;
  SvgDocument svg_;
};

}  // namespace

TimelineDrawing timeline_drawing(const std::vector<Timeline>& timelines, const SvgOptions& options) {
  return SvgWriter(timelines, options).draw();
}

std::string timeline_svg(const std::vector<Timeline>& timelines, const SvgOptions& options) {
  const TimelineDrawing drawing = timeline_drawing(timelines, options);
  return drawing.svg.render(drawing.width, drawing.height);
}

}  // namespace pipewise
