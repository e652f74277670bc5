#include "tools/whatif/recommend.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "common/ir/error.hpp"
#include "common/schedules/registry.hpp"
#include "sim/closed_forms.hpp"
#include "common/text/format.hpp"
#include "tools/whatif/parallel_for.hpp"
#include "common/text/format.hpp"

namespace pipewise::tools {
namespace {

std::vector<std::string> default_schedules() {
  std::vector<std::string> names;
  for (const ScheduleInfo& info : schedule_catalog()) {
    if (!info.asynchronous) names.push_back(info.name);
  }
  return names;
}

std::vector<std::uint32_t> divisors_up_to(std::uint32_t value, std::uint32_t limit) {
  std::vector<std::uint32_t> divisors;
  for (std::uint32_t d = 1; d <= value && d <= limit; ++d) {
    if (value % d == 0) divisors.push_back(d);
  }
  return divisors;
}

// Megatron-LM's rule for interleaving: every chunk holds L / (p·v) layers, a whole number.
std::vector<std::uint32_t> default_chunks(std::uint32_t layers, std::uint32_t devices) {
  std::vector<std::uint32_t> chunks;
  if (layers % devices != 0) return chunks;
  for (std::uint32_t v = 2; v <= 16; ++v) {
    if ((layers / devices) % v == 0) chunks.push_back(v);
  }
  return chunks;
}

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

TargetBubblePlan plan_for_target(std::uint32_t devices, std::uint32_t replicas,
                                 std::uint64_t global_batch, double target) {
  TargetBubblePlan plan;
  plan.devices = devices;
  plan.replicas = replicas;
  plan.needed_microbatches = sim::microbatches_for_bubble_ratio(devices, target);
  const std::uint64_t per_replica = global_batch / replicas;
  // The smallest divisor of per_replica that is at least the m needed, in O(√per_replica).
  std::uint64_t smallest = 0;
  for (std::uint64_t low = 1; low <= per_replica / low; ++low) {
    if (per_replica % low != 0) continue;
    for (const std::uint64_t divisor : {low, per_replica / low}) {
      if (divisor >= plan.needed_microbatches && (smallest == 0 || divisor < smallest)) smallest = divisor;
    }
  }
  if (smallest != 0 && smallest <= UINT32_MAX) {
    plan.microbatches = static_cast<std::uint32_t>(smallest);
    plan.micro_batch_size = static_cast<std::uint32_t>(per_replica / smallest);
  }
  // Unreachable targets report the bubble of the most micro-batches possible (b = 1).
  const std::uint64_t m = plan.microbatches.value_or(std::min<std::uint64_t>(per_replica, UINT32_MAX));
  plan.bubble = sim::flushed_bubble_ratio(devices, static_cast<std::uint32_t>(std::max<std::uint64_t>(1, m)));
  return plan;
}

// Static memory of one device under `costs` for a flushed schedule (one weight version).
double flushed_static_bytes(const sim::CostConfig& config) {
  return 2 * config.memory.parameter_bytes + config.memory.optimizer_state_bytes.value_or(0);
}

int category(const Candidate& candidate) {
  if (candidate.fits) return 0;
  if (candidate.result.ran || candidate.skipped_by_static_memory) return 1;
  return 2;
}

}  // namespace

Recommendation recommend(const ModelDescription& model, const RecommendOptions& options) {
  model.check();
  const std::vector<LayerCost> layers = resolve_layers(model);
  const auto layer_count = static_cast<std::uint32_t>(layers.size());
  check_single_layer_fits(model, layers);

  const std::vector<std::string> schedules =
      options.schedules.empty() ? default_schedules() : options.schedules;
  std::vector<Recompute> recomputes = options.recompute;
  if (recomputes.empty()) {
    recomputes = {Recompute::None, Recompute::Full};
    if (model.transformer) recomputes.insert(recomputes.begin() + 1, Recompute::Selective);
  }
  const std::uint32_t tensor = model.parallelism.tensor.size;
  const std::uint32_t pipeline_and_data = model.device.count / tensor;
  std::vector<std::uint32_t> stages = options.stages;
  if (stages.empty()) {
    stages = model.parallelism.data ? std::vector<std::uint32_t>{pipeline_and_data / *model.parallelism.data}
                                    : divisors_up_to(pipeline_and_data, layer_count);
  }

  Recommendation recommendation;
  recommendation.memory_cap_bytes = model.device.memory_bytes;
  recommendation.target_bubble = options.target_bubble;
  std::vector<Candidate>& candidates = recommendation.candidates;
  const auto invalid = [&](Candidate candidate, std::string reason) {
    candidate.result.skip_reason = std::move(reason);
    candidates.push_back(std::move(candidate));
  };
  for (const std::uint32_t p : stages) {
    Candidate base;
    base.shape.devices = p;
    if (pipeline_and_data % p != 0) {
      invalid(base, fmt::format("p = {} does not divide the {} devices left by tensor parallelism {}",
                                p, pipeline_and_data, tensor));
      continue;
    }
    const std::uint32_t d = model.parallelism.data.value_or(pipeline_and_data / p);
    base.shape.replicas = d;
    if (std::uint64_t{p} * d != pipeline_and_data) {
      invalid(base, fmt::format("p·d·t = {}·{}·{} is not the {} devices", p, d, tensor,
                                model.device.count));
      continue;
    }
    std::vector<std::uint32_t> micro_sizes = model.batch.micro_batch_sizes;
    if (options.target_bubble) {
      const TargetBubblePlan plan = plan_for_target(p, d, model.batch.global, *options.target_bubble);
      if (plan.micro_batch_size) micro_sizes.push_back(*plan.micro_batch_size);
      recommendation.target_plans.push_back(plan);
    }
    std::sort(micro_sizes.begin(), micro_sizes.end());
    micro_sizes.erase(std::unique(micro_sizes.begin(), micro_sizes.end()), micro_sizes.end());
    for (const std::uint32_t b : micro_sizes) {
      base.shape.micro_batch_size = b;
      const std::uint64_t per_step = std::uint64_t{b} * d;
      if (model.batch.global % per_step != 0) {
        invalid(base, fmt::format("the global batch {} is not a multiple of b·d = {}·{}",
                                  model.batch.global, b, d));
        continue;
      }
      if (model.batch.global / per_step > UINT32_MAX) {
        invalid(base, "more than 2^32 micro-batches");
        continue;
      }
      base.microbatches = static_cast<std::uint32_t>(model.batch.global / per_step);
      for (const Recompute recompute : recomputes) {
        base.shape.recompute = recompute;
        for (const std::string& schedule : schedules) {
          base.schedule = schedule;
          const bool chunked = find_schedule(schedule).uses_chunks;
          std::vector<std::uint32_t> chunk_list{1};
          if (chunked) chunk_list = options.chunks.empty() ? default_chunks(layer_count, p) : options.chunks;
          for (const std::uint32_t v : chunk_list) {
            base.shape.chunks = v;
            candidates.push_back(base);
          }
        }
      }
    }
  }
  if (candidates.empty()) throw Error("nothing to search: no schedule, stage count or chunk count");

  parallel_for(candidates.size(), options.threads, [&](std::size_t index) {
    Candidate& candidate = candidates[index];
    if (!candidate.result.skip_reason.empty()) return;
    PipelineCosts costs;
    try {
      costs = pipeline_costs(model, layers, candidate.shape);
    } catch (const Error& error) {
      candidate.result.skip_reason = error.what();
      return;
    }
    const double static_bytes = flushed_static_bytes(costs.config);
    if (!find_schedule(candidate.schedule).asynchronous && static_bytes > model.device.memory_bytes) {
      candidate.skipped_by_static_memory = true;
      candidate.result.peak_bytes = static_bytes;
      candidate.result.static_bytes = static_bytes;
      candidate.headroom_bytes = model.device.memory_bytes - static_bytes;
      return;
    }
    Problem problem;
    problem.devices = candidate.shape.devices;
    problem.chunks = candidate.shape.chunks;
    problem.microbatches = candidate.microbatches;
    candidate.result = simulate_point(candidate.schedule, problem, costs.config,
                                      costs.extra_checkpoint_bytes);
    if (!candidate.result.ran) return;
    candidate.headroom_bytes = model.device.memory_bytes - candidate.result.peak_bytes;
    candidate.fits = candidate.headroom_bytes >= 0;
  });

  std::stable_sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    const int category_a = category(a);
    const int category_b = category(b);
    if (category_a != category_b) return category_a < category_b;
    if (a.result.ran != b.result.ran) return a.result.ran;  // simulated before pruned ones
    if (a.result.makespan_ms != b.result.makespan_ms) return a.result.makespan_ms < b.result.makespan_ms;
    return a.result.peak_bytes < b.result.peak_bytes;
  });
  for (const Candidate& candidate : candidates) {
    if (candidate.fits) ++recommendation.fitting;
    if (category(candidate) == 1) ++recommendation.exceeding;
  }
  return recommendation;
}

