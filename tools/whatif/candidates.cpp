#include "tools/whatif/candidates.hpp"

#include <algorithm>
#include <utility>
#include <fmt/format.h>

#include "common/ir/error.hpp"
#include "common/schedules/registry.hpp"
#include "sim/closed_forms.hpp"

namespace pipewise::tools {
namespace {

// The synchronous schedules with a full backward on looped placement. The zero-bubble
// family (split backward, V-shape or bidirectional placement) is searched when named with
// --schedule: each schedule adds a whole grid of simulations, and nine more would make the
// default search several times slower.
std::vector<std::string> default_schedules() {
  std::vector<std::string> names;
  for (const ScheduleInfo& info : schedule_catalog()) {
    if (!info.asynchronous && !info.splits_backward && info.placement == Placement::Looped) {
      names.push_back(info.name);
    }
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

// Megatron-LM's rules for interleaving: at least two pipeline stages ("pipeline-model-parallel
// size should be greater than 1 with interleaved schedule"), and every chunk holds
// L / (p·v) layers, a whole number, or for a transformer (L + 2) / (p·v) with the embedding
// and the loss counted as layers.
std::vector<std::uint32_t> default_chunks(std::uint32_t layers, std::uint32_t devices, bool transformer) {
  std::vector<std::uint32_t> chunks;
  if (devices < 2) return chunks;
  for (std::uint32_t v = 2; v <= 16; ++v) {
    const std::uint64_t stages = std::uint64_t{v} * devices;
    if (layers % stages == 0 || (transformer && splits_counting_embedding_and_loss(layers, stages))) {
      chunks.push_back(v);
    }
  }
  return chunks;
}

// Every t (tensor_parallel_sizes) with every cp (context_parallel_sizes) whose product
// divides the devices, cp = 1 first.
std::vector<std::pair<std::uint32_t, std::uint32_t>> tensor_and_context_sizes(const ModelDescription& model) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> sizes;
  for (const std::uint32_t context : context_parallel_sizes(model)) {
    for (const std::uint32_t tensor : tensor_parallel_sizes(model)) {
      if (model.device.count % (std::uint64_t{tensor} * context) == 0) sizes.emplace_back(tensor, context);
    }
  }
  return sizes;
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

// With one stage there is no pipeline to schedule: Megatron-LM runs each micro-batch's
// forward and then its backward (forward_backward_no_pipelining), 1F1B's program at p = 1
// and naive's too, and GPipe's order only keeps more activations. So the default search
// tries 1F1B alone at p = 1 (listing each schedule there would only fill the ranking with
// ties); schedules named with --schedule are all tried.
bool skip_without_pipeline(const std::string& schedule, std::uint32_t devices, const RecommendOptions& options) {
  return devices == 1 && options.schedules.empty() && schedule != "1f1b";
}

// `base`, or with block recomputation `base` with the N of options.recompute_layers, or
// once for each N from 1 to one layer short of a stage's ceil(L / (p·v)) layers (N at or
// above a stage's layers is full recomputation).
void add_recompute_layers(Candidate base, std::uint32_t layer_count, const RecommendOptions& options,
                          std::vector<Candidate>& candidates) {
  if (base.shape.recompute != Recompute::Block) {
    candidates.push_back(std::move(base));
    return;
  }
  if (options.recompute_layers) {
    base.shape.recompute_layers = *options.recompute_layers;
    candidates.push_back(std::move(base));
    return;
  }
  const std::uint64_t stages = std::uint64_t{base.shape.devices} * base.shape.chunks;
  const std::uint64_t most_layers = (layer_count + stages - 1) / stages;
  for (std::uint32_t n = 1; n < most_layers; ++n) {
    base.shape.recompute_layers = n;
    candidates.push_back(base);
  }
}

// Candidate `base` for every recomputation, schedule, chunk count and layer split of
// `options`.
void add_layouts(Candidate base, const std::vector<Recompute>& recomputes,
                 const std::vector<std::string>& schedules, std::uint32_t layer_count,
                 bool transformer, const RecommendOptions& options,
                 std::vector<Candidate>& candidates) {
  for (const Recompute recompute : recomputes) {
    base.shape.recompute = recompute;
    for (const std::string& schedule : schedules) {
      if (skip_without_pipeline(schedule, base.shape.devices, options)) continue;
      base.schedule = schedule;
      std::vector<std::uint32_t> chunk_list{1};
      const ScheduleInfo& info = find_schedule(schedule);
      if (info.fixed_chunks != 0) {
        chunk_list = {info.fixed_chunks};
      } else if (info.uses_chunks) {
        chunk_list = options.chunks.empty() ? default_chunks(layer_count, base.shape.devices, transformer)
                                            : options.chunks;
      }
      for (const std::uint32_t v : chunk_list) {
        base.shape.chunks = v;
        if (transformer && v == 1 && base.shape.devices >= 2) {
          // Both where p divides the layers: the even split, and the balanced one.
          if (layer_count % base.shape.devices == 0) {
            base.shape.split = LayerSplit::Even;
            add_recompute_layers(base, layer_count, options, candidates);
          }
          base.shape.split = LayerSplit::Balanced;
        } else {
          base.shape.split =
              transformer ? megatron_layer_split(layer_count, base.shape.devices, v) : LayerSplit::Even;
        }
        add_recompute_layers(base, layer_count, options, candidates);
      }
    }
  }
}

}  // namespace

SearchSpace enumerate_candidates(const ModelDescription& model, std::uint32_t layer_count,
                                 const RecommendOptions& options) {
  const std::vector<std::string> schedules =
      options.schedules.empty() ? default_schedules() : options.schedules;
  std::vector<Recompute> recomputes = options.recompute;
  if (recomputes.empty()) {
    recomputes = {Recompute::None, Recompute::Full};
    if (model.transformer) {
      recomputes.insert(recomputes.begin() + 1, Recompute::Selective);
      recomputes.push_back(Recompute::Block);
    }
  }
  const bool transformer = model.transformer.has_value();

  SearchSpace space;
  std::vector<Candidate>& candidates = space.candidates;
  const auto invalid = [&](Candidate candidate, std::string reason) {
    candidate.validity = Status::failure(std::move(reason));
    candidates.push_back(std::move(candidate));
  };
  for (const auto& [tensor, context] : tensor_and_context_sizes(model)) {
    std::vector<bool> sequence_choices{false};
    if (tensor > 1) {
      sequence_choices = model.parallelism.sequence_parallel
                             ? std::vector<bool>{*model.parallelism.sequence_parallel}
                             : std::vector<bool>{false, true};
    }
    const std::uint32_t pipeline_and_data = model.device.count / (tensor * context);
    std::vector<std::uint32_t> stages = options.stages;
    if (stages.empty()) {
      stages = model.parallelism.data
                   ? std::vector<std::uint32_t>{pipeline_and_data / *model.parallelism.data}
                   : divisors_up_to(pipeline_and_data, layer_count);
    }
    for (const bool sequence_parallel : sequence_choices) {
      for (const std::uint32_t p : stages) {
        Candidate base;
        base.shape.tensor = {tensor, sequence_parallel};
        base.shape.context = context;
        base.shape.devices = p;
        const std::string by = context > 1 ? fmt::format("tensor and context parallelism {}·{}", tensor, context)
                                           : fmt::format("tensor parallelism {}", tensor);
        if (p == 0 || pipeline_and_data % p != 0) {
          invalid(base, fmt::format("p = {} does not divide the {} devices left by {}", p, pipeline_and_data, by));
          continue;
        }
        const std::uint32_t d = model.parallelism.data.value_or(pipeline_and_data / p);
        base.shape.replicas = d;
        if (std::uint64_t{p} * d != pipeline_and_data) {
          invalid(base, context > 1 ? fmt::format("p·d·t·cp = {}·{}·{}·{} is not the {} devices", p, d, tensor,
                                                  context, model.device.count)
                                    : fmt::format("p·d·t = {}·{}·{} is not the {} devices", p, d, tensor,
                                                  model.device.count));
          continue;
        }
        std::vector<std::uint32_t> micro_sizes = model.batch.micro_batch_sizes;
        if (options.target_bubble) {
          const TargetBubblePlan plan = plan_for_target(p, d, model.batch.global, *options.target_bubble);
          if (plan.micro_batch_size) micro_sizes.push_back(*plan.micro_batch_size);
          if (std::none_of(space.target_plans.begin(), space.target_plans.end(),
                           [&](const TargetBubblePlan& known) {
                             return known.devices == p && known.replicas == d;
                           })) {
            space.target_plans.push_back(plan);
          }
        }
        std::sort(micro_sizes.begin(), micro_sizes.end());
        micro_sizes.erase(std::unique(micro_sizes.begin(), micro_sizes.end()), micro_sizes.end());
        std::vector<bool> optimizer_choices{model.training.distributed_optimizer.value_or(false)};
        if (!model.training.distributed_optimizer && std::uint64_t{d} * context > 1) optimizer_choices = {false, true};
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
          for (const bool distributed : optimizer_choices) {
            base.shape.distributed_optimizer = distributed;
            add_layouts(base, recomputes, schedules, layer_count, transformer, options, candidates);
          }
        }
      }
    }
  }
  if (candidates.empty()) throw Error("nothing to search: no schedule, stage count or chunk count");
  return space;
}

}  // namespace pipewise::tools
