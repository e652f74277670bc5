#include "tools/cli/schedule_options.hpp"

#include "common/io/atomic_file.hpp"
#include "common/io/json_schedule.hpp"
#include "common/io/pytorch_text.hpp"
#include "common/ir/error.hpp"
#include "common/schedules/registry.hpp"
#include "common/validate/validate.hpp"
#include "sim/memory_estimate.hpp"
#include "tools/cli/option_lists.hpp"
#include "tools/cli/option_vocabulary.hpp"

namespace po = boost::program_options;

namespace pipewise::tools {
namespace {

// The problem of -p, -m, -n, --placement, and -v when `takes_chunks`, for schedule `name`.
Problem generated_problem(const po::variables_map& values, const std::string& name,
                          bool takes_chunks);

// `name` generated for generated_problem.
Schedule generated_schedule(const po::variables_map& values, const std::string& name,
                            bool takes_chunks) {
  const Problem problem = generated_problem(values, name, takes_chunks);
  sim::require_memory_to_simulate(name, problem);
  return generate_schedule(name, problem);
}

}  // namespace

void add_schedule_options(po::options_description& options) {
  std::string names;
  for (const auto& info : schedule_catalog()) {
    names += "\n  " + info.name;
    for (const auto& alias : info.aliases) names += " (= " + alias + ")";
    names += ": " + info.summary;
  }
  add_option(options, vocabulary::schedule, {.detail = "one of" + names});
  add_option(options, vocabulary::stages);
  add_option(options, vocabulary::microbatches);
  add_option(options, vocabulary::chunks, {.detail = "default 1, or the v the schedule fixes (2 for zbv, dualpipe, ...)"});
  add_option(options, vocabulary::iterations, {.detail = "default 1"});
  options.add_options()
      ("placement", po::value<std::string>(),
       "chunk placement: looped (stage s on device s mod p), v-shape (v = 2) or bidirectional "
       "(DualPipe); default: the schedule's own (looped for the classic schedules)")
      ("schedule-file", po::value<std::string>(),
       "read the schedule from a file (JSON or PyTorch text) instead of generating it");
}

Schedule read_schedule_file(const std::string& path) {
  const std::string text = read_file(path);
  const auto first = text.find_first_not_of(" \t\r\n");
  try {
    if (first != std::string::npos && text[first] == '{') return schedule_from_json(text);
    return schedule_from_pytorch_text(text);
  } catch (const Error& error) {
    throw Error(path + ": " + error.what());
  }
}

Schedule schedule_from_options(const po::variables_map& values, FileCheck check) {
  if (values.count("schedule-file")) {
    std::string given;
    for (const char* name : {"schedule", "stages", "microbatches", "chunks", "iterations", "placement"}) {
      if (values.count(name)) given += (given.empty() ? "--" : ", --") + std::string(name);
    }
    if (!given.empty()) {
      throw Error("--schedule-file carries its own schedule and problem: drop " + given);
    }
    const std::string path = values["schedule-file"].as<std::string>();
    Schedule schedule = read_schedule_file(path);
    if (check == FileCheck::Validated) {
      const ValidationReport report = validate_schedule(schedule);
      if (!report.ok()) {
        throw Error(path + ": invalid schedule: " + format_issue(report.issues.front()) +
                    (report.issues.size() > 1
                         ? " (and " + std::to_string(report.issues.size() - 1) +
                               " more: pipewise validate lists them)"
                         : ""));
      }
    }
    return schedule;
  }
  if (!values.count("schedule")) throw Error("--schedule NAME or --schedule-file FILE is required");
  const std::string name = values["schedule"].as<std::string>();
  if (name.find(',') != std::string::npos) {
    throw Error("--schedule takes one schedule here (got \"" + name + "\"); sweep compares several");
  }
  return generated_schedule(values, name, true);
}

std::unique_ptr<ScheduleStream> schedule_stream_from_options(const po::variables_map& values) {
  if (values.count("schedule-file") || !values.count("schedule")) return nullptr;
  const std::string name = values["schedule"].as<std::string>();
  if (name.find(',') != std::string::npos || !can_stream(name)) return nullptr;
  const Problem problem = generated_problem(values, name, true);
  sim::work_to_simulate_streamed(name, problem).throw_if_failed();
  return stream_schedule(name, problem);
}

std::vector<Schedule> schedules_from_options(const po::variables_map& values, FileCheck check) {
  if (values.count("schedule-file") || !values.count("schedule") ||
      values["schedule"].as<std::string>().find(',') == std::string::npos) {
    return {schedule_from_options(values, check)};
  }
  const std::string list = values["schedule"].as<std::string>();
  std::vector<const ScheduleInfo*> infos;
  for (const std::string& name : comma_separated(list, "schedule")) {
    const ScheduleInfo& info = find_schedule(name);
    for (const ScheduleInfo* earlier : infos) {
      if (earlier == &info) throw Error("--schedule \"" + list + "\" names " + info.name + " twice");
    }
    infos.push_back(&info);
  }
  std::vector<Schedule> schedules;
  for (const ScheduleInfo* info : infos) {
    schedules.push_back(generated_schedule(values, info->name, info->uses_chunks));
  }
  return schedules;
}

namespace {

Problem generated_problem(const po::variables_map& values, const std::string& name,
                          bool takes_chunks) {
  if (!values.count("stages")) throw Error("--stages is required");
  if (!values.count("microbatches")) throw Error("--microbatches is required");
  // A schedule that runs on one placement and chunk count (zbv, dualpipe, ...) gets them
  // by default, so that `-s zbv -p 4 -m 8` needs no --placement or -v.
  const ScheduleInfo& info = find_schedule(name);
  Problem problem;
  problem.devices = bounded_option(values, "stages", 1, 1, 65536);
  const std::uint32_t own_chunks = info.fixed_chunks != 0 ? info.fixed_chunks : 1;
  problem.chunks = takes_chunks ? bounded_option(values, "chunks", own_chunks, 1, 65536) : own_chunks;
  problem.placement = info.placement;
  problem.microbatches = bounded_option(values, "microbatches", 1, 1, std::int64_t{1} << 31);
  problem.iterations = bounded_option(values, "iterations", 1, 1, std::int64_t{1} << 31);
  if (values.count("placement")) {
    problem.placement = placement_from_name(values["placement"].as<std::string>());
  }
  return problem;
}

}  // namespace

}  // namespace pipewise::tools
