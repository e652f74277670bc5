// `pipewise show`: prints a generated (or read) schedule in text, JSON or PyTorch form.
#include <cstdio>
#include <iostream>

#include "common/io/json_schedule.hpp"
#include "common/io/pytorch_text.hpp"
#include "common/ir/error.hpp"
#include "common/ir/lower.hpp"
#include "tools/cli/command.hpp"
#include "tools/cli/schedule_options.hpp"
#include "tools/cli/unit_timeline.hpp"

namespace po = boost::program_options;

namespace pipewise::tools {
namespace {

constexpr const char* kUsage =
    "usage: pipewise show --schedule NAME --stages P --microbatches M [--chunks V]\n"
    "                     [--iterations N] [--format text|json|pytorch] [--lowered]\n"
    "Prints each device's program. `text` gives the action list of every device and a\n"
    "timeline grid with unit costs (F = 1, B = 2, I = W = 1 slot) as drawn in the papers;\n"
    "`json` the pipewise schedule file; `pytorch` PyTorch pipelining's per-rank CSV.";

void print_text(const Schedule& schedule) {
  const Problem& problem = schedule.problem;
  std::printf("%s: p=%u v=%u m=%u n=%u placement=%s, %zu ops\n", schedule.name.c_str(),
              problem.devices, problem.chunks, problem.microbatches, problem.iterations,
              std::string(placement_name(problem.placement)).c_str(), schedule.op_count());
  for (std::size_t device = 0; device < schedule.programs.size(); ++device) {
    std::printf("device %zu:", device);
    for (const Op& op : schedule.programs[device]) {
      std::printf(" %s", op_label(op, problem.microbatches).c_str());
    }
    std::printf("\n");
  }
  std::printf("\n%s", unit_timeline_grid(schedule).c_str());
}

int run_show(const std::vector<std::string>& args) {
  po::options_description options("options");
  add_schedule_options(options);
  options.add_options()
      ("format,f", po::value<std::string>()->default_value("text"), "text, json or pytorch")
      ("lowered", "include the send and recv ops of the lowering pass");
  po::variables_map values;
  if (parse_or_help(args, options, values, kUsage)) return 0;
  const std::string format = values["format"].as<std::string>();
  if (format != "text" && format != "json" && format != "pytorch") {
    throw Error("--format must be text, json or pytorch (got \"" + format + "\")");
  }
  Schedule schedule = schedule_from_options(values);
  if (values.count("lowered") && !schedule.is_lowered()) schedule = lower_communication(schedule);
  if (format == "json") {
    std::cout << schedule_to_json(schedule);
  } else if (format == "pytorch") {
    std::cout << schedule_to_pytorch_text(schedule);
  } else {
    print_text(schedule);
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
