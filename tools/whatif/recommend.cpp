#include "tools/whatif/recommend.hpp"

#include <algorithm>
#include <limits>
#include <fmt/format.h>
#include <map>
#include <string>
#include <tuple>

#include "common/ir/error.hpp"
#include "common/schedules/registry.hpp"
#include "common/validate/placement.hpp"
#include "common/text/format.hpp"
#include "sim/bounds.hpp"
#include "sim/memory_estimate.hpp"
#include "sim/program_memory.hpp"
#include "tools/model/megatron_memory.hpp"
#include "tools/whatif/megatron_query.hpp"
#include "tools/whatif/parallel_for.hpp"

namespace pipewise::tools {
namespace {

// Throws when some layer cannot fit on any device however the model is laid out: its
// weights and gradients, its optimizer state sharded as far as the devices allow, and the
// smallest activations it must hold (one micro-batch of the smallest size, rebuilt one
// layer at a time), split as many ways as tensor and context parallelism allow.
void check_single_layer_fits(const ModelDescription& model) {
  const TrainingSpec& training = model.training;
  const std::vector<std::uint32_t> sizes = tensor_parallel_sizes(model);
  const std::uint32_t widest = *std::max_element(sizes.begin(), sizes.end());
  const std::vector<std::uint32_t> contexts = context_parallel_sizes(model);
  const std::uint32_t most_context = *std::max_element(contexts.begin(), contexts.end());
  LayerLayout layout;
  layout.tensor = {widest, true};
  layout.context = most_context;
  layout.micro_batch_size = model.batch.micro_batch_sizes.front();
  const std::vector<LayerCost> layers = resolve_layers(model, layout).layers;
  const double most_replicas =
      training.distributed_optimizer.value_or(true) ? model.device.count / widest : 1.0;
  const double cap = model.device.hardware.memory_bytes;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const LayerCost& layer = layers[i];
    const double bytes =
        layer.parameters * (training.weight_bytes_per_parameter + training.gradient_bytes_per_parameter +
                            training.optimizer_state_bytes_per_parameter / most_replicas) +
        layer.activation_bytes;
    if (bytes > cap) {
      throw Error(fmt::format(
          "layer {} ({}) alone needs {} at t = {}{} (weights, gradients, optimizer state and the "
          "activations of a micro-batch of {}), more than the {} memory cap",
          i, layer.name, format_bytes(bytes), widest,
          most_context > 1 ? fmt::format(", cp = {}", most_context) : std::string(),
          model.batch.micro_batch_sizes.front(),
          format_bytes(cap)));
    }
  }
}

// The static memory of the fullest device (one weight version): the stages it runs under
// the schedule's placement (looped, V-shape, or bidirectional, whose devices each hold two
// model stages, one per copy of the model).
double fullest_static_bytes(const PipelineCosts& costs, const Problem& problem) {
  std::vector<double> per_device(problem.devices, 0.0);
  for (std::uint32_t stage = 0; stage < problem.stages(); ++stage) {
    per_device[problem.device_of_stage(stage)] +=
        costs.memory[problem.model_stage_of(stage)].static_bytes();
  }
  return *std::max_element(per_device.begin(), per_device.end());
}

// A balanced split that gives every stage L / p layers repeats the even one.
bool repeats_even_split(const Candidate& candidate, const PipelineCosts& costs) {
  if (candidate.shape.split != LayerSplit::Balanced) return false;
  const std::uint32_t first = costs.stages.front().layer_count;
  return std::all_of(costs.stages.begin(), costs.stages.end(),
                     [&](const StageSplit& split) { return split.layer_count == first; });
}


// What simulating one candidate needs, from its preparation.
struct PreparedCandidate {
  Problem problem;
  sim::CostConfig costs;
  bool simulate = false;  // valid, not a duplicate, and its static memory may fit
};

// Everything about `candidate` short of simulating it: the problem, the costs, whether its
// layout is valid, and its static memory against the cap.
PreparedCandidate prepare(const ModelDescription& model, Candidate& candidate) {
  PreparedCandidate prepared;
  if (!candidate.validity.ok()) return prepared;
  const ScheduleInfo& schedule = find_schedule(candidate.schedule);
  Problem& problem = prepared.problem;
  problem.devices = candidate.shape.devices;
  problem.chunks = candidate.shape.chunks;
  problem.microbatches = candidate.microbatches;
  problem.placement = schedule.placement;
  if (Status validity = problem.validity(); !validity.ok()) {
    candidate.validity = validity;
    return prepared;
  }
  Result<PipelineCosts> costs = pipeline_costs(model, model_stage_shape(candidate.shape, problem));
  if (!costs.ok()) {
    candidate.validity = costs.status();
    return prepared;
  }
  if (repeats_even_split(candidate, *costs)) {
    candidate.duplicate = true;
    return prepared;
  }
  const double cap = model.device.hardware.memory_bytes;
  candidate.static_bytes = fullest_static_bytes(*costs, problem);
  candidate.headroom_bytes = cap - candidate.static_bytes;
  if (!schedule.asynchronous && candidate.static_bytes > cap) return prepared;
  if (Status accepted = schedule_accepts(candidate.schedule, problem); !accepted.ok()) {
    candidate.validity = accepted;
    return prepared;
  }
  if (Status memory = sim::memory_to_simulate(candidate.schedule, problem); !memory.ok()) {
    candidate.validity = memory;
    return prepared;
  }
  if (model.transformer) {
    candidate.megatron_bytes =
        megatron_theoretical_memory(megatron_query(model, candidate.shape, candidate.microbatches))
            .total_bytes();
  }
  prepared.costs = std::move(costs->config);
  prepared.simulate = true;
  return prepared;
}

// Simulates `candidate` on `schedule` (its generated program) and fills its metrics, fits
// and headroom.
void simulate_candidate(const ModelDescription& model, const Schedule& schedule,
                        const PreparedCandidate& prepared, Candidate& candidate) {
  Result<PointMetrics> metrics = simulate_point(schedule, prepared.costs, /*structure_checked=*/true);
  if (!metrics.ok()) {
    candidate.validity = metrics.status();
    return;
  }
  const double cap = model.device.hardware.memory_bytes;
  candidate.metrics = *metrics;
  candidate.static_bytes = metrics->static_bytes;
  candidate.headroom_bytes = cap - metrics->peak_bytes;
  candidate.fits = candidate.headroom_bytes >= 0 && candidate.megatron_bytes <= cap;
}

// 0: fits; 1: exceeds the cap (simulated or pruned by its static memory); 2: invalid;
// 3: skipped by its lower bound.
int category(const Candidate& candidate) {
  if (candidate.fits) return 0;
  if (candidate.skipped) return 3;
  return candidate.validity.ok() ? 1 : 2;
}


// The step times a candidate must beat to be among the answers: the answers' count-th
// best fitting step overall, and the best fitting step of each schedule and of each p.
// Infinite while not known.
class AnswerThresholds {
 public:
  explicit AnswerThresholds(std::size_t count) : count_(std::max<std::size_t>(count, 1)) {}

