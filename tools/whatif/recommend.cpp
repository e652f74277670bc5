#include "tools/whatif/recommend.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "common/ir/error.hpp"
#include "common/schedules/registry.hpp"
#include "common/text/format.hpp"
#include "tools/model/megatron_memory.hpp"
#include "tools/whatif/megatron_query.hpp"
#include "tools/whatif/parallel_for.hpp"

namespace pipewise::tools {
namespace {

// Throws when some layer cannot fit on any device however the model is laid out: its
// weights and gradients, its optimizer state sharded as far as the devices allow, and the
// smallest activations it must hold (one micro-batch of the smallest size, rebuilt one
// layer at a time), split as many ways as tensor parallelism allows.
void check_single_layer_fits(const ModelDescription& model) {
  const TrainingSpec& training = model.training;
  const std::vector<std::uint32_t> sizes = tensor_parallel_sizes(model);
  const std::uint32_t widest = *std::max_element(sizes.begin(), sizes.end());
  LayerLayout layout;
  layout.tensor = {widest, true};
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
          "layer {} ({}) alone needs {} (weights, gradients, optimizer state and one micro-batch "
          "of {} activations), more than the {} memory cap",
          i, layer.name, format_bytes(bytes), model.batch.micro_batch_sizes.front(),
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

// The shape whose stages are the model stages of `problem`: bidirectional placement splits
// the model into p stages (each device holds two of them, one per copy), not p·v.
PipelineShape model_stage_shape(PipelineShape shape, const Problem& problem) {
  if (problem.bidirectional()) shape.chunks = 1;
  return shape;
}

void evaluate(const ModelDescription& model, Candidate& candidate) {
  if (!candidate.validity.ok()) return;
  const ScheduleInfo& schedule = find_schedule(candidate.schedule);
  Problem problem;
  problem.devices = candidate.shape.devices;
  problem.chunks = candidate.shape.chunks;
  problem.microbatches = candidate.microbatches;
  problem.placement = schedule.placement;
  if (Status validity = problem.validity(); !validity.ok()) {
    candidate.validity = validity;
    return;
  }
  const Result<PipelineCosts> costs = pipeline_costs(model, model_stage_shape(candidate.shape, problem));
  if (!costs.ok()) {
    candidate.validity = costs.status();
    return;
  }
  if (repeats_even_split(candidate, *costs)) {
    candidate.duplicate = true;
    return;
  }
  const double cap = model.device.hardware.memory_bytes;
  candidate.static_bytes = fullest_static_bytes(*costs, problem);
  candidate.headroom_bytes = cap - candidate.static_bytes;
  if (!schedule.asynchronous && candidate.static_bytes > cap) return;
  Result<PointMetrics> metrics = simulate_point(candidate.schedule, problem, costs->config);
  if (!metrics.ok()) {
    candidate.validity = metrics.status();
    return;
  }
  candidate.metrics = *metrics;
  candidate.static_bytes = metrics->static_bytes;
  candidate.headroom_bytes = cap - metrics->peak_bytes;
  if (model.transformer) {
    candidate.megatron_bytes =
        megatron_theoretical_memory(megatron_query(model, candidate.shape, candidate.microbatches))
            .total_bytes();
  }
  candidate.fits = candidate.headroom_bytes >= 0 && candidate.megatron_bytes <= cap;
}

// 0: fits; 1: exceeds the cap (simulated or pruned); 2: invalid.
int category(const Candidate& candidate) {
  if (candidate.fits) return 0;
  return candidate.validity.ok() ? 1 : 2;
}

}  // namespace

void evaluate_candidates(const ModelDescription& model, std::vector<Candidate>& candidates,
                         unsigned threads) {
  parallel_for(candidates.size(), threads, [&](std::size_t index) { evaluate(model, candidates[index]); });
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
  evaluate_candidates(model, space.candidates, options.threads);
  rank_candidates(space.candidates);

  Recommendation recommendation;
  recommendation.memory_cap_bytes = model.device.hardware.memory_bytes;
  recommendation.target_bubble = options.target_bubble;
  recommendation.target_plans = std::move(space.target_plans);
  recommendation.candidates = std::move(space.candidates);
  for (const Candidate& candidate : recommendation.candidates) {
    if (candidate.fits) ++recommendation.fitting;
    if (category(candidate) == 1) ++recommendation.exceeding;
  }
  return recommendation;
}

}  // namespace pipewise::tools
