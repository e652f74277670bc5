#include "common/timeline/ascii_timeline.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "common/text/format.hpp"
#include "common/timeline/op_style.hpp"

namespace pipewise {

std::string ascii_timeline(const Timeline& timeline, std::uint32_t max_columns) {
  const Problem& problem = timeline.problem;
  const double end = timeline.end_ms();
  double shortest = end;
  for (const OpSpan& span : timeline.ops) {
    if (span.end_ms > span.start_ms) shortest = std::min(shortest, span.end_ms - span.start_ms);
  }
  // A whole number of columns (at most 4) per shortest op keeps uniform grids aligned.
  max_columns = std::max<std::uint32_t>(max_columns, 8);
  std::uint32_t columns = max_columns;
  double column_ms = end > 0 ? end / columns : 1.0;
  if (end > 0 && shortest > 0) {
    const double per_shortest = std::min(4.0, std::floor(max_columns * shortest / end + 1e-9));
    if (per_shortest >= 1) {
      column_ms = shortest / per_shortest;
      columns = static_cast<std::uint32_t>(std::ceil(end / column_ms - 1e-9));
    }
  }
  const auto column_of = [&](double ms) {
    return static_cast<std::uint32_t>(std::clamp(std::floor(ms / column_ms + 1e-9), 0.0,
                                                 static_cast<double>(columns)));
  };
  std::vector<std::string> rows(problem.devices, std::string(columns, '.'));
  std::set<OpKind> kinds;
  for (const OpSpan& span : timeline.ops) {
    if (span.device >= problem.devices || span.end_ms <= span.start_ms) continue;
    kinds.insert(span.op.kind);
    const std::uint32_t first = std::min(column_of(span.start_ms), columns - 1);
    const std::uint32_t last = std::max(column_of(span.end_ms), first + 1);
    std::string label(op_style(span.op.kind).letter);
    if (span.op.kind != OpKind::OptimizerStep) {
      label += std::to_string(global_microbatch(span.op, problem.microbatches));
    }
    const std::uint32_t width = last - first;
    if (label.size() > width) label.resize(1);
    std::string cells = label + std::string(width - label.size(), ' ');
    rows[span.device].replace(first, width, cells);
  }
  std::string out;
  const std::size_t name_width = std::to_string(problem.devices - 1).size() + 1;
  for (std::uint32_t d = 0; d < problem.devices; ++d) {
    std::string name = "d" + std::to_string(d);
    name.resize(name_width, ' ');
    out += name + " |" + rows[d] + "|\n";
  }
  std::string legend;
  for (OpKind kind : kinds) {
    legend += std::string(op_style(kind).letter) + " " + std::string(op_style(kind).description) + "  ";
  }
  out += legend + ". idle   (1 column = " + format_ms(column_ms) + " ms, " +
         std::to_string(columns) + " columns = " + format_ms(end) + " ms)\n";
  return out;
}

}  // namespace pipewise
