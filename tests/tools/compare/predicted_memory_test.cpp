// The simulator's memory prediction, sized by device_memory_config and made by predict_run,
// against what the CPU backend accounts when it runs the same schedule: on a model whose
// stages hold the same layers, the peaks of live activation stashes and of weight versions
// agree exactly, and so do the bytes the simulator models.
#include <gtest/gtest.h>

#include <memory>

#include "common/ir/error.hpp"
#include "exec/core/executor.hpp"
#include "tools/compare/cost_from_profile.hpp"
#include "exec/cpu/cpu_backend.hpp"
#include "exec/core/measured_memory.hpp"
#include "tools/compare/predicted_run.hpp"
#include "../../exec/exec_test_support.hpp"

namespace pipewise::tools {
namespace {

constexpr std::uint32_t kRows = 8;       // exec::test::small_task_config
constexpr std::uint32_t kWidth = 16;     // every layer 16 -> 16
constexpr std::uint64_t kFloat = sizeof(float);

class PredictedMemory : public ::testing::Test {
 protected:
  // Eight layers 16 -> 16 (16 classes), so every stage of an even split has the same
  // parameters: 16·17 = 272 per layer.
  PredictedMemory() : task_(kWidth, kWidth, exec::test::small_task_config()) {
    config_.widths.assign(9, kWidth);
  }

  struct Outcome {
    std::vector<exec::MeasuredMemory> measured;
    std::vector<std::uint64_t> held_after_run;  // bytes still held once transients are freed
    PredictedRun predicted;
  };

  Outcome run(const char* name, const Problem& shape) {
    const exec::MlpModel model(config_, shape.stages(), exec::PartitionRule::ByLayers);
    const exec::OptimizerConfig optimizer = exec::OptimizerConfig::sgd(0.05f, 0.9f);
    exec::CpuBackend backend(model, task_, optimizer);
    const Schedule schedule = exec::test::lowered(name, shape);
    exec::run_schedule(schedule, backend);
    Outcome outcome;
    std::vector<sim::MemoryConfig> shares;
    for (std::uint32_t d = 0; d < shape.devices; ++d) {
      outcome.measured.push_back(exec::measured_memory(backend.memory(d)));
      outcome.held_after_run.push_back(backend.memory(d).current_bytes());
      shares.push_back(device_memory_config(model, shape, d, kRows, optimizer));
    }
    outcome.predicted = predict_run(schedule, sim::CostConfig{}, shares);
    return outcome;
  }

  void expect_equal_peaks(const Outcome& outcome) {
    for (std::size_t d = 0; d < outcome.measured.size(); ++d) {
      const sim::DeviceStats& predicted = outcome.predicted.result.devices[d];
      EXPECT_EQ(outcome.measured[d].peak_activations, predicted.peak_activations) << "device " << d;
      EXPECT_EQ(outcome.measured[d].weight_versions, predicted.weight_versions) << "device " << d;
    }
  }

  exec::MlpConfig config_;
  exec::SyntheticTask task_;
};

TEST_F(PredictedMemory, OneFOneBPeaksAgree) {
  const Outcome outcome = run("1f1b", exec::test::problem(2, 4));
  expect_equal_peaks(outcome);
  EXPECT_EQ(outcome.measured[0].peak_activations, 2u);  // min(m, p - d)
  EXPECT_EQ(outcome.measured[1].peak_activations, 1u);
}

TEST_F(PredictedMemory, GPipePeaksAgree) {
  const Outcome outcome = run("gpipe", exec::test::problem(2, 3));
  expect_equal_peaks(outcome);
  EXPECT_EQ(outcome.measured[1].peak_activations, 3u);  // all m
}

TEST_F(PredictedMemory, InterleavedPeaksAgree) {
  const Outcome outcome = run("interleaved", exec::test::problem(2, 4, 1, 2));
  expect_equal_peaks(outcome);
  EXPECT_EQ(outcome.measured[0].peak_activations, 5u);  // see memory_peaks_test
}

TEST_F(PredictedMemory, PipeDreamWeightVersionsAgree) {
  const Outcome outcome = run("pipedream", exec::test::problem(2, 1, 6));
  expect_equal_peaks(outcome);
  EXPECT_EQ(outcome.measured[0].weight_versions, 2u);  // p - s
  EXPECT_EQ(outcome.measured[1].weight_versions, 1u);
}

TEST_F(PredictedMemory, StaticAndStashedBytesAgree) {
  const Outcome outcome = run("1f1b", exec::test::problem(2, 4));
  // Each device: 4 layers of 272 parameters, their gradients and a momentum buffer.
  const std::uint64_t static_bytes = 3 * 4 * 272 * kFloat;
  for (std::uint32_t d = 0; d < 2; ++d) {
    EXPECT_EQ(outcome.predicted.result.devices[d].static_bytes, static_bytes);
    EXPECT_EQ(outcome.held_after_run[d], static_bytes);
  }
  // Stash per micro-batch: 4 outputs of 8·16 floats, and on device 1 the received input too.
  const std::uint64_t first_stash = 4 * kRows * kWidth * kFloat;
  const std::uint64_t last_stash = 5 * kRows * kWidth * kFloat;
  EXPECT_EQ(outcome.predicted.result.devices[0].peak_activation_bytes, 2 * first_stash);
  EXPECT_EQ(outcome.predicted.result.devices[1].peak_activation_bytes, last_stash);
  // The last device holds one stash at a time and sends no activation: the same bytes.
  EXPECT_EQ(outcome.measured[1].peak_activation_bytes, last_stash);
  // Device 0 also holds the copy of an output it is sending while two stashes are alive:
  // a transient buffer the simulator does not model.
  EXPECT_EQ(outcome.measured[0].peak_activation_bytes, 2 * first_stash + kRows * kWidth * kFloat);
}

TEST_F(PredictedMemory, EachDeviceGetsItsOwnShare) {
  // Uneven shares: device 1 has twice the parameters and stash of device 0.
  sim::MemoryConfig small;
  small.parameter_bytes = 1000;
  small.layers = 1;
  small.activation_bytes_per_layer = 100;
  sim::MemoryConfig large = small;
  large.parameter_bytes = 2000;
  large.activation_bytes_per_layer = 200;
  const Schedule schedule = exec::test::lowered("gpipe", exec::test::problem(2, 3));
  const PredictedRun prediction = predict_run(schedule, sim::CostConfig{}, {small, large});
  // GPipe holds all 3 stashes; static = weights + gradients (SGD keeps no state).
  EXPECT_EQ(prediction.result.devices[0].peak_bytes, 2000u + 3 * 100);
  EXPECT_EQ(prediction.result.devices[1].peak_bytes, 4000u + 3 * 200);
  EXPECT_EQ(prediction.result.timeline->memory[1].front().bytes, 4000u);
  EXPECT_EQ(prediction.metrics.devices[1].peak_memory_bytes, 4000u + 3 * 200);
  for (const ActivationLifetime& lifetime : prediction.result.timeline->activations) {
    EXPECT_EQ(lifetime.bytes, lifetime.device == 0 ? 100u : 200u);
  }
  EXPECT_EQ(prediction.result.timeline->activations.size(), 2u * 3);
  EXPECT_THROW(predict_run(schedule, sim::CostConfig{}, {small}), Error);
}

}  // namespace
}  // namespace pipewise::tools
