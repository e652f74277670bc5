#include "tools/model/model_presets.hpp"

#include <cstdint>

#include "common/text/format.hpp"

namespace pipewise::tools {
namespace {

ModelDescription gpt3_175b() {
  ModelDescription model;
  model.name = "gpt3-175b";
  model.transformer = TransformerShape{96, 12288, 2048, 96};
  // A node of 8 H100-80GB: 400 TFLOP/s of achieved bf16 (about 40% of the dense peak).
  model.device = {64, 80 * kGiB, 400};
  model.batch = {1536, {1, 2, 4}};
  model.parallelism.tensor = {8, true};
  // Pipeline stages and data-parallel replicas span nodes: one 400 Gb/s NDR InfiniBand
  // link per GPU, 50 GB/s.
  model.interconnect = {50, 0.01, 50, 0.01};
  model.training.distributed_optimizer = true;
  return model;
}

ModelDescription bert_large() {
  ModelDescription model;
  model.name = "bert-large";
  model.transformer = TransformerShape{24, 1024, 512, 16};
  model.device = {8, 80 * kGiB, 400};
  model.batch = {256, {1, 2, 4, 8, 16, 32}};
  // One NVLink node.
  model.interconnect = {200, 0.005, 200, 0.005};
  return model;
}

// One fp32 linear layer (followed by a ReLU except at the end), per sample: forward
// 2·in·out FLOPs, backward twice that (input and weight gradients, half each); it stashes
// its input and its output (for the ReLU's backward) and sends its output on.
LayerGroup linear_layer(const std::string& name, std::uint32_t in, std::uint32_t out) {
  const double inputs = in;
  const double outputs = out;
  LayerGroup layer;
  layer.name = name;
  layer.forward = {2 * inputs * outputs, true};
  layer.backward = {4 * inputs * outputs, true};
  layer.activation_bytes = 4 * (inputs + outputs);
  layer.output_bytes = 4 * outputs;
  layer.parameter_bytes = 4 * outputs * (inputs + 1);
  return layer;
}

ModelDescription mlp_4block() {
  ModelDescription model;
  model.name = "mlp-4block";
  model.layers = {linear_layer("block1.fc1", 100, 1024), linear_layer("block1.fc2", 1024, 1024),
                  linear_layer("block2.fc1", 1024, 2048), linear_layer("block2.fc2", 2048, 2048),
                  linear_layer("block3.fc1", 2048, 1024), linear_layer("block3.fc2", 1024, 1024),
                  linear_layer("block4.fc1", 1024, 512), linear_layer("block4.fc2", 512, 10)};
  // A CPU core with OpenBLAS: about 0.1 TFLOP/s of fp32; stages exchange tensors in memory.
  model.device = {4, 16 * kGiB, 0.1};
  model.batch = {256, {8, 16, 32, 64}};
  model.interconnect = {10, 0.005, 10, 0.005};
  model.training.weight_bytes_per_parameter = 4;           // fp32 weights and gradients
  model.training.optimizer_state_bytes_per_parameter = 8;  // Adam's two fp32 moments
  return model;
}

}  // namespace

const std::vector<ModelPreset>& model_presets() {
  static const std::vector<ModelPreset> kPresets = {
      {"gpt3-175b",
       "GPT-3 175B: 96 layers, hidden 12288, seq 2048; 64 H100-80GB, TP 8, global batch 1536",
       gpt3_175b()},
      {"bert-large", "BERT-Large: 24 layers, hidden 1024, seq 512; 8 H100-80GB, global batch 256",
       bert_large()},
      {"mlp-4block",
       "the seeds' MLP 100→1024→1024, 1024→2048→2048, 2048→1024→1024, 1024→512→10; 4 CPU cores",
       mlp_4block()},
  };
  return kPresets;
}

const ModelPreset* find_model_preset(std::string_view name) {
  for (const ModelPreset& preset : model_presets()) {
    if (preset.name == name) return &preset;
  }
  return nullptr;
}

const ModelDescription& default_model() { return model_presets().front().model; }

}  // namespace pipewise::tools
