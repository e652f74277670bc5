// `pipewise convert IN OUT`: between the pipewise JSON schedule and PyTorch pipelining's
// per-rank action text, both ways.
#include <fmt/format.h>
#include <iostream>

#include "common/io/atomic_file.hpp"
#include "common/io/json_schedule.hpp"
#include "common/io/pytorch_text.hpp"
#include "common/ir/error.hpp"
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
    "reader accepts only its actions; the problem is then inferred when read back).";

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
  if (out == "-") {
    std::cout << text;
    return 0;
  }
  write_file_atomically(out, text);
  const Problem& problem = schedule.problem;
  std::cout << fmt::format("wrote {} ({}): {} p={} v={} m={} n={}, {} ops\n", out,
                           format == "json" ? "pipewise JSON" : "PyTorch text", schedule.name,
                           problem.devices, problem.chunks, problem.microbatches, problem.iterations,
                           schedule.op_count());
  return 0;
}

}  // namespace

Command convert_command() {
  return {"convert",
          "convert a schedule between pipewise JSON and PyTorch pipelining text",
          &run_convert};
}

}  // namespace pipewise::tools
