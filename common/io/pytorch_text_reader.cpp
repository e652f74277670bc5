#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/io/pytorch_text.hpp"
#include "common/ir/error.hpp"
#include "common/ir/weight_versions.hpp"

namespace pipewise {
namespace {

constexpr std::string_view kHeaderStart = "# pipewise";

// "1 rank line", "3 rank lines".
std::string rank_lines(std::size_t count) {
  return std::to_string(count) + (count == 1 ? " rank line" : " rank lines");
}

// The lines of `text`: split at "\n", a trailing "\r" dropped, no line after a final "\n".
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    text.remove_prefix(std::min(end + 1, text.size()));
  }
  return lines;
}

std::string_view trim(std::string_view text) {
  const std::size_t first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// `text` as an unsigned integer made of digits only, if it is one and fits in `max`.
std::optional<std::uint64_t> parse_unsigned(std::string_view text, std::uint64_t max) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value > max) {
    return std::nullopt;
  }
  return value;
}

// What the header line says; every field but the name is required.
struct Header {
  Problem problem;
  std::string name = "custom";
};

Header parse_header(std::string_view line) {
  const auto fail = [](const std::string& message) -> Error { return Error("line 1: " + message); };
  Header header;
  std::uint32_t seen = 0;  // bits: p, v, m, n, placement
  std::string_view rest = line.substr(kHeaderStart.size());
  while (!(rest = trim(rest)).empty()) {
    if (rest.substr(0, 5) == "name=") {
      header.name = std::string(rest.substr(5));
      // The writer cannot put a line break back into the header, so the reader takes none;
      // nor any other control character, which would garble the reports that show it.
      if (header.name.find('\r') != std::string::npos) {
        throw fail("the schedule name holds a carriage return");
      }
      if (std::any_of(header.name.begin(), header.name.end(), [](char c) {
            return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
          })) {
        throw fail("the schedule name holds a control character");
      }
      break;
    }
    const std::string_view field = rest.substr(0, rest.find(' '));
    rest.remove_prefix(field.size());
    const std::size_t equals = field.find('=');
    const std::string_view key = field.substr(0, equals);
    const std::string_view value =
        equals == std::string_view::npos ? std::string_view{} : field.substr(equals + 1);
    if (key == "placement") {
      try {
        header.problem.placement = placement_from_name(value);
      } catch (const Error& error) {
        throw fail(error.what());
      }
      seen |= 1u << 4;
      continue;
    }
    static constexpr std::string_view kSizes[] = {"p", "v", "m", "n"};
    const auto* size = std::find(std::begin(kSizes), std::end(kSizes), key);
    if (size == std::end(kSizes)) {
      throw fail("unknown header field \"" + std::string(field) + "\"");
    }
    const auto number = parse_unsigned(value, std::numeric_limits<std::uint32_t>::max());
    if (!number) {
      throw fail("header field " + std::string(key) + " needs an unsigned 32-bit number, got \"" +
                 std::string(value) + "\"");
    }
    std::uint32_t* targets[] = {&header.problem.devices, &header.problem.chunks,
                                &header.problem.microbatches, &header.problem.iterations};
    const auto index = static_cast<std::size_t>(size - std::begin(kSizes));
    *targets[index] = static_cast<std::uint32_t>(*number);
    seen |= 1u << index;
  }
  static constexpr std::string_view kRequired[] = {"p", "v", "m", "n", "placement"};
  for (std::size_t i = 0; i < std::size(kRequired); ++i) {
    if ((seen >> i & 1u) == 0) throw fail("the header lacks " + std::string(kRequired[i]) + "=");
  }
  try {
    header.problem.check();
  } catch (const Error& error) {
    throw fail(error.what());
  }
  return header;
}

// The op kind whose short name (op_kind_name: F, B, ..., STEP) is `name`, if any.
std::optional<OpKind> kind_named(std::string_view name) {
  for (int k = 0; k < kOpKindCount; ++k) {
    if (op_kind_name(static_cast<OpKind>(k)) == name) return static_cast<OpKind>(k);
  }
  return std::nullopt;
}

// Where an action was read, for messages: `line 3, action 5 "0X1"`.
struct ActionSource {
  std::size_t line;
  std::size_t column;  // 1-based cell number, empty cells included
  std::string_view text;
  std::string describe() const {
    return "line " + std::to_string(line) + ", action " + std::to_string(column) + " \"" +
           std::string(text) + "\"";
  }
};

// One action as written: its micro-batch is the global number i*m + mb (0 for STEP).
struct Action {
  OpKind kind;
  std::uint32_t stage;
  std::uint64_t global_microbatch;
};

Action parse_action(const ActionSource& source);

