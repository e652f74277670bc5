#include "tools/cli/recommend_report.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <map>
#include <vector>

#include "common/ir/problem.hpp"
#include "common/schedules/registry.hpp"
#include "common/text/format.hpp"
#include "common/text/text_table.hpp"
#include "tools/cli/recommend_explanation.hpp"
#include "tools/model/megatron_memory.hpp"
#include "tools/whatif/megatron_query.hpp"
#include "tools/whatif/pipeline_costs.hpp"

namespace pipewise::tools {
namespace {

// How many faster-but-too-big configurations are listed after the table.

// The options a configuration turns on, comma-separated: "cp=2" (when `with_context`),
// "sp", "dist-opt", "balanced"; empty when none.
std::string options_list(const Candidate& candidate, bool with_context) {
  std::string text;
  const auto add = [&](const std::string& option) { text += (text.empty() ? "" : ",") + option; };
  if (with_context && candidate.shape.context > 1) add(fmt::format("cp={}", candidate.shape.context));
  if (candidate.shape.tensor.size > 1 && candidate.shape.tensor.sequence_parallel) add("sp");
  if (candidate.shape.distributed_optimizer) add("dist-opt");
  if (candidate.shape.split != LayerSplit::Even) add("balanced");
  return text;
}

// The table's options column: options_list with cp, or "-".
std::string options_text(const Candidate& candidate) {
  const std::string text = options_list(candidate, true);
  return text.empty() ? "-" : text;
}

std::string candidate_name(const Candidate& candidate) {
  std::string name = fmt::format("{} t={}", candidate.schedule, candidate.shape.tensor.size);
  if (candidate.shape.context > 1) name += fmt::format(" cp={}", candidate.shape.context);
  name += fmt::format(" p={}", candidate.shape.devices);
  if (candidate.shape.chunks > 1) name += fmt::format(" v={}", candidate.shape.chunks);
  name += fmt::format(" d={} m={} b={} recompute={}", candidate.shape.replicas, candidate.microbatches,
                      candidate.shape.micro_batch_size, recompute_label(candidate.shape));
  if (const std::string options = options_list(candidate, false); !options.empty()) name += " " + options;
  return name;
}

std::string plans_text(const Recommendation& recommendation, double target, std::uint64_t global) {
  std::string text = fmt::format(
      "\ntarget bubble {}: m >= (p-1)(1/{} - 1) for 1F1B, rounded up to an m the global batch {} "
      "allows (m·b·d = {}):\n",
      target >= 1e-4 ? format_percent(target) : format_number(target), format_number(target),
      global, global);
  for (const TargetBubblePlan& plan : recommendation.target_plans) {
    // A tiny target needs more micro-batches than a count holds (the need saturates).
    const std::string needed =
        plan.needed_microbatches == UINT64_MAX
            ? "more than 2^64 - 1"
            : fmt::format("{}", plan.needed_microbatches);
    text += fmt::format("  p = {:<3} d = {:<3} needs m >= {}: ", plan.devices, plan.replicas,
                        needed);
    if (plan.microbatches) {
      text += fmt::format("m = {} with micro-batch size {} (bubble {})\n", *plan.microbatches,
                          *plan.micro_batch_size, format_percent(plan.bubble));
    } else {
      text += fmt::format("unreachable: {} samples per replica allow at most m = {} (bubble {})\n",
                          global / plan.replicas, global / plan.replicas, format_percent(plan.bubble));
    }
  }
  return text;
}

// One line per value of `key` (p, or the schedule): the best fitting configuration with that
// value and how it compares with the overall best, or, when none fits, the smallest excess
// (and, when some other configuration fits, whether it would be faster than the best).
template <typename Key>
std::string best_per(const Recommendation& recommendation, const char* heading,
                     Key (*key)(const Candidate&), std::string (*key_text)(const Key&)) {
  std::vector<Key> order;
  std::vector<const Candidate*> best;
  std::vector<const Candidate*> closest;
  for (const Candidate& candidate : recommendation.candidates) {
    if (!candidate.validity.ok()) continue;
    const Key value = key(candidate);
    auto where = std::find(order.begin(), order.end(), value);
    if (where == order.end()) {
      order.push_back(value);
      best.push_back(nullptr);
      closest.push_back(nullptr);
      where = order.end() - 1;
    }
    const auto index = static_cast<std::size_t>(where - order.begin());
    if (candidate.is_answer() && !best[index]) best[index] = &candidate;
    // The closest miss: simulated ones first, since a pruned one's peak counts only its
    // static bytes.
    const auto closer = [](const Candidate& a, const Candidate* b) {
      if (!b) return true;
      if (a.metrics.has_value() != b->metrics.has_value()) return a.metrics.has_value();
      return a.headroom_bytes > b->headroom_bytes;
    };
    if (!candidate.fits && closer(candidate, closest[index])) closest[index] = &candidate;
  }
  const Candidate& overall = recommendation.candidates.front();
  std::string text = std::string("\n") + heading + ":\n";
  for (std::size_t i = 0; i < order.size(); ++i) {
    text += "  " + key_text(order[i]) + ": ";
    if (best[i]) {
      text += candidate_name(*best[i]) + ", " + format_duration_ms(best[i]->metrics->makespan_ms) +
              ": " + explain_versus_best(*best[i], overall, recommendation.memory_cap_bytes) + "\n";
    } else {
      // With no best, the excess alone: set against itself, no "would be faster" follows.
      const Candidate& against = recommendation.fitting > 0 ? overall : *closest[i];
      text += "nothing fits; the closest, " + candidate_name(*closest[i]) + ", " +
              explain_versus_best(*closest[i], against, recommendation.memory_cap_bytes) + "\n";
    }
  }
  return text;
}

std::uint32_t pipeline_size(const Candidate& candidate) { return candidate.shape.devices; }
std::string pipeline_size_text(const std::uint32_t& p) { return fmt::format("p = {}", p); }
std::string schedule_of(const Candidate& candidate) { return candidate.schedule; }
std::string schedule_text(const std::string& schedule) { return schedule; }

// Every configuration was invalid: why, once per distinct reason.
std::string invalid_section(const Recommendation& recommendation) {
  std::vector<std::string> reasons;
  for (const Candidate& candidate : recommendation.candidates) {
    const std::string& reason = candidate.validity.reason();
    if (std::find(reasons.begin(), reasons.end(), reason) == reasons.end()) {
      reasons.push_back(reason);
    }
  }
  std::string text = "no configuration is valid:\n";
  for (const std::string& reason : reasons) text += "  " + reason + "\n";
  return text;
}

// The `top` best fitting configurations, each compared with the best.
std::string ranked_table(const ModelDescription& model, const Recommendation& recommendation,
                         std::size_t top) {
  using Align = TextTable::Align;
  TextTable table({{"#", Align::Right}, {"schedule"}, {"t", Align::Right}, {"p", Align::Right},
                   {"v", Align::Right}, {"d", Align::Right}, {"m", Align::Right}, {"b", Align::Right},
                   {"recompute"}, {"options"}, {"step time", Align::Right}, {"MFU", Align::Right},
                   {"bubble", Align::Right}, {"peak memory", Align::Right}, {"headroom", Align::Right},
                   {"versus the best"}});
  const std::vector<Candidate>& candidates = recommendation.candidates;
  for (std::size_t i = 0; i < std::min(top, recommendation.answers()); ++i) {
    const Candidate& candidate = candidates[i];
    const std::optional<double> mfu = model_flops_utilization(model, candidate);
    table.add_row({std::to_string(i + 1), candidate.schedule, std::to_string(candidate.shape.tensor.size),
                   std::to_string(candidate.shape.devices),
                   std::to_string(candidate.shape.chunks), std::to_string(candidate.shape.replicas),
                   std::to_string(candidate.microbatches), std::to_string(candidate.shape.micro_batch_size),
                   std::string(recompute_label(candidate.shape)), options_text(candidate),
                   format_duration_ms(candidate.metrics->makespan_ms), mfu ? format_percent(*mfu) : "-",
                   format_percent(candidate.metrics->bubble_ratio),
                   format_bytes(candidate.peak_bytes()),
                   format_bytes(candidate.headroom_bytes),
                   explain_versus_best(candidate, candidates.front(), recommendation.memory_cap_bytes)});
  }
  return table.render() +
         "(MFU: model FLOPs of the step per device and second, of the peak; bubble: the idle share "
         "of device time: pipeline fill and drain, waits for messages and for the data-parallel "
         "synchronisation)\n";
}

// The configurations that would beat the best if memory allowed (or, when nothing fits,
// the fastest ones), with their excess.
std::string over_cap_section(const Recommendation& recommendation) {
  const std::vector<Candidate>& candidates = recommendation.candidates;
  std::string text;
  std::size_t shown = 0;
  for (const Candidate& candidate : candidates) {
    if (shown == kOverCapAnswers) break;
    if (candidate.fits || !candidate.metrics) continue;
    if (recommendation.fitting > 0 &&
        candidate.metrics->makespan_ms >= candidates.front().metrics->makespan_ms) {
      break;
    }
    if (shown++ == 0) {
      text += recommendation.fitting ? "\nfaster, but over the memory cap:\n" : "\nclosest configurations:\n";
    }
    text += fmt::format("  {}: step {}, peak {}: {}\n", candidate_name(candidate),
                        format_duration_ms(candidate.metrics->makespan_ms),
                        format_bytes(candidate.peak_bytes()),
                        explain_versus_best(candidate, candidates.front(), recommendation.memory_cap_bytes));
  }
  return text;
}

// The rules of thumb the best configuration breaks, and how many of the shown ones do.
std::string warnings_section(const Recommendation& recommendation, std::size_t top, const ModelDescription& model) {
  const std::vector<Candidate>& candidates = recommendation.candidates;
  const auto warnings = rule_of_thumb_warnings(candidates.front(), model);
  const std::size_t shown = std::min(top, recommendation.answers());
  std::size_t broken = 0;
  for (std::size_t i = 0; i < shown; ++i) {
    if (!rule_of_thumb_warnings(candidates[i], model).empty()) ++broken;
  }
  std::string text;
  if (!warnings.empty() || broken > 0) text += "\n";
  for (const std::string& warning : warnings) text += "warning: the best configuration has " + warning + "\n";
  if (broken > (warnings.empty() ? 0u : 1u)) {
    text += fmt::format("warning: {} of the {} configurations shown break a rule of thumb "
                        "(m >= 4p, p·v dividing the layers)\n",
                        broken, shown);
  }
  return text;
}

}  // namespace

std::optional<double> model_flops_utilization(const ModelDescription& model, const Candidate& candidate) {
  if (!model.transformer || !candidate.metrics || candidate.metrics->makespan_ms <= 0) return std::nullopt;
  const double flops = 3 * transformer_forward_flops_per_sample(*model.transformer) *
                       static_cast<double>(model.batch.global);
  return flops / (candidate.metrics->makespan_ms / 1000 * model.device.count *
                  model.device.hardware.peak_tflops * 1e12);
}

std::string model_summary(const ModelDescription& model) {
  std::string text = model.name + ": ";
  const std::uint32_t layers = model.layer_count();
  if (model.transformer) {
    const TransformerShape& shape = *model.transformer;
    text += fmt::format("{} transformer layers (h = {}, s = {}, a = {}", layers, shape.hidden,
                        shape.sequence, shape.heads);
    if (shape.groups() != shape.heads) text += fmt::format(", {} query groups", shape.groups());
    text += fmt::format(", f = {}{}, V = {}{}{})", shape.ffn(), shape.gated_mlp ? " SwiGLU" : "",
                        shape.vocabulary, shape.tied_embeddings ? "" : " untied",
                        shape.flash_attention ? ", flash attention" : "");
  } else {
    text += fmt::format("{} layers in {} group{}", layers, model.layers.size(),
                        model.layers.size() == 1 ? "" : "s");
  }
  const double parameters = total_parameters(model);
  if (parameters >= 1e9) {
    text += fmt::format(", {:.3g} billion parameters\n", parameters / 1e9);
  } else {
    text += fmt::format(", {:.3g} million parameters\n", parameters / 1e6);
  }
  const HardwareSpec& hardware = model.device.hardware;
  text += fmt::format(
      "  {} × {} ({} each, {} TFLOP/s peak, GEMM efficiency {}), {} per node: NVLink {} GB/s, "
      "network {} GB/s; global batch {}\n",
      model.device.count, hardware.name, format_bytes(hardware.memory_bytes),
      format_number(hardware.peak_tflops), format_number(hardware.gemm_efficiency),
      hardware.gpus_per_node, format_number(hardware.intra_node_gb_per_s),
      format_number(hardware.inter_node_gb_per_s), model.batch.global);
  const TrainingSpec& training = model.training;
  std::string searched;
  const auto add = [&](const char* what) { searched += (searched.empty() ? "" : ", ") + std::string(what); };
  if (!model.parallelism.tensor && model.transformer) add("t");
  if (!model.parallelism.sequence_parallel && model.transformer) add("sequence parallelism");
  if (const std::vector<std::uint32_t> contexts = context_parallel_sizes(model);
      !model.parallelism.context && contexts.size() > 1) {
    searched += fmt::format("{}cp ∈ {{{}}}", searched.empty() ? "" : ", ", fmt::join(contexts, ", "));
  }
  if (!training.distributed_optimizer) add("distributed optimizer");
  text += fmt::format(
      "  per parameter {} B weights, {} B gradients, {} B optimizer state{}; {}\n",
      format_number(training.weight_bytes_per_parameter), format_number(training.gradient_bytes_per_parameter),
      format_number(training.optimizer_state_bytes_per_parameter),
      training.distributed_optimizer ? (*training.distributed_optimizer ? " (distributed over d·cp)" : " (not distributed)")
                                     : "",
      searched.empty() ? "fixed: t, sequence parallelism, distributed optimizer" : "searched: " + searched);
  return text;
}

namespace {

// Megatron-LM's schedules; it refuses a virtual pipeline with one stage.
bool megatron_runs(const Candidate& candidate) {
  return candidate.schedule == "1f1b" || (candidate.schedule == "interleaved" && candidate.shape.devices >= 2);
}

}  // namespace

std::string schedule_runtime(const std::string& schedule) {
  static const std::map<std::string, std::string> kRuntimes = {
      {"naive", "no pipeline framework (one micro-batch at a time through the stages: plain model parallelism); pipewise run -s naive"},
      {"1f1b", "Megatron-LM; PyTorch Schedule1F1B"},
      {"interleaved", "Megatron-LM (--num-layers-per-virtual-pipeline-stage); PyTorch ScheduleInterleaved1F1B"},
      {"gpipe", "PyTorch ScheduleGPipe"},
      {"looped-bfs", "PyTorch ScheduleLoopedBFS"},
      {"interleaved-zb", "PyTorch ScheduleInterleavedZeroBubble"},
      {"zb-h1", "PyTorch ScheduleInterleavedZeroBubble with one stage per rank; sail-sg/zero-bubble-pipeline-parallelism"},
      {"zb-h2", "sail-sg/zero-bubble-pipeline-parallelism (Megatron-LM fork)"},
      {"zbv", "PyTorch ScheduleZBVZeroBubble; sail-sg/zero-bubble-pipeline-parallelism"},
      {"v-half", "sail-sg/zero-bubble-pipeline-parallelism (Megatron-LM fork)"},
      {"v-min", "sail-sg/zero-bubble-pipeline-parallelism (Megatron-LM fork)"},
      {"dualpipe", "deepseek-ai/DualPipe (DualPipe)"},
      {"dualpipe-v", "PyTorch ScheduleDualPipeV; deepseek-ai/DualPipe (DualPipeV)"},
      {"pipedream", "msr-fiddle/pipedream (PipeDream's own runtime); pipewise run -s pipedream"},
      {"pipedream-2bw", "the PipeDream-2BW paper's runtime (Narayanan et al., ICML 2021); pipewise run -s pipedream-2bw"},
  };
  const auto found = kRuntimes.find(schedule);
  return found == kRuntimes.end() ? "" : found->second;
}

std::optional<std::string> megatron_flags(const ModelDescription& model, const Candidate& candidate) {
  if (!megatron_runs(candidate)) return std::nullopt;
  return parallel_flags(model, candidate);
}

std::string parallel_flags(const ModelDescription& model, const Candidate& candidate) {
  const PipelineShape& shape = candidate.shape;
  std::string flags = fmt::format(
      "--tensor-model-parallel-size {} --pipeline-model-parallel-size {}", shape.tensor.size, shape.devices);
  if (shape.context > 1) flags += fmt::format(" --context-parallel-size {}", shape.context);
  // Megatron-LM derives v from the layers per virtual stage (it has no flag for v itself,
  // whatever older scripts passed); the embedding and the loss count as layers when the
  // split says so. A layer list split by time has no such number: v is given as stages per
  // rank (a flag of newer Megatron-LM versions).
  const bool as_layers = shape.split == LayerSplit::EmbeddingAndLossAsLayers;
  if (as_layers) flags += " --account-for-embedding-in-pipeline-split --account-for-loss-in-pipeline-split";
  if (candidate.schedule == "interleaved" && shape.chunks > 1 && shape.devices > 1) {
    const std::uint64_t stages = std::uint64_t{shape.chunks} * shape.devices;
    const std::uint64_t slots = model.layer_count() + (as_layers ? 2 : 0);
    flags += model.transformer && slots % stages == 0
                 ? fmt::format(" --num-layers-per-virtual-pipeline-stage {}", slots / stages)
                 : fmt::format(" --num-virtual-stages-per-pipeline-rank {}", shape.chunks);
  }
  if (shape.split == LayerSplit::Balanced) {
    if (const Result<PipelineCosts> costs = pipeline_costs(model, shape); costs.ok()) {
      flags += fmt::format(" --decoder-first-pipeline-num-layers {} --decoder-last-pipeline-num-layers {}",
                           costs->stages.front().layer_count, costs->stages.back().layer_count);
    }
  }
  flags += fmt::format(" --micro-batch-size {} --global-batch-size {}", shape.micro_batch_size,
                       model.batch.global);
  if (shape.recompute == Recompute::Selective) flags += " --recompute-granularity selective";
  if (shape.recompute == Recompute::Full) {
    flags += " --recompute-granularity full --recompute-method uniform --recompute-num-layers 1";
  }
  if (shape.recompute == Recompute::Block) {
    flags += fmt::format(" --recompute-granularity full --recompute-method block --recompute-num-layers {}",
                         shape.recompute_layers);
  }
  if (shape.tensor.size > 1 && shape.tensor.sequence_parallel) flags += " --sequence-parallel";
  if (shape.distributed_optimizer) flags += " --use-distributed-optimizer";
  const CommunicationSpec& communication = model.communication;
  if (communication.overlap_grad_reduce && shape.replicas > 1) flags += " --overlap-grad-reduce";
  // Megatron-LM overlaps the interleaved schedule's messages unless told not to, and cannot
  // overlap 1F1B's.
  if (shape.chunks > 1 && shape.devices > 1 && !communication.pipeline_overlapped(shape.chunks)) {
    flags += " --no-overlap-p2p-communication";
  }
  if (communication.tensor_parallel_overlap == TensorParallelOverlap::All && shape.tensor.size > 1) {
    flags += " --tp-comm-overlap";
  }
  return flags;
}

std::string memory_breakdown(const ModelDescription& model, const Candidate& candidate) {
  if (!candidate.metrics) return {};
  const PointMetrics& metrics = *candidate.metrics;
  const std::uint32_t p = candidate.shape.devices;
  Problem problem;
  problem.devices = p;
  problem.chunks = candidate.shape.chunks;
  problem.placement = find_schedule(candidate.schedule).placement;
  // Bidirectional placement splits the model into p stages, one copy of each per direction.
  PipelineShape layout = candidate.shape;
  if (problem.bidirectional()) layout.chunks = 1;
  const Result<PipelineCosts> costs = pipeline_costs(model, layout);
  if (!costs.ok()) return {};
  std::string text = "\nmemory of the best configuration, per device (bytes as Megatron-LM keeps them):\n";
  const auto device_line = [&](std::uint32_t device, const char* role) {
    // The model stages the device holds under the schedule's placement (bidirectional:
    // one per copy of the model, each with its own weights, gradients and optimizer state).
    StageMemoryBreakdown sum;
    std::vector<std::uint32_t> model_stages;
    for (std::uint32_t stage = 0; stage < problem.stages(); ++stage) {
      if (problem.device_of_stage(stage) != device) continue;
      const std::uint32_t model_stage = problem.model_stage_of(stage);
      const StageMemoryBreakdown& memory = costs->memory[model_stage];
      sum.weight_bytes += memory.weight_bytes;
      sum.gradient_bytes += memory.gradient_bytes;
      sum.optimizer_state_bytes += memory.optimizer_state_bytes;
      model_stages.push_back(model_stage);
    }
    std::string stages = fmt::format("{}", fmt::join(model_stages, ","));
    if (problem.bidirectional()) stages += ", one per model copy";
    const DeviceMemoryPeak& peak = metrics.devices[device];
    return fmt::format("  {:<6} device {} (stage{} {}): {} = weights {} + gradients {} + optimizer state {} "
                       "+ activations {} ({} micro-batch stash{} at the peak)\n",
                       role, device, model_stages.size() > 1 ? "s" : "", stages,
                       format_bytes(peak.peak_bytes), format_bytes(sum.weight_bytes),
                       format_bytes(sum.gradient_bytes), format_bytes(sum.optimizer_state_bytes),
                       format_bytes(peak.activation_bytes), peak.stashes, peak.stashes == 1 ? "" : "es");
  };
  text += device_line(metrics.peak_device, "peak:");
  if (metrics.peak_device != 0) text += device_line(0, "first:");
  if (p > 1 && metrics.peak_device != p - 1) text += device_line(p - 1, "last:");
  if (model.transformer) {
    const MegatronMemory reference =
        megatron_theoretical_memory(megatron_query(model, candidate.shape, candidate.microbatches));
    text += fmt::format(
        "  Megatron-LM's estimator (report_theoretical_memory, first stage, without its 5% "
        "margin{}{}): {} = weights and optimizer {} + activations {}\n",
        candidate.shape.context > 1
            ? fmt::format("; asked about one rank's {} tokens of each sequence, as it ignores context parallelism",
                          model.transformer->sequence / candidate.shape.context)
            : "",
        megatron_runs(candidate) ? ""
                                 : "; it knows only Megatron-LM's schedules and reads these sizes as "
                                   "1F1B or interleaved",
        format_bytes(reference.total_bytes()), format_bytes(reference.weight_and_optimizer_bytes),
        format_bytes(reference.activation_bytes));
  }
  return text;
}

std::string recommendation_report(const ModelDescription& model, const Recommendation& recommendation,
                                  std::size_t top, double seconds) {
  const std::vector<Candidate>& candidates = recommendation.candidates;
  const std::size_t invalid =
      candidates.size() - recommendation.fitting - recommendation.exceeding - recommendation.skipped;
  std::string text = model_summary(model);
  text += fmt::format(
      "searched {} configurations in {:.2f} s: {} fit in {} per device{}, {} exceed it{}, {} are "
      "invalid{}\n\n",
      candidates.size(), seconds, recommendation.fitting, format_bytes(recommendation.memory_cap_bytes),
      recommendation.dominated == 0
          ? ""
          : fmt::format(" ({} of them no answer: block recomputation of more layers than their layout "
                        "needs to fit)",
                        recommendation.dominated),
      recommendation.exceeding,
      recommendation.over_cap_unsimulated == 0
          ? ""
          : fmt::format(" ({} of them known without simulating, by Megatron-LM's accounting or "
                        "their programs' memory peaks)",
                        recommendation.over_cap_unsimulated),
      invalid,
      recommendation.skipped == 0
          ? ""
          : fmt::format(", {} not simulated: their lower bound is slower than every answer they "
                        "could be (--exhaustive simulates them)",
                        recommendation.skipped));
  if (recommendation.fitting == 0 && recommendation.exceeding == 0) {
    text += invalid_section(recommendation);
  } else if (recommendation.fitting == 0) {
    text += "no configuration fits the memory cap.\n";
  } else {
    text += ranked_table(model, recommendation, top);
  }
  text += over_cap_section(recommendation);
  if (recommendation.fitting > 0) {
    text += best_per<std::uint32_t>(recommendation, "best for each pipeline size", pipeline_size,
                                    pipeline_size_text);
    text += best_per<std::string>(recommendation, "best for each schedule", schedule_of, schedule_text);
    text += warnings_section(recommendation, top, model);
  } else if (recommendation.exceeding > 0) {
    text += best_per<std::uint32_t>(recommendation, "closest to fitting, for each pipeline size",
                                    pipeline_size, pipeline_size_text);
    text += best_per<std::string>(recommendation, "closest to fitting, for each schedule", schedule_of,
                                  schedule_text);
  }
  if (recommendation.target_bubble) {
    text += plans_text(recommendation, *recommendation.target_bubble, model.batch.global);
  }
  if (recommendation.fitting > 0) {
    const Candidate& best = candidates.front();
    text += memory_breakdown(model, best);
    text += fmt::format("\nbest: {}\n", candidate_name(best));
    if (const std::optional<std::string> flags = megatron_flags(model, best)) {
      text += fmt::format("  Megatron-LM: {}\n", *flags);
    } else {
      text += best.schedule == "interleaved"  // on one device
                  ? fmt::format("  Megatron-LM interleaves only with p >= 2; on one device the chunks run one "
                                "after another, as without interleaving, which these flags run: {}\n",
                                parallel_flags(model, best))
                  : fmt::format("  Megatron-LM has no {} schedule; it runs in {}\n  its parallel sizes as "
                                "Megatron-LM flags: {}\n",
                                best.schedule, schedule_runtime(best.schedule), parallel_flags(model, best));
    }
  }
  return text;
}

}  // namespace pipewise::tools
