#include <iterator>
#include <string>

#include <fmt/compile.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/io/json_schedule.hpp"
#include "common/ir/error.hpp"

namespace pipewise {
namespace {

// `text` as a JSON string literal; invalid UTF-8 becomes U+FFFD.
std::string json_string(const std::string& text) {
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

// One line for the header, one for the problem, one per op.
std::string schedule_to_json(const Schedule& schedule) {
  const Problem& problem = schedule.problem;
  fmt::memory_buffer out;  // appends in bulk, unlike a back_inserter into a std::string
  out.reserve(256 + schedule.op_count() * 96);
  auto sink = std::back_inserter(out);
  fmt::format_to(sink, "{{\"schema\": \"{}\", \"version\": {}, \"name\": {},\n",
                 kScheduleJsonSchema, kScheduleJsonVersion, json_string(schedule.name));
  fmt::format_to(sink,
                 " \"problem\": {{\"devices\": {}, \"chunks\": {}, \"microbatches\": {}, "
                 "\"iterations\": {}, \"placement\": \"{}\"}},\n",
                 problem.devices, problem.chunks, problem.microbatches, problem.iterations,
                 placement_name(problem.placement));
  const auto append = [&out](std::string_view text) { out.append(text); };
  append(" \"programs\": [");
  for (std::size_t device = 0; device < schedule.programs.size(); ++device) {
    const auto& program = schedule.programs[device];
    append(device == 0 ? "\n  [" : ",\n  [");
    for (std::size_t position = 0; position < program.size(); ++position) {
      const Op& op = program[position];
      if (static_cast<int>(op.kind) >= kOpKindCount) {
        throw Error(fmt::format("cannot write programs[{}][{}]: op of unknown kind {}", device,
                                position, static_cast<int>(op.kind)));
      }
      fmt::format_to(
          sink,
          FMT_COMPILE("{}{{\"kind\": \"{}\", \"stage\": {}, \"microbatch\": {}, \"iteration\": {}, "
                      "\"weight_version\": {}{}}}"),
          position == 0 ? "\n   " : ",\n   ", op_kind_json_name(op.kind), op.stage, op.microbatch,
          op.iteration, op.weight_version, overlaps_next(op) ? ", \"overlap_next\": true" : "");
    }
    append(program.empty() ? "]" : "\n  ]");
  }
  append(schedule.programs.empty() ? "]}\n" : "\n ]}\n");
  return fmt::to_string(out);
}

}  // namespace pipewise