  void add_fitting(const Candidate& candidate) {
    const double step = candidate.metrics->makespan_ms;
    best_steps_.insert(std::upper_bound(best_steps_.begin(), best_steps_.end(), step), step);
    if (best_steps_.size() > count_) best_steps_.pop_back();
    lower(by_schedule_, candidate.schedule, step);
    lower(by_stages_, candidate.shape.devices, step);
  }
  // A simulated candidate over the cap: the fastest kOverCapAnswers of them are shown.
  void add_over_cap(const Candidate& candidate) {
    const double step = candidate.metrics->makespan_ms;
    over_cap_steps_.insert(std::upper_bound(over_cap_steps_.begin(), over_cap_steps_.end(), step), step);
    if (over_cap_steps_.size() > kOverCapAnswers) over_cap_steps_.pop_back();
  }
  // Whether a candidate known to be over the cap, with lower bound `bound_ms`, cannot be
  // shown: it cannot beat the best that fits, or cannot be among the fastest over the cap
  // (a tie still could: ties are simulated).
  bool over_cap_hidden(double bound_ms) const {
    const double best = best_steps_.empty() ? kUnknown : best_steps_.front();
    const double slowest_shown =
        over_cap_steps_.size() == kOverCapAnswers ? over_cap_steps_.back() : kUnknown;
    return bound_ms >= best || bound_ms > slowest_shown;
  }
  // The step time `candidate` must get under to matter: the largest of its thresholds.
  double threshold(const Candidate& candidate) const {
    const double overall = best_steps_.size() == count_ ? best_steps_.back() : kUnknown;
    return std::max({overall, find(by_schedule_, candidate.schedule), find(by_stages_, candidate.shape.devices)});
  }

