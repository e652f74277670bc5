// `pipewise validate FILE`: checks a JSON or PyTorch-text schedule.
#include <cstdio>

#include "common/ir/error.hpp"
#include "common/validate/validate.hpp"
#include "tools/cli/command.hpp"
#include "tools/cli/schedule_options.hpp"

namespace po = boost::program_options;

namespace pipewise::tools {
namespace {

constexpr const char* kUsage =
    "usage: pipewise validate FILE\n"
    "Checks a schedule (pipewise JSON or PyTorch pipelining text) for missing or duplicate\n"
    "ops, ops on the wrong device, unmatched sends and receives, deadlocks (printed as the\n"
    "ops on the cycle) and weight-version inconsistencies. Exits 0 when it is valid, 1 with\n"
    "one line per problem otherwise.";

int run_validate(const std::vector<std::string>& args) {
  po::options_description options("options");
  options.add_options()("file", po::value<std::string>(), "schedule file to check (FILE)");
  po::variables_map values;
  if (parse_or_help(args, options, values, kUsage, {"file"})) return 0;
  if (!values.count("file")) throw Error("a schedule FILE is required (see pipewise validate --help)");
  const std::string path = values["file"].as<std::string>();
  const Schedule schedule = read_schedule_file(path);
  const ValidationReport report = validate_schedule(schedule);
  if (!report.ok()) {
    for (const auto& issue : report.issues) {
      std::fprintf(stderr, "%s: invalid: %s: %s\n", path.c_str(), issue.rule.c_str(),
                   issue.message.c_str());
    }
    return 1;
  }
  std::string versions;
  for (std::size_t d = 0; d < report.weight_versions_held.size(); ++d) {
    versions += (d ? "," : "") + std::to_string(report.weight_versions_held[d]);
  }
  std::printf("%s: valid: %s, p=%u v=%u m=%u n=%u, %zu ops, weight versions held per device [%s]\n",
              path.c_str(), schedule.name.c_str(), schedule.problem.devices,
              schedule.problem.chunks, schedule.problem.microbatches,
              schedule.problem.iterations, schedule.op_count(), versions.c_str());
  return 0;
}

}  // namespace

Command validate_command() {
  return {"validate",
          "check a schedule file for deadlocks, missing ops and version errors",
          &run_validate};
}

}  // namespace pipewise::tools