// An overlapped pair as PyTorch writes it, `(0F7;7B3)OVERLAP_F_B`: a forward and then a B
// or an I of another stage or micro-batch, run together (op.hpp, kOverlapWithNext).
std::pair<Action, Action> parse_overlap(const ActionSource& source) {
  const auto fail = [&](const std::string& message) -> Error {
    return Error(source.describe() + ": " + message);
  };
  const std::string_view text = source.text;
  const std::size_t close = text.find(')');
  if (close == std::string_view::npos || trim(text.substr(close + 1)) != "OVERLAP_F_B") {
    throw fail("expected a composite action (<forward>;<backward>)OVERLAP_F_B");
  }
  const std::string_view inner = text.substr(1, close - 1);
  const std::size_t separator = inner.find(';');
  if (separator == std::string_view::npos || inner.find(';', separator + 1) != std::string_view::npos) {
    throw fail("OVERLAP_F_B holds exactly two actions, a forward and a backward");
  }
  const Action forward =
      parse_action({source.line, source.column, trim(inner.substr(0, separator))});
  const Action backward =
      parse_action({source.line, source.column, trim(inner.substr(separator + 1))});
  if (forward.kind != OpKind::Forward ||
      (backward.kind != OpKind::Backward && backward.kind != OpKind::BackwardInput)) {
    throw fail("OVERLAP_F_B pairs a forward (F) with a backward (B or I), in that order");
  }
  return {forward, backward};
}

Action parse_action(const ActionSource& source) {
  const auto fail = [&](const std::string& message) -> Error {
    return Error(source.describe() + ": " + message);
  };
  const std::string_view text = source.text;
  const std::size_t type_start = text.find_first_not_of("0123456789");
  if (type_start == 0 || type_start == std::string_view::npos) {
    throw fail("expected <stage><type><micro-batch>, such as 0F1");
  }
  const std::size_t type_end =
      std::min(text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ_", type_start), text.size());
  const std::string_view type = text.substr(type_start, type_end - type_start);
  const std::string_view microbatch = text.substr(type_end);
  const auto stage =
      parse_unsigned(text.substr(0, type_start), std::numeric_limits<std::uint16_t>::max());
  if (!stage) throw fail("stage is more than 65535");
  // PyTorch's REDUCE_GRAD reduces a stage's gradients once its last backward has run, for
  // the optimizer step that follows the schedule: pipewise's OptimizerStep, which
  // all-reduces the stage's gradients and applies them.
  const std::optional<OpKind> kind =
      type == "REDUCE_GRAD" ? std::optional<OpKind>(OpKind::OptimizerStep) : kind_named(type);
  if (!kind) throw fail("unknown action type \"" + std::string(type) + "\"");
  if (!has_microbatch(*kind)) {
    if (!microbatch.empty()) throw fail(std::string(type) + " takes no micro-batch");
    return {*kind, static_cast<std::uint32_t>(*stage), 0};
  }
  if (microbatch.empty()) throw fail(std::string(type) + " needs a micro-batch number");
  const auto number = parse_unsigned(microbatch, std::numeric_limits<std::uint32_t>::max());
  if (!number) {
    throw fail("micro-batch \"" + std::string(microbatch) + "\" is not a number below 2^32");
  }
  return {*kind, static_cast<std::uint32_t>(*stage), *number};
}

// "No backward seen yet" in the last-backward table of read_rank_line.
constexpr std::uint64_t kNone = ~std::uint64_t{0};

// The largest stage and micro-batch of a text without a header, and where each was read.
struct Extremes {
  std::uint32_t stage = 0;
  std::uint64_t microbatch = 0;
  std::optional<ActionSource> stage_source;
  std::optional<ActionSource> microbatch_source;
};

// Reads one rank line into `program`. With the header's `problem`, each global micro-batch
// g becomes micro-batch g mod m of iteration g / m, and actions outside the problem are
// rejected; without it (null) g is kept as the micro-batch and `extremes` grows. A STEP (or
// REDUCE_GRAD) is dated to the last B or W of its stage earlier on the line. `last_backward` (global
// micro-batch by stage, kNone when none) is left as it was found.
void read_rank_line(std::string_view line, std::size_t line_number, const Problem* problem,
                    std::vector<Op>& program, Extremes& extremes,
                    std::vector<std::uint64_t>& last_backward) {
  std::vector<std::uint32_t> touched;
  const auto append_action = [&](const Action& action, const ActionSource& source,
                                 bool overlapped) {
    std::uint64_t microbatch = action.global_microbatch;
    if (action.kind == OpKind::Backward || action.kind == OpKind::BackwardWeight) {
      if (last_backward[action.stage] == kNone) touched.push_back(action.stage);
      last_backward[action.stage] = microbatch;
    } else if (action.kind == OpKind::OptimizerStep) {
      microbatch = last_backward[action.stage] == kNone ? 0 : last_backward[action.stage];
    }
    Op op{action.kind, overlapped ? kOverlapWithNext : std::uint8_t{0},
          static_cast<std::uint16_t>(action.stage), 0, 0, 0};
    if (problem != nullptr) {
      const std::uint64_t total = std::uint64_t{problem->microbatches} * problem->iterations;
      if (action.stage >= problem->stages()) {
        throw Error(source.describe() + ": stage " + std::to_string(action.stage) +
                    " is outside the problem (p*v = " + std::to_string(problem->stages()) + ")");
      }
      if (microbatch >= total) {
        throw Error(source.describe() + ": micro-batch " + std::to_string(microbatch) +
                    " is outside the problem (m*n = " + std::to_string(total) + ")");
      }
      op.iteration = static_cast<std::uint32_t>(microbatch / problem->microbatches);
      op.microbatch = static_cast<std::uint32_t>(microbatch % problem->microbatches);
    } else {
      if (!extremes.stage_source || action.stage > extremes.stage) {
        extremes.stage = action.stage;
        extremes.stage_source = source;
      }
      if (!extremes.microbatch_source || microbatch > extremes.microbatch) {
        extremes.microbatch = microbatch;
        extremes.microbatch_source = source;
      }
      op.microbatch = static_cast<std::uint32_t>(microbatch);  // parse_action keeps g < 2^32
    }
    program.push_back(op);
  };
  for (std::size_t column = 1;; ++column) {
    const std::size_t comma = line.find(',');
    const std::string_view cell = trim(line.substr(0, comma));
    if (!cell.empty()) {
      const ActionSource source{line_number, column, cell};
      if (cell.front() == '(') {
        const auto [forward, backward] = parse_overlap(source);
        append_action(forward, source, true);
        append_action(backward, source, false);
      } else {
        append_action(parse_action(source), source, false);
      }
    }
    if (comma == std::string_view::npos) break;
    line.remove_prefix(comma + 1);
  }
  for (const std::uint32_t stage : touched) last_backward[stage] = kNone;
}

// The placement that puts every stage on the rank whose line holds it: looped if it does,
// else v-shape if v = 2 and it does, else looped (the validator then names the ops on the
// wrong device).
Placement infer_placement(const Schedule& schedule, const Problem& problem) {
  Problem looped = problem;
  looped.placement = Placement::Looped;
  Problem v_shape = looped;
  v_shape.placement = Placement::VShape;
  bool fits_looped = true;
  bool fits_v_shape = looped.chunks == 2;
  for (std::uint32_t rank = 0; rank < schedule.programs.size(); ++rank) {
    for (const Op& op : schedule.programs[rank]) {
      fits_looped = fits_looped && looped.device_of_stage(op.stage) == rank;
      fits_v_shape = fits_v_shape && v_shape.device_of_stage(op.stage) == rank;
    }
  }
  return !fits_looped && fits_v_shape ? Placement::VShape : Placement::Looped;
}

// The problem of a text without a header: p = rank lines, p*v = largest stage + 1,
// m = largest micro-batch + 1, n = 1, placement as infer_placement finds it.
Problem inferred_problem(const Schedule& schedule, const Extremes& extremes) {
  if (!extremes.stage_source) throw Error("no actions: cannot infer the problem");
  const auto ranks = static_cast<std::uint32_t>(schedule.programs.size());
  const std::uint32_t stages = extremes.stage + 1u;
  if (stages % ranks != 0) {
    throw Error(extremes.stage_source->describe() + ": the largest stage makes " +
                std::to_string(stages) + " stages, not a multiple of the " + rank_lines(ranks));
  }
  if (extremes.microbatch == std::numeric_limits<std::uint32_t>::max()) {
    throw Error(extremes.microbatch_source->describe() +
                ": micro-batch leaves no room for m = largest micro-batch + 1");
  }
  Problem problem{ranks, stages / ranks, static_cast<std::uint32_t>(extremes.microbatch + 1), 1,
                  Placement::Looped};
  problem.check();
  problem.placement = infer_placement(schedule, problem);
  return problem;
}

}  // namespace