 private:
  static constexpr double kUnknown = std::numeric_limits<double>::infinity();
  template <typename Key>
  static void lower(std::map<Key, double>& best, const Key& key, double step) {
    const auto [where, added] = best.emplace(key, step);
    if (!added) where->second = std::min(where->second, step);
  }
  template <typename Key>
  static double find(const std::map<Key, double>& best, const Key& key) {
    const auto where = best.find(key);
    return where == best.end() ? kUnknown : where->second;
  }
  std::size_t count_;
  std::vector<double> best_steps_;  // ascending, at most count_
  std::vector<double> over_cap_steps_;  // ascending, at most kOverCapAnswers
  std::map<std::string, double> by_schedule_;
  std::map<std::uint32_t, double> by_stages_;
};

// Candidates that differ only in what the costs say (t, recomputation, the distributed
// optimizer, ...) run the same program: the groups of `members` (indices into
// `candidates`) by program, each with its members in the order given.
std::vector<std::vector<std::size_t>> group_by_program(const std::vector<std::size_t>& members,
                                                       const std::vector<PreparedCandidate>& prepared,
                                                       const std::vector<Candidate>& candidates) {
  std::map<std::tuple<std::string, std::uint32_t, std::uint32_t, std::uint32_t, Placement>, std::size_t> index;
  std::vector<std::vector<std::size_t>> groups;
  for (const std::size_t i : members) {
    const Problem& problem = prepared[i].problem;
    const auto [where, added] = index.emplace(
        std::make_tuple(candidates[i].schedule, problem.devices, problem.chunks, problem.microbatches,
                        problem.placement),
        groups.size());
    if (added) groups.emplace_back();
    groups[where->second].push_back(i);
  }
  return groups;
}

// Whether `candidate`'s program already puts a device over the cap (sim/program_memory.hpp:
// the simulator's peaks, exactly, without simulating).
double program_peak_bytes(const Schedule& schedule, const PreparedCandidate& prepared) {
  const Result<sim::CostModel> costs = sim::try_resolve_costs(prepared.costs, prepared.problem);
  if (!costs.ok()) return 0;  // the simulation reports it
  double fullest = 0;
  for (const sim::ProgramMemoryPeak& peak : sim::program_memory_peaks(schedule, *costs)) {
    fullest = std::max(fullest, static_cast<double>(peak.peak_bytes));
  }
  return fullest;
}

// Marks `candidate` over the cap unsimulated, shown so by `peak_bytes`.
void mark_over_cap(Candidate& candidate, double peak_bytes, double cap, bool by_megatron_accounting) {
  candidate.over_cap_unsimulated = true;
  candidate.unsimulated_peak_bytes = peak_bytes;
  candidate.peak_by_megatron_accounting = by_megatron_accounting;
  candidate.headroom_bytes = cap - peak_bytes;
}

// Simulates the candidates of `groups` (each a list of indices into `candidates` that run
// one program) on `threads` threads, generating each program once. Given `thresholds`, a
// candidate that cannot be shown if over the cap (AnswerThresholds::over_cap_hidden) and
// whose program puts a device over the cap is left unsimulated
// (Candidate::over_cap_unsimulated): it can be no answer.
void simulate_groups(const ModelDescription& model, const std::vector<std::vector<std::size_t>>& groups,
                     const std::vector<PreparedCandidate>& prepared, std::vector<Candidate>& candidates,
                     unsigned threads, const AnswerThresholds* thresholds = nullptr) {
  parallel_for(groups.size(), threads, [&](std::size_t group) {
    const std::vector<std::size_t>& indices = groups[group];
    if (indices.empty()) return;
    const Schedule schedule =
        generate_schedule(candidates[indices.front()].schedule, prepared[indices.front()].problem);
    // Checked once here rather than once per simulation.
    const Status structure = check_structure(schedule);
    for (const std::size_t i : indices) {
      if (!structure.ok()) {
        candidates[i].validity = structure;
        continue;
      }
      if (thresholds != nullptr && thresholds->over_cap_hidden(candidates[i].lower_bound_ms)) {
        const double cap = model.device.hardware.memory_bytes;
        if (const double peak = program_peak_bytes(schedule, prepared[i]); peak > cap) {
          mark_over_cap(candidates[i], peak, cap, /*by_megatron_accounting=*/false);
          continue;
        }
      }
      simulate_candidate(model, schedule, prepared[i], candidates[i]);
    }
  });
}

// Marks as dominated the fitting block-recomputation candidates with more recomputed
// layers than a fitting one of the same layout, or whose layout fits without
// recomputation (block recomputation of no layer): the same layout, more slowly. Only
// simulated candidates fit, so what is marked does not depend on the pruning: a layout's
// candidate with fewer recomputed layers has the faster lower bound and is simulated first.
void mark_dominated_block_recomputation(std::vector<Candidate>& candidates) {
  using Layout = std::tuple<std::string, std::uint32_t, std::uint32_t, std::uint32_t, std::uint32_t,
                            std::uint32_t, bool, std::uint32_t, bool, LayerSplit, std::uint32_t>;
  const auto layout = [](const Candidate& candidate) {
    const PipelineShape& shape = candidate.shape;
    return Layout{candidate.schedule, shape.devices, shape.chunks, shape.replicas, shape.micro_batch_size,
                  shape.tensor.size, shape.tensor.sequence_parallel, shape.context,
                  shape.distributed_optimizer, shape.split, candidate.microbatches};
  };
  std::map<Layout, std::uint32_t> fewest;
  for (const Candidate& candidate : candidates) {
    const Recompute recompute = candidate.shape.recompute;
    if ((recompute != Recompute::Block && recompute != Recompute::None) || !candidate.fits) continue;
    const std::uint32_t layers = recompute == Recompute::Block ? candidate.shape.recompute_layers : 0;
    const auto [where, added] = fewest.emplace(layout(candidate), layers);
    if (!added) where->second = std::min(where->second, layers);
  }
  for (Candidate& candidate : candidates) {
    if (candidate.shape.recompute == Recompute::Block && candidate.fits &&
        candidate.shape.recompute_layers > fewest.at(layout(candidate))) {
      candidate.dominated = true;
    }
  }
}

}  // namespace

