// libFuzzer target: arbitrary schedules through the validator (common/validate/validate.hpp)
// and the simulator (sim/engine.hpp).
//
// The bytes are decoded into a small problem (p <= 4, v <= 3, m <= 6, n <= 3), a starting
// schedule (empty programs, or a generated one, lowered or not), and then a list of edits:
// insert an arbitrary op (unknown kinds, stages, micro-batches and iterations outside the
// problem, and a program too many included), erase, swap, move, duplicate or alter an op.
// Properties:
//  - validate_schedule never throws and reports each issue on one line;
//  - simulate never crashes or hangs on any of these schedules whose op kinds are all
//    known (an unknown kind is outside its contract; tests/sim/engine_regression_test.cpp
//    holds that case): it runs or throws pipewise::Error;
//  - a schedule the validator accepts, the simulator runs (no deadlock, no error), and
//    the weight versions it holds per device are those the validator reports.
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "common/ir/error.hpp"
#include "common/ir/lower.hpp"
#include "common/schedules/registry.hpp"
#include "common/validate/validate.hpp"
#include "sim/engine.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

using namespace pipewise;

// Hands out the input one byte at a time; 0 once it runs out.
class ByteSource {
 public:
  ByteSource(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool empty() const { return at_ == size_; }
  std::uint32_t next() { return at_ < size_ ? data_[at_++] : 0; }
  // A value in [0, bound); bound > 0.
  std::uint32_t below(std::size_t bound) {
    const std::uint32_t wide = next() << 8 | next();
    return static_cast<std::uint32_t>(wide % bound);
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t at_ = 0;
};

Problem decode_problem(ByteSource& bytes) {
  Problem problem;
  problem.devices = 1 + bytes.next() % 4;
  problem.chunks = 1 + bytes.next() % 3;
  problem.microbatches = 1 + bytes.next() % 6;
  problem.iterations = 1 + bytes.next() % 3;
  if (problem.chunks == 2 && (bytes.next() & 1) != 0) problem.placement = Placement::VShape;
  return problem;
}

// Empty programs, or a generated schedule (lowered or not) when the first byte says so
// and the generator accepts the problem.
Schedule decode_start(ByteSource& bytes, const Problem& problem) {
  const std::uint32_t mode = bytes.next();
  Schedule schedule;
  schedule.problem = problem;
  schedule.programs.resize(problem.devices);
  if ((mode & 1) == 0) return schedule;
  const auto& catalog = schedule_catalog();
  try {
    schedule = generate_schedule(catalog[bytes.next() % catalog.size()].name, problem);
  } catch (const Error&) {
    return schedule;
  }
  return (mode & 2) != 0 ? lower_communication(schedule) : schedule;
}

// An op whose every field may lie outside the problem, its kind included.
Op decode_op(ByteSource& bytes, const Problem& problem) {
  Op op;
  op.kind = static_cast<OpKind>(bytes.next() % (kOpKindCount + 1));
  op.stage = static_cast<std::uint16_t>(bytes.next() % (problem.stages() + 1));
  op.microbatch = bytes.next() % (problem.microbatches + 1);
  op.iteration = bytes.next() % (problem.iterations + 1);
  op.weight_version = bytes.next() % 4;
  return op;
}

void apply_edit(ByteSource& bytes, Schedule& schedule) {
  auto& programs = schedule.programs;
  const std::uint32_t edit = bytes.next() % 7;
  if (edit == 0) {  // insert an arbitrary op, sometimes into a program one too many
    const std::uint32_t device = bytes.below(programs.size() + 1);
    if (device == programs.size()) programs.emplace_back();
    auto& program = programs[device];
    const std::size_t position = bytes.below(program.size() + 1);
    program.insert(program.begin() + static_cast<std::ptrdiff_t>(position),
                   decode_op(bytes, schedule.problem));
    return;
  }
  if (programs.empty()) return;
  auto& program = programs[bytes.below(programs.size())];
  if (program.empty()) return;
  const std::size_t position = bytes.below(program.size());
  const auto at = program.begin() + static_cast<std::ptrdiff_t>(position);
  switch (edit) {
    case 1: program.erase(at); break;
    case 2:  // swap with the next op
      if (position + 1 < program.size()) std::swap(program[position], program[position + 1]);
      break;
    case 3: {  // move to another program's end
      const Op op = *at;
      program.erase(at);
      programs[bytes.below(programs.size())].push_back(op);
      break;
    }
    case 4: program.insert(at, *at); break;  // duplicate
    case 5: at->microbatch ^= bytes.next() % 4; break;
    default: at->weight_version += bytes.next() % 3; break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ByteSource bytes(data, size);
  const Problem problem = decode_problem(bytes);
  Schedule schedule = decode_start(bytes, problem);
  for (int edits = 0; edits < 64 && !bytes.empty(); ++edits) apply_edit(bytes, schedule);

  ValidationReport report;
  try {
    report = validate_schedule(schedule);
  } catch (...) {
    fuzz::broken("validate_schedule never throws");
  }
  for (const ValidationIssue& issue : report.issues) {
    if (format_issue(issue).find('\n') != std::string::npos) {
      fuzz::broken("validation issues are one line");
    }
  }

  for (const auto& program : schedule.programs) {
    for (const Op& op : program) {
      if (static_cast<int>(op.kind) >= kOpKindCount) {
        if (report.ok()) fuzz::broken("the validator rejects ops of unknown kind");
        return 0;
      }
    }
  }
  const sim::CostModel costs(problem, sim::StageCosts{});
  try {
    const sim::SimulationResult result = sim::simulate(schedule, costs);
    for (std::size_t d = 0; report.ok() && d < result.devices.size(); ++d) {
      if (result.devices[d].weight_versions != report.weight_versions_held[d]) {
        fuzz::broken("the simulator holds the weight versions the validator reports");
      }
    }
  } catch (const Error& error) {
    if (report.ok()) {
      std::fprintf(stderr, "simulate: %s\n", error.what());
      fuzz::broken("the simulator runs every schedule the validator accepts");
    }
  }
  return 0;
}
