#include "tools/cli/schedule_options.hpp"

#include "common/io/atomic_file.hpp"
#include "common/io/json_schedule.hpp"
#include "common/io/pytorch_text.hpp"
#include "common/ir/error.hpp"
#include "common/schedules/registry.hpp"

namespace po = boost::program_options;

namespace pipewise::tools {

void add_schedule_options(po::options_description& options) {
  std::string names;
  for (const auto& info : schedule_catalog()) {
    names += "\n  " + info.name;
    for (const auto& alias : info.aliases) names += " (= " + alias + ")";
    names += ": " + info.summary;
  }
  options.add_options()
      ("schedule,s", po::value<std::string>(), ("schedule to generate:" + names).c_str())
      ("stages,p", po::value<std::int64_t>(), "pipeline devices p")
      ("pipeline-model-parallel-size", po::value<std::int64_t>(), "Megatron alias of --stages")
      ("microbatches,m", po::value<std::int64_t>(), "micro-batches per iteration m")
      ("chunks,v", po::value<std::int64_t>(), "model chunks per device v (default 1)")
      ("virtual-pipeline-model-parallel-size", po::value<std::int64_t>(),
       "Megatron alias of --chunks")
      ("iterations,n", po::value<std::int64_t>(), "training iterations n (default 1)")
      ("placement", po::value<std::string>()->default_value("looped"),
       "chunk placement: looped (stage s on device s mod p) or v-shape (v = 2)")
      ("schedule-file", po::value<std::string>(),
       "read the schedule from a file (JSON or PyTorch text) instead of generating it");
}

namespace {
// The value of --NAME or of its Megatron alias, which must not disagree.
std::uint32_t sized_option(const po::variables_map& values, const std::string& name,
                           const std::string& alias, std::uint32_t fallback,
                           std::int64_t maximum) {
  if (values.count(name) && values.count(alias) &&
      values[name].as<std::int64_t>() != values[alias].as<std::int64_t>()) {
    throw Error("--" + name + " and --" + alias + " disagree");
  }
  const std::string& given = values.count(alias) ? alias : name;
  return bounded_option(values, given, fallback, 1, maximum);
}
}  // namespace

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

Schedule schedule_from_options(const po::variables_map& values) {
  if (values.count("schedule-file")) {
    if (values.count("schedule")) throw Error("give either --schedule or --schedule-file, not both");
    return read_schedule_file(values["schedule-file"].as<std::string>());
  }
  if (!values.count("schedule")) throw Error("--schedule NAME or --schedule-file FILE is required");
  if (!values.count("stages") && !values.count("pipeline-model-parallel-size")) {
    throw Error("--stages is required");
  }
  if (!values.count("microbatches")) throw Error("--microbatches is required");
  Problem problem;
  problem.devices = sized_option(values, "stages", "pipeline-model-parallel-size", 1, 65536);
  problem.chunks = sized_option(values, "chunks", "virtual-pipeline-model-parallel-size", 1, 65536);
  problem.microbatches = bounded_option(values, "microbatches", 1, 1, std::int64_t{1} << 31);
  problem.iterations = bounded_option(values, "iterations", 1, 1, std::int64_t{1} << 31);
  problem.placement = placement_from_name(values["placement"].as<std::string>());
  return generate_schedule(values["schedule"].as<std::string>(), problem);
}

}  // namespace pipewise::tools
