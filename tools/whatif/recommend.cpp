#include "tools/whatif/recommend.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "common/ir/error.hpp"
#include "common/schedules/registry.hpp"
#include "common/text/format.hpp"
#include "tools/whatif/parallel_for.hpp"

namespace pipewise::tools {
namespace {

// Throws when some layer cannot fit on any device however the model is laid out: its
// weights and gradients, its optimizer state sharded as far as the devices allow, and the
// smallest activations it must hold (one micro-batch of the smallest size, rebuilt one
// layer at a time).
void check_single_layer_fits(const ModelDescription& model, const std::vector<LayerCost>& layers) {
  const TrainingSpec& training = model.training;
  const double most_replicas =
      training.distributed_optimizer ? model.device.count / model.parallelism.tensor.size : 1.0;
  const double smallest_micro_batch = model.batch.micro_batch_sizes.front();
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const LayerCost& layer = layers[i];
    const double parameters = layer.parameter_bytes / training.weight_bytes_per_parameter;
    const double bytes = 2 * layer.parameter_bytes +
                         parameters * training.optimizer_state_bytes_per_parameter / most_replicas +
                         smallest_micro_batch * layer.activation_bytes;
    if (bytes > model.device.memory_bytes) {
      throw Error(fmt::format(
          "layer {} ({}) alone needs {} (weights, gradients, optimizer state and one micro-batch "
          "of {} activations), more than the {} memory cap",
          i, layer.name, format_bytes(bytes), model.batch.micro_batch_sizes.front(),
          format_bytes(model.device.memory_bytes)));
    }
  }
}

// Static memory of one device under `costs` for a flushed schedule (one weight version).
double flushed_static_bytes(const sim::CostConfig& config) {
  return 2 * config.memory.parameter_bytes + config.memory.optimizer_state_bytes.value_or(0);
}

void evaluate(const ModelDescription& model, const std::vector<LayerCost>& layers,
              Candidate& candidate) {
  if (!candidate.validity.ok()) return;
  const Result<PipelineCosts> costs = pipeline_costs(model, layers, candidate.shape);
  if (!costs.ok()) {
    candidate.validity = costs.status();
    return;
  }
  const double cap = model.device.memory_bytes;
  candidate.static_bytes = flushed_static_bytes(costs->config);
  candidate.headroom_bytes = cap - candidate.static_bytes;
  if (!find_schedule(candidate.schedule).asynchronous && candidate.static_bytes > cap) return;
  Problem problem;
  problem.devices = candidate.shape.devices;
  problem.chunks = candidate.shape.chunks;
  problem.microbatches = candidate.microbatches;
  problem.placement = find_schedule(candidate.schedule).placement;
  Result<PointMetrics> metrics = simulate_point(candidate.schedule, problem, costs->config,
                                                costs->extra_checkpoint_bytes);
  if (!metrics.ok()) {
    candidate.validity = metrics.status();
    return;
  }
  candidate.metrics = *metrics;
  candidate.static_bytes = metrics->static_bytes;
  candidate.headroom_bytes = cap - metrics->peak_bytes;
  candidate.fits = candidate.headroom_bytes >= 0;
}

// 0: fits; 1: exceeds the cap (simulated or pruned); 2: invalid.
int category(const Candidate& candidate) {
  if (candidate.fits) return 0;
  return candidate.validity.ok() ? 1 : 2;
}

}  // namespace

void evaluate_candidates(const ModelDescription& model, const std::vector<LayerCost>& layers,
                         std::vector<Candidate>& candidates, unsigned threads) {
  parallel_for(candidates.size(), threads,
               [&](std::size_t index) { evaluate(model, layers, candidates[index]); });
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
  const std::vector<LayerCost> layers = resolve_layers(model);
  check_single_layer_fits(model, layers);
  SearchSpace space =
      enumerate_candidates(model, static_cast<std::uint32_t>(layers.size()), options);
  evaluate_candidates(model, layers, space.candidates, options.threads);
  rank_candidates(space.candidates);

  Recommendation recommendation;
  recommendation.memory_cap_bytes = model.device.memory_bytes;
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
