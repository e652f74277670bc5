// `pipewise show`: prints a generated (or read) schedule in text, JSON or PyTorch form.
#include <fmt/format.h>

#include "common/io/json_schedule.hpp"
#include "common/io/pytorch_text.hpp"
#include "common/ir/error.hpp"
#include "common/ir/lower.hpp"
#include "common/validate/validate.hpp"
#include "exec/cuda/planning/receives_ahead.hpp"
#include "sim/memory_estimate.hpp"
#include "tools/cli/command.hpp"
#include "tools/cli/option_lists.hpp"
#include "tools/cli/option_vocabulary.hpp"
#include "tools/cli/report_output.hpp"
#include "tools/cli/schedule_options.hpp"
#include "tools/cli/unit_timeline.hpp"

namespace po = boost::program_options;

namespace pipewise::tools {
namespace {

constexpr const char* kUsage =
    "usage: pipewise show -s NAME -p P -m M [-v V] [-n N] | --schedule-file FILE\n"
    "                     [-f text|json|pytorch] [--lowered | --nccl] [-o FILE]\n"
    "Prints each device's program. `text` gives the action list of every device (an\n"
    "overlapped F&B pair as PyTorch writes it, (0F7;7B3)) and a\n"
    "timeline grid with unit costs (F = 1, B = 2, I = W = 1 slot) as drawn in the papers\n"
    "(for a valid schedule; of an invalid file, the validator's first finding instead);\n"
    "`json` the pipewise schedule file; `pytorch` PyTorch pipelining's per-rank CSV.\n"
    "--nccl shows the programs a CUDA run with NCCL between every pair of devices executes\n"
    "(mpirun, or --transport nccl): lowered, with receives posted ahead where NCCL's groups\n"
    "need it; each run of adjacent sends and receives is one NCCL group.";

std::string schedule_text(const Schedule& schedule) {
  const Problem& problem = schedule.problem;
  std::string text = fmt::format("{}: p={} v={} m={} n={} placement={}, {} ops\n", schedule.name,
                                 problem.devices, problem.chunks, problem.microbatches,
                                 problem.iterations, placement_name(problem.placement),
                                 schedule.op_count());
  for (std::size_t device = 0; device < schedule.programs.size(); ++device) {
    text += fmt::format("device {}:", device);
    const std::vector<Op>& program = schedule.programs[device];
    for (std::size_t i = 0; i < program.size(); ++i) {
      const std::string label = op_label(program[i], problem.microbatches);
      if (overlaps_next(program[i]) && i + 1 < program.size()) {
        text += " (" + label + ";" + op_label(program[++i], problem.microbatches) + ")";
      } else {
        text += " " + label;
      }
    }
    text += "\n";
  }
  // The grid is a simulation with unit costs: of a schedule the validator rejects it would
  // draw times that mean nothing (a duplicate step, a deadlock), so it says why instead.
  const ValidationReport report = validate_schedule(schedule);
  if (!report.ok()) {
    return text + "\nno timeline: invalid schedule: " + format_issue(report.issues.front()) +
           " (pipewise validate lists every finding)\n";
  }
  return text + "\n" + unit_timeline_grid(schedule);
}

int run_show(const std::vector<std::string>& args) {
  po::options_description options("options");
  add_schedule_options(options);
  add_option(options, vocabulary::format,
             {.detail = "text, json or pytorch", .default_value = "text"});
  add_option(options, vocabulary::output);
  options.add_options()("lowered", "include the send and recv ops of the lowering pass")(
      "nccl", "lowered as NCCL runs it: receives posted ahead where its groups need it");
  po::variables_map values;
  if (parse_or_help(args, options, values, kUsage)) return 0;
  const std::string format = choice_option(values, "format", {"text", "json", "pytorch"});
  Schedule schedule = schedule_from_options(values);
  const bool nccl = values.count("nccl") > 0;
  if ((values.count("lowered") || nccl) && !schedule.is_lowered()) schedule = lower_communication(schedule);
  if (nccl) {
    if (schedule.problem.bidirectional()) {
      throw Error("--nccl: a bidirectional schedule runs two model copies, which the CUDA backend "
                  "does not run (dualpipe runs on --backend cpu; dualpipe-v is its one-copy form)");
    }
    schedule = exec::cuda::post_receives_ahead(schedule);
  }
  if (format == "json") {
    // Its text is about a hundred bytes per op: refused up front when it cannot fit.
    sim::OutputRequest output;
    output.schedule_json = true;
    sim::memory_for_outputs(schedule.name + " " + problem_sizes(schedule.problem),
                            schedule.op_count(), output)
        .throw_if_failed();
    write_report(values, schedule_to_json(schedule));
  } else if (format == "pytorch") {
    write_report(values, schedule_to_pytorch_text(schedule));
  } else {
    write_report(values, schedule_text(schedule));
  }
  return 0;
}

}  // namespace

Command show_command() {
  return {"show",
          "print a schedule's per-device programs and timeline grid",
          &run_show};
}

}  // namespace pipewise::tools
