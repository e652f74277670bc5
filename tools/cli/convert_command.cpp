// `pipewise convert IN OUT`: between the pipewise JSON schedule and PyTorch pipelining's
// per-rank action text, both ways.
#include <cstdio>
#include <fmt/format.h>
#include <vector>

#include "common/io/json_schedule.hpp"
#include "common/io/output_set.hpp"
#include "common/io/pytorch_text.hpp"
#include "common/ir/error.hpp"
#include "common/ir/weight_versions.hpp"
#include "common/text/escaped_text.hpp"
#include "tools/cli/command.hpp"
#include "tools/cli/schedule_options.hpp"

namespace po = boost::program_options;

namespace pipewise::tools {
namespace {

constexpr const char* kUsage =
    "usage: pipewise convert IN OUT [--to json|pytorch] [--pytorch-compatible]\n"
    "Converts a schedule between the pipewise JSON form and PyTorch pipelining's per-rank\n"
    "action text (one line per rank, e.g. 0F0,0F1,0B0,...; torch.distributed.pipelining's\n"
    "_dump_csv/_load_csv form). The input's form is read from its content (JSON starts with\n"
    "'{'); the output's from --to, else from OUT's extension: .json is JSON, .txt and .csv\n"
    "are PyTorch text. OUT \"-\" writes to stdout. A conversion round trip reproduces the\n"
    "schedule exactly: the text form carries the problem in a leading comment and optimizer\n"
    "steps as <stage>STEP actions, which --pytorch-compatible leaves out (PyTorch's own\n"
    "reader accepts only its actions; the problem is then inferred when read back): a\n"
    "warning on stderr then names what reading OUT back would not restore (n, m, the\n"
    "optimizer steps, the weight versions).";

std::string output_format(const po::variables_map& values, const std::string& out) {
  if (values.count("to")) {
    const std::string to = values["to"].as<std::string>();
    if (to != "json" && to != "pytorch") throw Error("--to must be json or pytorch (got \"" + to + "\")");
    return to;
  }
  const auto ends_with = [&](const char* suffix) {
    const std::string tail = suffix;
    return out.size() >= tail.size() && out.compare(out.size() - tail.size(), tail.size(), tail) == 0;
  };
  if (ends_with(".json")) return "json";
  if (ends_with(".txt") || ends_with(".csv")) return "pytorch";
  throw Error("cannot tell the output form from \"" + out + "\": give --to json or --to pytorch");
}

std::string versions_text(const std::vector<std::uint32_t>& versions) {
  std::string text = "[";
  for (std::size_t d = 0; d < versions.size(); ++d) text += (d ? "," : "") + std::to_string(versions[d]);
  return text + "]";
}

std::size_t optimizer_steps(const Schedule& schedule) {
  std::size_t steps = 0;
  for (const auto& program : schedule.programs) {
    for (const Op& op : program) steps += op.kind == OpKind::OptimizerStep;
  }
  return steps;
}

// What PyTorch-compatible text loses of `schedule`, found by reading `text` back as a user
// would: each difference as "what reads back as X (was Y)". Empty when nothing is lost.
std::vector<std::string> lost_in(const Schedule& schedule, const std::string& text) {
  Schedule back;
  try {
    back = schedule_from_pytorch_text(text);
  } catch (const Error& error) {
    return {std::string("the text cannot be read back (") + error.what() + ")"};
  }
  std::vector<std::string> lost;
  const auto differs = [&](const std::string& what, const auto& now, const auto& was) {
    if (now != was) lost.push_back(fmt::format("{} reads back as {} (was {})", what, now, was));
  };
  const Problem& a = schedule.problem;
  const Problem& b = back.problem;
  differs("the name", back.name, schedule.name);
  differs("p", b.devices, a.devices);
  differs("v", b.chunks, a.chunks);
  differs("n", b.iterations, a.iterations);
  differs("m", b.microbatches, a.microbatches);
  differs("the placement", std::string(placement_name(b.placement)), std::string(placement_name(a.placement)));
  differs("the optimizer step count", optimizer_steps(back), optimizer_steps(schedule));
  try {
    differs("the weight versions held per device", versions_text(weight_versions_held(back)),
            versions_text(weight_versions_held(schedule)));
  } catch (const Error&) {
    // A schedule whose versions cannot be counted says so when it is validated.
  }
  return lost;
}

int run_convert(const std::vector<std::string>& args) {
  po::options_description options("options");
  options.add_options()
      ("in", po::value<std::string>(), "input schedule file (JSON or PyTorch text)")
      ("out", po::value<std::string>(), "output file, or - for stdout")
      ("to", po::value<std::string>(), "output form: json or pytorch (default: from OUT's extension)")
      ("pytorch-compatible", "PyTorch text without the pipewise comment line and STEP actions");
  po::variables_map values;
  if (parse_or_help(args, options, values, kUsage, {"in", "out"})) return 0;
  if (!values.count("in") || !values.count("out")) throw Error("IN and OUT are required (see pipewise convert --help)");
  const std::string in = values["in"].as<std::string>();
  const std::string out = values["out"].as<std::string>();
  const std::string format = output_format(values, out);
  if (values.count("pytorch-compatible") && format != "pytorch") {
    throw Error("--pytorch-compatible applies to PyTorch text output only");
  }
  const Schedule schedule = read_schedule_file(in);
  const std::string text = format == "json"
                               ? schedule_to_json(schedule)
                               : schedule_to_pytorch_text(schedule, values.count("pytorch-compatible") > 0);
  if (values.count("pytorch-compatible")) {
    // PyTorch's form holds no problem line and no optimizer steps: say what a reader of the
    // file will not get back (a warning: the user asked for that form).
    const std::vector<std::string> lost = lost_in(schedule, text);
    if (!lost.empty()) {
      std::string line = "--pytorch-compatible loses what PyTorch's text cannot hold:";
      for (std::size_t i = 0; i < lost.size(); ++i) line += (i ? "; " : " ") + lost[i];
      std::fprintf(stderr, "pipewise convert: warning: %s\n", printable(line).c_str());
    }
  }
  OutputSet outputs;
  outputs.add(out, text, "OUT");
  if (!leads_to_standard_output(out)) {
    const Problem& problem = schedule.problem;
    outputs.add_standard_output(
        fmt::format("wrote {} ({}): {} p={} v={} m={} n={}, {} ops\n", printable(out),
                    format == "json" ? "pipewise JSON" : "PyTorch text", schedule.name,
                    problem.devices, problem.chunks, problem.microbatches, problem.iterations,
                    schedule.op_count()),
        "the summary");
  }
  outputs.commit();
  return 0;
}

}  // namespace

Command convert_command() {
  return {"convert",
          "convert a schedule between pipewise JSON and PyTorch pipelining text",
          &run_convert};
}

}  // namespace pipewise::tools
