#include "tools/whatif/published_runs.hpp"

#include <cmath>

#include "common/ir/error.hpp"
#include "common/schedules/registry.hpp"
#include "sim/engine.hpp"
#include "tools/model/megatron_memory.hpp"
#include "tools/whatif/megatron_query.hpp"
#include "tools/whatif/point_simulation.hpp"

namespace pipewise::tools {
namespace {

constexpr std::uint32_t kSequence = 2048;
constexpr std::uint32_t kVocabulary = 51200;  // both papers: "a vocabulary size of 51,200"

PublishedConfiguration gpt(std::string model, std::uint32_t heads, std::uint32_t hidden,
                           std::uint32_t layers, std::uint32_t tensor, std::uint32_t pipeline,
                           std::uint32_t chunks, std::uint32_t devices, std::uint64_t global_batch,
                           std::uint32_t micro_batch, MegatronVersion version) {
  PublishedConfiguration configuration;
  configuration.model = std::move(model);
  configuration.heads = heads;
  configuration.hidden = hidden;
  configuration.layers = layers;
  configuration.tensor = tensor;
  configuration.pipeline = pipeline;
  configuration.chunks = chunks;
  configuration.devices = devices;
  configuration.global_batch = global_batch;
  configuration.micro_batch = micro_batch;
  configuration.version = version;
  return configuration;
}

// Korthikanti et al. 2022, "Reducing Activation Recomputation in Large Transformer Models"
// (arXiv 2205.05198), Table 3: the four models, t = 8, data parallelism 1, on A100 80GB.
// The interleaving of each run (v) is as NVIDIA's Calculon encodes these runs
// (calculon-ai/calculon validation/*.json); the paper's "present work" is sequence
// parallelism with selective recomputation, its baseline full recomputation without.
PublishedConfiguration korthikanti(const std::string& model, Recompute recompute, bool sequence_parallel) {
  PublishedConfiguration configuration;
  const MegatronVersion version = MegatronVersion::Mlsys23;
  if (model == "22B") {
    configuration = gpt("22B", 64, 6144, 48, 8, 1, 1, 8, 4, 4, version);
  } else if (model == "175B") {
    configuration = gpt("175B", 96, 12288, 96, 8, 8, 3, 64, 64, 1, version);
  } else if (model == "530B") {
    configuration = gpt("530B", 128, 20480, 105, 8, 35, 3, 280, 280, 1, version);
  } else {
    configuration = gpt("1T", 160, 25600, 128, 8, 64, 1, 512, 512, 1, version);
  }
  configuration.recompute = recompute;
  configuration.sequence_parallel = sequence_parallel;
  return configuration;
}

// Narayanan et al. SC'21, "Efficient Large-Scale Language Model Training on GPU Clusters
// Using Megatron-LM" (arXiv 2104.04473), Table 1 (as in Megatron-LM's README image
// cases_april2021.png) with each row's script, examples/sc21/run_table_1.sh: full
// recomputation, fp16, PyTorch DDP (overlapped gradient all-reduce) on the first four rows,
// Megatron's own DDP after, the interleaved schedule where the script sets
// --num-layers-per-virtual-pipeline-stage.
PublishedConfiguration narayanan(std::string model, std::uint32_t heads, std::uint32_t hidden,
                                 std::uint32_t layers, std::uint32_t tensor, std::uint32_t pipeline,
                                 std::uint32_t chunks, std::uint32_t devices, std::uint64_t global_batch,
                                 std::uint32_t micro_batch, bool torch_ddp) {
  PublishedConfiguration configuration = gpt(std::move(model), heads, hidden, layers, tensor, pipeline,
                                             chunks, devices, global_batch, micro_batch,
                                             MegatronVersion::Sc21);
  configuration.overlap_grad_reduce = torch_ddp;
  return configuration;
}

PublishedRun run(std::string source, PublishedConfiguration configuration, PublishedQuantity quantity,
                 double published, bool calibration = false) {
  return {std::move(source), std::move(configuration), quantity, published, calibration};
}

// GPT-3 175B on 96 GPUs, t = 8, p = 12, b = 1, full recomputation; interleaved with two
// layers per virtual stage (v = 4): examples/sc21/run_figure_12.sh and run_figure_18.sh.
PublishedConfiguration figure_12(std::uint32_t chunks, std::uint64_t global_batch, bool scatter_gather) {
  PublishedConfiguration configuration =
      gpt("175B", 96, 12288, 96, 8, 12, chunks, 96, global_batch, 1, MegatronVersion::Sc21);
  configuration.scatter_gather = scatter_gather;
  return configuration;
}

std::vector<PublishedRun> make_runs() {
  constexpr PublishedQuantity kSeconds = PublishedQuantity::IterationSeconds;
  constexpr PublishedQuantity kTflops = PublishedQuantity::TflopsPerGpu;
  const std::string table5 = "Korthikanti et al. 2022, Table 5, ";
  const std::string table1 = "Narayanan et al. SC'21, Table 1, ";
  std::vector<PublishedRun> runs;
  // Table 5: iteration time, full recomputation (baseline) and present work.
  const std::pair<const char*, std::pair<double, double>> times[] = {
      {"22B", {1.42, 1.10}}, {"175B", {18.13, 13.75}}, {"530B", {49.05, 37.83}}, {"1T", {94.42, 71.49}}};
  for (const auto& [model, seconds] : times) {
    runs.push_back(run(table5 + model + ", full recompute", korthikanti(model, Recompute::Full, false),
                       kSeconds, seconds.first));
    runs.push_back(run(table5 + model + ", present work", korthikanti(model, Recompute::Selective, true),
                       kSeconds, seconds.second, std::string(model) == "175B"));
  }
  runs.push_back(run(table1 + "1.7B", narayanan("1.7B", 24, 2304, 24, 1, 1, 1, 32, 512, 16, true), kTflops, 137));
  runs.push_back(run(table1 + "3.6B", narayanan("3.6B", 32, 3072, 30, 2, 1, 1, 64, 512, 16, true), kTflops, 138));
  runs.push_back(run(table1 + "7.5B", narayanan("7.5B", 32, 4096, 36, 4, 1, 1, 128, 512, 16, true), kTflops, 142));
  runs.push_back(run(table1 + "18.4B", narayanan("18.4B", 48, 6144, 40, 8, 1, 1, 256, 1024, 8, true), kTflops, 135));
  runs.push_back(run(table1 + "39.1B", narayanan("39.1B", 64, 8192, 48, 8, 2, 1, 512, 1536, 4, false), kTflops, 138));
  runs.push_back(run(table1 + "76.1B", narayanan("76.1B", 80, 10240, 60, 8, 4, 3, 1024, 1792, 2, false), kTflops, 140));
  runs.push_back(run(table1 + "145.6B", narayanan("145.6B", 96, 12288, 80, 8, 8, 2, 1536, 2304, 2, false),
                     kTflops, 148, true));
  runs.push_back(run(table1 + "310.1B", narayanan("310.1B", 128, 16384, 96, 8, 16, 2, 1920, 2160, 1, false), kTflops, 155));
  runs.push_back(run(table1 + "529.6B", narayanan("529.6B", 128, 20480, 105, 8, 35, 3, 2520, 2520, 1, false), kTflops, 163));
  runs.push_back(run(table1 + "1008.0B", narayanan("1008.0B", 160, 25600, 128, 8, 64, 1, 3072, 3072, 1, false), kTflops, 163));
  return runs;
}

std::vector<PublishedFinding> make_findings() {
  const std::string figure12 = "Narayanan et al. SC'21, §5.3.2, Figure 12";
  const std::string figure18 = "Narayanan et al. SC'21, §5.9, Figure 18";
  std::vector<PublishedFinding> findings;
  findings.push_back({figure12 + " and abstract (batch 12)",
                      "interleaved (v = 4, scatter/gather) beats 1F1B by as much as 10%",
                      figure_12(4, 12, true), figure_12(1, 12, true), 0.10, false});
  findings.push_back({figure12 + " (batch 60)", "the gap closes as the batch grows: interleaved still ahead",
                      figure_12(4, 60, true), figure_12(1, 60, true), 0, true});
  findings.push_back({figure12 + " (batch 60), text",
                      "without scatter/gather, 1F1B beats interleaved at large batch",
                      figure_12(1, 60, false), figure_12(4, 60, false), 0, true});
  findings.push_back({figure18 + " (batch 60)", "scatter/gather speeds interleaved up by up to 11%",
                      figure_12(4, 60, true), figure_12(4, 60, false), 0.11, false});
  return findings;
}

}  // namespace

const std::vector<PublishedRun>& published_runs() {
  static const std::vector<PublishedRun> kRuns = make_runs();
  return kRuns;
}

const std::vector<PublishedFinding>& published_findings() {
  static const std::vector<PublishedFinding> kFindings = make_findings();
  return kFindings;
}

ModelDescription published_model(const PublishedConfiguration& configuration, const HardwareSpec& hardware) {
  ModelDescription model;
  model.name = "gpt-" + configuration.model;
  TransformerShape shape{configuration.layers, configuration.hidden, kSequence, configuration.heads};
  shape.vocabulary = kVocabulary;
  model.transformer = shape;
  model.device = {configuration.devices, hardware};
  model.batch = {configuration.global_batch, {configuration.micro_batch}};
  model.parallelism.tensor = configuration.tensor;
  model.parallelism.sequence_parallel = configuration.sequence_parallel;
  model.parallelism.data = configuration.devices / (configuration.tensor * configuration.pipeline);
  model.training.distributed_optimizer = false;
  model.communication.overlap_grad_reduce = configuration.overlap_grad_reduce;
  model.communication.scatter_gather = configuration.scatter_gather;
  model.communication.pipeline_overlap = false;  // the Megatron-LM of both papers always blocked
  if (configuration.version == MegatronVersion::Sc21) {
    // fp16 weights and gradients: the gradients are all-reduced in fp16; the collectives of
    // tensor parallelism all wait (asynchronous all-reduce came later).
    model.training.gradient_bytes_per_parameter = 2;
    model.communication.tensor_parallel_overlap = TensorParallelOverlap::None;
  }
  return model;
}

PipelineShape published_shape(const PublishedConfiguration& configuration) {
  PipelineShape shape;
  shape.devices = configuration.pipeline;
  shape.chunks = configuration.chunks;
  shape.replicas = configuration.devices / (configuration.tensor * configuration.pipeline);
  shape.micro_batch_size = configuration.micro_batch;
  shape.recompute = configuration.recompute;
  shape.tensor = {configuration.tensor, configuration.sequence_parallel};
  shape.distributed_optimizer = false;
  shape.split = LayerSplit::Even;
  return shape;
}

namespace {

struct Simulated {
  PointMetrics metrics;
  PipelineCosts costs;
};

Simulated simulate(const PublishedConfiguration& configuration, const HardwareSpec& hardware) {
  const ModelDescription model = published_model(configuration, hardware);
  const PipelineShape shape = published_shape(configuration);
  Simulated result;
  result.costs = pipeline_costs(model, shape).value_or_throw();
  Problem problem;
  problem.devices = shape.devices;
  problem.chunks = shape.chunks;
  problem.microbatches = static_cast<std::uint32_t>(configuration.global_batch /
                                                    (std::uint64_t{shape.micro_batch_size} * shape.replicas));
  const char* schedule = shape.chunks > 1 ? "interleaved" : "1f1b";
  result.metrics = simulate_point(schedule, problem, result.costs.config).value_or_throw();
  return result;
}

HardwareSpec a100_with(double efficiency) {
  HardwareSpec hardware = hardware_preset("a100-80gb");
  hardware.gemm_efficiency = efficiency;
  return hardware;
}

}  // namespace

double predicted_step_ms(const PublishedConfiguration& configuration, const HardwareSpec& hardware) {
  return simulate(configuration, hardware).metrics.makespan_ms;
}

double published_step_flops(const PublishedConfiguration& configuration) {
  const double B = static_cast<double>(configuration.global_batch);
  const double s = kSequence;
  const double l = configuration.layers;
  const double h = configuration.hidden;
  const double V = kVocabulary;
  if (configuration.recompute == Recompute::Full) {
    return 96 * B * s * l * h * h * (1 + s / (6 * h) + V / (16 * l * h));
  }
  return 72 * B * s * l * h * h * (1 + s / (6 * h) + V / (12 * l * h));
}

double predicted_value(const PublishedRun& run, const HardwareSpec& hardware) {
  const double step_ms = predicted_step_ms(run.configuration, hardware);
  if (run.quantity == PublishedQuantity::IterationSeconds) return step_ms / 1000;
  return published_step_flops(run.configuration) / (step_ms / 1000) / run.configuration.devices / 1e12;
}

double calibrate_gemm_efficiency() {
  // log of the geometric mean of predicted time / published time over the calibration
  // rows: decreasing in the efficiency (faster GEMMs, shorter steps).
  const auto time_bias = [](double efficiency) {
    const HardwareSpec hardware = a100_with(efficiency);
    double sum = 0;
    for (const PublishedRun& run : published_runs()) {
      if (!run.calibration) continue;
      const double ratio = predicted_value(run, hardware) / run.published;
      sum += run.quantity == PublishedQuantity::IterationSeconds ? std::log(ratio) : -std::log(ratio);
    }
    return sum;
  };
  double low = 0.2;
  double high = 1.0;
  for (int step = 0; step < 40; ++step) {
    const double middle = (low + high) / 2;
    if (time_bias(middle) > 0) {
      low = middle;
    } else {
      high = middle;
    }
  }
  return (low + high) / 2;
}

std::vector<MemoryComparison> memory_comparisons(const HardwareSpec& hardware) {
  std::vector<MemoryComparison> comparisons;
  const auto compare = [&](const char* model, bool interleaved_run) {
    for (const Recompute recompute : {Recompute::None, Recompute::Selective, Recompute::Full}) {
      for (const bool sequence_parallel : {false, true}) {
        MemoryComparison comparison;
        comparison.configuration = korthikanti(model, recompute, sequence_parallel);
        if (!interleaved_run) comparison.configuration.chunks = 1;
        comparison.interleaved_run = interleaved_run;
        const PublishedConfiguration& configuration = comparison.configuration;
        const Simulated simulated = simulate(configuration, hardware);
        const ModelDescription description = published_model(configuration, hardware);
        const PipelineShape shape = published_shape(configuration);
        const auto microbatches = static_cast<std::uint32_t>(
            configuration.global_batch / (std::uint64_t{shape.micro_batch_size} * shape.replicas));
        comparison.megatron_bytes =
            megatron_theoretical_memory(megatron_query(description, shape, microbatches)).total_bytes();
        comparison.pipewise_first_bytes = simulated.metrics.devices.front().peak_bytes;
        comparison.pipewise_peak_bytes = simulated.metrics.peak_bytes;
        comparison.peak_device = simulated.metrics.peak_device;
        comparisons.push_back(comparison);
      }
    }
  };
  for (const char* model : {"22B", "175B", "530B", "1T"}) compare(model, false);
  for (const char* model : {"175B", "530B"}) compare(model, true);
  return comparisons;
}

}  // namespace pipewise::tools
