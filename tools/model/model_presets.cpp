#include "tools/model/model_presets.hpp"

#include <cstdint>
#include <string>
#include <utility>

#include "common/text/format.hpp"

namespace pipewise::tools {
namespace {

// Megatron-LM's GPT-3 175B (examples/gpt3/train_gpt3_175b_distributed.sh; Brown et al.
// 2020): the GPT-2 BPE vocabulary, learned positions, LayerNorm, GeLU, tied embeddings,
// on 8 DGX A100 nodes as in Korthikanti et al. 2022, with GPT-3's batch of 1536 sequences.
ModelDescription gpt3_175b() {
  ModelDescription model;
  model.name = "gpt3-175b";
  model.transformer = TransformerShape{96, 12288, 2048, 96};
  model.device = {64, hardware_preset("a100-80gb")};
  model.batch = {1536, {1, 2, 4}};
  return model;
}

// Llama 3 (Meta, 2024; NVIDIA-NeMo/Megatron-Bridge llama_provider.py): grouped-query
// attention with 8 query groups, SwiGLU, RMSNorm, rotary positions, no biases, untied
// embeddings, a 128256-token vocabulary, 8192-token sequences, flash attention.
ModelDescription llama3(std::string name, std::uint32_t layers, std::uint32_t hidden,
                        std::uint32_t heads, std::uint32_t ffn, std::uint32_t devices,
                        std::uint64_t global_batch) {
  ModelDescription model;
  model.name = std::move(name);
  TransformerShape shape{layers, hidden, 8192, heads};
  shape.query_groups = 8;
  shape.ffn_hidden = ffn;
  shape.gated_mlp = true;
  shape.normalization = Normalization::RMSNorm;
  shape.vocabulary = 128256;
  shape.tied_embeddings = false;
  shape.position_embedding = PositionEmbedding::Rotary;
  shape.linear_bias = false;
  shape.flash_attention = true;
  model.transformer = shape;
  model.device = {devices, hardware_preset("h100-sxm")};
  model.batch = {global_batch, {1, 2}};
  return model;
}

// Devlin et al. 2019, as Megatron-LM's examples/bert/train_bert_340m_distributed.sh: the
// WordPiece vocabulary, on one DGX A100.
ModelDescription bert_large() {
  ModelDescription model;
  model.name = "bert-large";
  TransformerShape shape{24, 1024, 512, 16};
  shape.vocabulary = 30522;
  shape.causal_attention = false;  // every token attends to every other
  model.transformer = shape;
  model.device = {8, hardware_preset("a100-80gb")};
  model.batch = {256, {1, 2, 4, 8, 16, 32}};
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
  HardwareSpec core;
  core.name = "cpu-core";
  core.peak_tflops = 0.1;
  core.gemm_efficiency = 1;
  core.memory_bytes = 16 * kGiB;
  model.device = {4, core};
  model.batch = {256, {8, 16, 32, 64}};
  model.interconnect = {10, 0.005, 10, 0.005};
  model.training.weight_bytes_per_parameter = 4;            // fp32 weights and gradients
  model.training.gradient_bytes_per_parameter = 4;
  model.training.optimizer_state_bytes_per_parameter = 8;   // Adam's two fp32 moments
  model.training.distributed_optimizer = false;
  return model;
}

}  // namespace

const std::vector<ModelPreset>& model_presets() {
  static const std::vector<ModelPreset> kPresets = {
      {"gpt3-175b",
       "GPT-3 175B: 96 layers, hidden 12288, seq 2048; 64 A100-80GB, global batch 1536",
       gpt3_175b()},
      {"llama3-8b",
       "Llama 3 8B: 32 layers, hidden 4096, GQA 8, SwiGLU, seq 8192; 8 H100, global batch 128",
       llama3("llama3-8b", 32, 4096, 32, 14336, 8, 128)},
      {"llama3-70b",
       "Llama 3 70B: 80 layers, hidden 8192, GQA 8, SwiGLU, seq 8192; 64 H100, global batch 256",
       llama3("llama3-70b", 80, 8192, 64, 28672, 64, 256)},
      {"llama3-405b",
       "Llama 3.1 405B: 126 layers, hidden 16384, GQA 8, seq 8192; 512 H100, global batch 512",
       llama3("llama3-405b", 126, 16384, 128, 53248, 512, 512)},
      {"bert-large", "BERT-Large: 24 layers, hidden 1024, seq 512; 8 A100-80GB, global batch 256",
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