void evaluate_candidates(const ModelDescription& model, std::vector<Candidate>& candidates,
                         const RecommendOptions& options) {
  const unsigned threads = options.threads;
  std::vector<PreparedCandidate> prepared(candidates.size());
  parallel_for(candidates.size(), threads, [&](std::size_t index) {
    prepared[index] = prepare(model, candidates[index]);
    if (!prepared[index].simulate) return;
    const Result<sim::CostModel> costs = sim::try_resolve_costs(prepared[index].costs, prepared[index].problem);
    if (costs.ok()) {
      candidates[index].lower_bound_ms =
          sim::schedule_free_lower_bound(*costs, find_schedule(candidates[index].schedule).splits_backward);
    }
  });
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (prepared[i].simulate) order.push_back(i);
  }
  if (options.exhaustive) {
    simulate_groups(model, group_by_program(order, prepared, candidates), prepared, candidates, threads);
  } else {
    // Programs in the order of their fastest member's bound, in waves of about kWave
    // candidates; each program is generated once, in its wave. Between waves the
    // thresholds tighten, and a candidate whose bound is slower than every answer it could
    // be is skipped. Decisions are taken between waves only, so the outcome does not
    // depend on the threads' timing.
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return candidates[a].lower_bound_ms < candidates[b].lower_bound_ms;
    });
    const std::vector<std::vector<std::size_t>> groups = group_by_program(order, prepared, candidates);
    constexpr std::size_t kWave = 256;
    AnswerThresholds thresholds(options.exact_answers);
    for (std::size_t next = 0; next < groups.size();) {
      std::vector<std::vector<std::size_t>> wave;
      std::size_t size = 0;
      for (; next < groups.size() && size < kWave; ++next) {
        std::vector<std::size_t> members;
        for (const std::size_t i : groups[next]) {
          Candidate& candidate = candidates[i];
          if (candidate.lower_bound_ms > thresholds.threshold(candidate)) {
            candidate.skipped = true;
          } else if (candidate.megatron_bytes > model.device.hardware.memory_bytes &&
                     thresholds.over_cap_hidden(candidate.lower_bound_ms)) {
            // Over the cap by Megatron-LM's accounting, which needs not even the program:
            // it cannot fit, and it cannot be shown over the cap either (simulate_groups
            // does the same with the peaks of its program).
            mark_over_cap(candidate, candidate.megatron_bytes, model.device.hardware.memory_bytes,
                          /*by_megatron_accounting=*/true);
          } else {
            members.push_back(i);
          }
        }
        size += members.size();
        wave.push_back(std::move(members));
      }
      simulate_groups(model, wave, prepared, candidates, threads, &thresholds);
      for (const std::vector<std::size_t>& members : wave) {
        for (const std::size_t i : members) {
          if (candidates[i].fits) {
            thresholds.add_fitting(candidates[i]);
          } else if (candidates[i].metrics) {
            thresholds.add_over_cap(candidates[i]);
          }
        }
      }
    }
  }
  mark_dominated_block_recomputation(candidates);
  candidates.erase(std::remove_if(candidates.begin(), candidates.end(),
                                  [](const Candidate& candidate) { return candidate.duplicate; }),
                   candidates.end());
}