std::string explain_versus_best(const Candidate& candidate, const Candidate& best,
                                double memory_cap_bytes) {
  const PointResult& result = candidate.result;
  if (!result.ran && !candidate.skipped_by_static_memory) return "invalid: " + result.skip_reason;
  if (candidate.skipped_by_static_memory) {
    return fmt::format("exceeds memory: weights, gradients and optimizer state alone need {} of {}",
                       format_bytes(result.static_bytes), format_bytes(memory_cap_bytes));
  }
  const double slower = result.makespan_ms / best.result.makespan_ms - 1;
  if (!candidate.fits) {
    std::string text = fmt::format("exceeds memory by {} on device {}",
                                   format_bytes(result.peak_bytes - memory_cap_bytes),
                                   result.peak_device);
    if (slower < 0) text += " (would be " + format_percent(-slower) + " faster)";
    return text;
  }
  if (&candidate == &best) return "best";
  if (std::fabs(slower) < 5e-4) return "ties with the best (within 0.05%)";
  // step = mean busy / (1 − bubble): split the slowdown into its compute and idle factors.
  const double compute = std::log(result.mean_busy_ms / best.result.mean_busy_ms);
  const double idle = std::log((1 - best.result.bubble_ratio) / (1 - result.bubble_ratio));
  const auto compute_reason = [&] {
    const double extra = result.mean_busy_ms / best.result.mean_busy_ms - 1;
    if (candidate.shape.recompute != best.shape.recompute && candidate.shape.recompute != Recompute::None) {
      return fmt::format("{} recomputation ({:+.1f}% compute per device)",
                         recompute_name(candidate.shape.recompute), extra * 100);
    }
    return fmt::format("more compute per device ({:+.1f}%)", extra * 100);
  };
  const auto idle_reason = [&] {
    // Without a pipeline, idle time can only be waiting for the gradient all-reduce.
    if (candidate.shape.devices == 1 && candidate.shape.replicas > 1) {
      return fmt::format("waits for the data-parallel all-reduce ({} of the step idle vs {})",
                         format_percent(result.bubble_ratio), format_percent(best.result.bubble_ratio));
    }
    return fmt::format("larger bubble ({} vs {})", format_percent(result.bubble_ratio),
                       format_percent(best.result.bubble_ratio));
  };
  std::string text = format_percent(slower) + " slower: ";
  if (compute >= idle) {
    text += compute_reason();
    if (idle < -1e-4) {
      text += fmt::format(", despite a smaller bubble ({} vs {})", format_percent(result.bubble_ratio),
                          format_percent(best.result.bubble_ratio));
    } else if (idle > 1e-3) {
      text += " and " + idle_reason();
    }
  } else {
    text += idle_reason();
    if (compute < -1e-4) {
      text += fmt::format(", despite less compute per device ({:+.1f}%)",
                          (result.mean_busy_ms / best.result.mean_busy_ms - 1) * 100);
    } else if (compute > 1e-3) {
      text += " and " + compute_reason();
    }
  }
  return text;
}

std::vector<std::string> rule_of_thumb_warnings(const Candidate& candidate, std::uint32_t layers) {
  std::vector<std::string> warnings;
  const PipelineShape& shape = candidate.shape;
  if (shape.devices > 1 && std::uint64_t{candidate.microbatches} < 4ull * shape.devices) {
    warnings.push_back(fmt::format(
        "m = {} < 4p = {} (rule of thumb m >= 4p): the flushed bubble (p-1)/(v·m+p-1) is {}",
        candidate.microbatches, 4 * shape.devices,
        format_percent(sim::flushed_bubble_ratio(shape.devices, candidate.microbatches, shape.chunks))));
  }
  const std::uint64_t stages = std::uint64_t{shape.devices} * shape.chunks;
  if (layers % stages != 0) {
    warnings.push_back(fmt::format("p·v = {} does not divide the {} layers: stages are uneven and the "
                                   "slowest one sets the pace", stages, layers));
  }
  return warnings;
}

}  // namespace pipewise::tools
