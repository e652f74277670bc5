#include "tools/compare/profiled_recommend.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <optional>
#include <utility>

#include "common/ir/error.hpp"
#include "common/ir/lower.hpp"
#include "common/schedules/registry.hpp"
#include "common/text/format.hpp"
#include "exec/model/mlp_model.hpp"
#include "exec/model/optimizer.hpp"
#include "sim/engine.hpp"
#include "sim/memory_estimate.hpp"
#include "sim/metrics.hpp"
#include "sim/program_memory.hpp"
#include "tools/compare/cost_from_profile.hpp"
#include "tools/compare/measured_costs.hpp"
#include "tools/compare/predicted_run.hpp"

namespace pipewise::tools {
namespace {

// The most ops (generated, then simulated) one search takes: each configuration's schedule is
// generated, lowered, simulated once and its memory replayed per device, about 10 M ops a
// second here.
constexpr std::uint64_t kMostSearchOps = std::uint64_t{1} << 25;

std::vector<std::string> synchronous_schedules() {
  std::vector<std::string> names;
  for (const ScheduleInfo& info : schedule_catalog()) {
    if (!info.asynchronous) names.push_back(info.name);
  }
  return names;
}

std::vector<std::uint32_t> divisors(std::uint32_t value) {
  std::vector<std::uint32_t> found;
  for (std::uint32_t d = 1; d <= value; ++d) {
    if (value % d == 0) found.push_back(d);
  }
  return found;
}

// The v to try for `info` at p stages of a model of `layers` layers.
std::vector<std::uint32_t> chunks_for(const ScheduleInfo& info, std::uint32_t stages, std::uint32_t layers,
                                      const std::vector<std::uint32_t>& asked) {
  if (info.fixed_chunks != 0) return {info.fixed_chunks};
  if (!info.uses_chunks) return {1};
  if (!asked.empty()) return asked;
  std::vector<std::uint32_t> chunks;
  for (std::uint32_t v = 2; std::uint64_t{v} * stages <= layers; ++v) chunks.push_back(v);
  return chunks;
}

// The optimizer the profile ran, for its state's size (the learning rate does not matter).
exec::OptimizerConfig optimizer_named(const std::string& name) {
  if (name == "adam") return exec::OptimizerConfig::adam(0.001f);
  return exec::OptimizerConfig::sgd(0.01f, name == "momentum" ? 0.9f : 0.0f);
}

// What `pipewise run --costs` predicts a configuration from: its lowered schedule, the timing
// costs and each device's memory share.
struct RunModel {
  Schedule lowered;
  sim::CostConfig timing;
  std::vector<sim::MemoryConfig> memory;  // per device
};

// The run model of `candidate` on `problem` (valid: the schedule accepts it, the model can be
// split for it).
RunModel run_model(const ProfiledCandidate& candidate, const Problem& problem, const sim::CostConfig& file,
                   const std::string& path) {
  const sim::ProfileOrigin& origin = *file.profile;
  const exec::MlpModel model(exec::MlpConfig{origin.widths}, problem.model_stages());
  RunModel run;
  run.lowered = lower_communication(generate_schedule(candidate.schedule, problem));
  run.timing = costs_for_run(file, path, model, problem, origin.microbatch_size, origin.optimizer);
  run.timing.data_parallel.replicas = candidate.replicas;
  const exec::OptimizerConfig optimizer = optimizer_named(origin.optimizer);
  for (std::uint32_t d = 0; d < problem.devices; ++d) {
    run.memory.push_back(device_memory_config(model, problem, d, origin.microbatch_size, optimizer));
  }
  return run;
}

Problem problem_of(const ProfiledCandidate& candidate) {
  Problem problem;
  problem.devices = candidate.stages;
  problem.chunks = candidate.chunks;
  problem.microbatches = candidate.microbatches;
  problem.placement = find_schedule(candidate.schedule).placement;
  return problem;
}

// Predicts `candidate`, valid for `problem` (the schedule accepts it, the model can be split
// for it, it can be simulated here), without a timeline: one simulation for the times, and
// each device's peak from its program under its own memory share.
void predict_valid(ProfiledCandidate& candidate, const Problem& problem, const sim::CostConfig& file,
                   const std::string& path, const ProfiledSearch& search) {
  RunModel run = run_model(candidate, problem, file, path);
  for (std::uint32_t d = 0; d < problem.devices; ++d) {
    run.timing.memory = run.memory[d];
    const sim::CostModel resolved = sim::resolve_costs(run.timing, problem);
    if (d == 0) {
      const sim::SimulationResult result = sim::simulate(run.lowered, resolved);
      const sim::Metrics metrics = sim::compute_metrics(result, resolved);
      candidate.step_ms = metrics.makespan_ms;
      candidate.bubble_ratio = metrics.bubble_ratio.value_or(0.0);
    }
    const sim::ProgramMemoryPeak peak = sim::program_memory_peaks(run.lowered, resolved)[d];
    if (d == 0 || peak.peak_bytes > candidate.peak_bytes) {
      candidate.peak_bytes = peak.peak_bytes;
      candidate.static_bytes = peak.static_bytes;
      candidate.peak_device = d;
    }
  }
  candidate.fits = !search.memory_cap_bytes ||
                   static_cast<double>(candidate.peak_bytes) <= *search.memory_cap_bytes;
}

// The problem of `candidate` (its fields other than m and the outcome set), or none with its
// validity set to the reason it cannot be run or predicted.
std::optional<Problem> plan(ProfiledCandidate& candidate, const sim::CostConfig& file,
                            const ProfiledSearch& search) {
  const sim::ProfileOrigin& origin = *file.profile;
  const std::uint64_t per_microbatch = std::uint64_t{origin.microbatch_size} * candidate.replicas;
  if (search.global_batch % per_microbatch != 0 || search.global_batch / per_microbatch > UINT32_MAX) {
    candidate.validity = Status::failure(fmt::format(
        "the global batch {} is not a whole number of micro-batches of {} samples on each of d = {} "
        "replica(s)",
        search.global_batch, origin.microbatch_size, candidate.replicas));
    return std::nullopt;
  }
  candidate.microbatches = static_cast<std::uint32_t>(search.global_batch / per_microbatch);
  if (candidate.replicas > 1 && file.data_parallel.replicas <= 1) {
    candidate.validity = Status::failure(
        "d > 1 replicas need the all-reduce measured: profile under mpirun with p·d ranks, d > 1");
    return std::nullopt;
  }
  const Problem problem = problem_of(candidate);
  if (Status accepted = schedule_accepts(candidate.schedule, problem); !accepted.ok()) {
    candidate.validity = std::move(accepted);
    return std::nullopt;
  }
  if (origin.backend == "cuda" && problem.bidirectional()) {  // CudaBackend::prepare refuses it
    candidate.validity = Status::failure(
        "the CUDA backend runs one model copy: bidirectional placement runs on --backend cpu");
    return std::nullopt;
  }
  const std::uint32_t layers = static_cast<std::uint32_t>(origin.layers.size());
  if (problem.model_stages() > layers) {
    candidate.validity = Status::failure(fmt::format("the model's {} layers cannot make {} stages",
                                                     layers, problem.model_stages()));
    return std::nullopt;
  }
  if (Status memory = sim::memory_to_simulate(candidate.schedule, problem); !memory.ok()) {
    candidate.validity = std::move(memory);
    return std::nullopt;
  }
  return problem;
}

// Quotes `word` for a POSIX shell unless it is made only of characters a shell leaves alone;
// a word with control characters becomes bash's $'...' with each as \xHH, so that none
// reaches the terminal raw.
std::string shell_word(const std::string& word) {
  const bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.' || c == '/' || c == ',' || c == '=' || c == ':';
  });
  if (plain) return word;
  const auto control = [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; };
  if (std::none_of(word.begin(), word.end(), control)) {
    std::string quoted = "'";
    for (const char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return quoted + "'";
  }
  std::string quoted = "$'";
  for (const char c : word) {
    if (control(c)) {
      quoted += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    } else if (c == '\'' || c == '\\') {
      quoted += std::string("\\") + c;
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

}  // namespace

ProfiledRecommendation recommend_from_profile(const sim::CostConfig& file, const std::string& path,
                                              const ProfiledSearch& search) {
  if (!file.profile) {
    throw Error(path + " has no \"profile\" section: recommend --costs needs a cost file written by "
                       "pipewise profile, which describes the model to lay out");
  }
  if (search.devices == 0) throw Error("recommend --costs needs at least one device");
  if (search.global_batch == 0) throw Error("recommend --costs needs a global batch of at least one sample");
  const std::uint32_t layers = static_cast<std::uint32_t>(file.profile->layers.size());
  const std::vector<std::string> schedules =
      search.schedules.empty() ? synchronous_schedules() : search.schedules;
  const std::vector<std::uint32_t> stages = search.stages.empty() ? divisors(search.devices) : search.stages;

  ProfiledRecommendation recommendation;
  std::vector<std::optional<Problem>> problems;  // of each candidate that can be predicted
  std::uint64_t ops = 0;
  for (const std::string& name : schedules) {
    const ScheduleInfo& info = find_schedule(name);
    for (const std::uint32_t p : stages) {
      for (const std::uint32_t v : chunks_for(info, p, layers, search.chunks)) {
        ProfiledCandidate candidate;
        candidate.schedule = info.name;
        candidate.stages = p;
        candidate.chunks = v;
        std::optional<Problem> problem;
        if (p == 0 || search.devices % p != 0) {
          candidate.validity = Status::failure(
              fmt::format("p = {} does not divide the {} devices", p, search.devices));
        } else {
          candidate.replicas = search.devices / p;
          problem = plan(candidate, file, search);
        }
        if (problem && __builtin_add_overflow(ops, max_op_count(info, *problem), &ops)) ops = UINT64_MAX;
        recommendation.candidates.push_back(std::move(candidate));
        problems.push_back(std::move(problem));
      }
    }
  }
  if (ops > kMostSearchOps) {
    throw Error(fmt::format(
        "the search would simulate {} ops, more than the {} this command takes (about half a "
        "minute): narrow it with -s, -p or -v, or ask for a smaller --global-batch-size",
        format_count(ops), format_count(kMostSearchOps)));
  }
  for (std::size_t i = 0; i < problems.size(); ++i) {
    if (!problems[i]) continue;
    ProfiledCandidate& candidate = recommendation.candidates[i];
    try {
      predict_valid(candidate, *problems[i], file, path, search);
    } catch (const Error& error) {
      candidate.validity = Status::failure(error.what());
    }
  }
  if (recommendation.candidates.empty()) {
    throw Error(fmt::format("nothing to search: no v of these schedules makes p·v at most the model's {} layers",
                            layers));
  }
  // Fitting ones first, then those over the cap, then the invalid ones: each group by step
  // time, ties to the smaller peak (stable: then the search order).
  const auto group = [](const ProfiledCandidate& c) { return !c.validity.ok() ? 2 : c.fits ? 0 : 1; };
  std::stable_sort(recommendation.candidates.begin(), recommendation.candidates.end(),
                   [&](const ProfiledCandidate& a, const ProfiledCandidate& b) {
                     if (group(a) != group(b)) return group(a) < group(b);
                     if (group(a) == 2) return false;
                     if (a.step_ms != b.step_ms) return a.step_ms < b.step_ms;
                     return a.peak_bytes < b.peak_bytes;
                   });
  for (const ProfiledCandidate& candidate : recommendation.candidates) {
    if (group(candidate) == 0) ++recommendation.fitting;
    if (group(candidate) == 1) ++recommendation.exceeding;
  }
  return recommendation;
}

std::string run_command_line(const ProfiledCandidate& candidate, const sim::ProfileOrigin& origin,
                             const std::string& costs_path) {
  std::string line;
  const std::uint32_t ranks = candidate.stages * candidate.replicas;
  if (origin.processes > 1 || candidate.replicas > 1) line = fmt::format("mpirun -np {} ", ranks);
  line += fmt::format("pipewise run --backend {} -s {} -p {}", origin.backend, candidate.schedule,
                      candidate.stages);
  if (candidate.chunks > 1) line += fmt::format(" -v {}", candidate.chunks);
  line += fmt::format(" -m {} --model {} --microbatch-size {} --optimizer {} --costs {}",
                      candidate.microbatches, exec::widths_text(origin.widths), origin.microbatch_size, origin.optimizer,
                      shell_word(costs_path));
  return line;
}

PredictedRun predict_with_timeline(const sim::CostConfig& file, const std::string& path,
                                   ProfiledCandidate candidate, std::uint32_t microbatches) {
  candidate.microbatches = microbatches;
  const Problem problem = problem_of(candidate);
  schedule_accepts(candidate.schedule, problem).throw_if_failed();
  const RunModel run = run_model(candidate, problem, file, path);
  return predict_run(run.lowered, run.timing, run.memory);
}

}  // namespace pipewise::tools