void rank_candidates(std::vector<Candidate>& candidates) {
  std::stable_sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    const int category_a = category(a);
    const int category_b = category(b);
    if (category_a != category_b) return category_a < category_b;
    if (category_a == 2) return false;
    if (category_a == 3) return a.lower_bound_ms < b.lower_bound_ms;
    if (a.dominated != b.dominated) return b.dominated;
    if (a.metrics.has_value() != b.metrics.has_value()) return a.metrics.has_value();
    if (a.metrics && a.metrics->makespan_ms != b.metrics->makespan_ms) {
      return a.metrics->makespan_ms < b.metrics->makespan_ms;
    }
    return a.peak_bytes() < b.peak_bytes();
  });
}

Recommendation recommend(const ModelDescription& model, const RecommendOptions& options) {
  model.check();
  check_single_layer_fits(model);
  SearchSpace space = enumerate_candidates(model, model.layer_count(), options);
  evaluate_candidates(model, space.candidates, options);
  rank_candidates(space.candidates);

  Recommendation recommendation;
  recommendation.memory_cap_bytes = model.device.hardware.memory_bytes;
  recommendation.target_bubble = options.target_bubble;
  recommendation.target_plans = std::move(space.target_plans);
  recommendation.candidates = std::move(space.candidates);
  for (const Candidate& candidate : recommendation.candidates) {
    if (candidate.fits) ++recommendation.fitting;
    if (candidate.dominated) ++recommendation.dominated;
    if (category(candidate) == 1) ++recommendation.exceeding;
    if (candidate.skipped) ++recommendation.skipped;
    if (candidate.over_cap_unsimulated) ++recommendation.over_cap_unsimulated;
  }
  return recommendation;
}

PipelineShape model_stage_shape(PipelineShape shape, const Problem& problem) {
  if (problem.bidirectional()) shape.chunks = 1;
  return shape;
}

}  // namespace pipewise::tools