Schedule schedule_from_pytorch_text(std::string_view text) {
  const std::vector<std::string_view> lines = split_lines(text);
  std::optional<Header> header;
  std::size_t first_rank_line = 0;
  if (!lines.empty() && lines[0].substr(0, kHeaderStart.size()) == kHeaderStart &&
      (lines[0].size() == kHeaderStart.size() || lines[0][kHeaderStart.size()] == ' ')) {
    header = parse_header(lines[0]);
    first_rank_line = 1;
  }
  Schedule schedule;
  Extremes extremes;
  std::vector<std::uint64_t> last_backward(std::size_t{1} << 16, kNone);
  for (std::size_t index = first_rank_line; index < lines.size(); ++index) {
    if (!lines[index].empty() && lines[index][0] == '#') {
      throw Error("line " + std::to_string(index + 1) +
                  ": the only comment allowed is the first-line header \"# pipewise ...\"");
    }
    schedule.programs.emplace_back();
    read_rank_line(lines[index], index + 1, header ? &header->problem : nullptr,
                   schedule.programs.back(), extremes, last_backward);
  }
  if (schedule.programs.empty()) throw Error("no rank lines: the schedule is empty");

  const auto ranks = static_cast<std::uint32_t>(schedule.programs.size());
  if (header) {
    if (header->problem.devices != ranks) {
      throw Error("the header says p=" + std::to_string(header->problem.devices) +
                  " but the text has " + rank_lines(ranks));
    }
    schedule.name = header->name;
    schedule.problem = header->problem;
  } else {
    schedule.problem = inferred_problem(schedule, extremes);
  }
  try {
    assign_weight_versions(schedule);
  } catch (const Error& error) {
    throw Error(std::string("cannot derive weight versions: ") + error.what());
  }
  return schedule;
}

}  // namespace pipewise
