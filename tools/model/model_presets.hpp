#pragma once
// Built-in model descriptions, named in --help of the commands that take --model.
#include <string>
#include <string_view>
#include <vector>

#include "tools/model/model_description.hpp"

namespace pipewise::tools {

struct ModelPreset {
  std::string name;
  std::string summary;  // one line for --help
  ModelDescription model;
};

// Every preset, the default (gpt3-175b) first. Each leaves t, sequence parallelism and the
// distributed optimizer to the search:
//  - gpt3-175b: 96 layers, hidden 12288, sequence 2048, 96 heads, GPT-2's vocabulary
//    (Brown et al. 2020; Megatron-LM's examples/gpt3) on 64 A100-80GB (8 DGX A100 nodes),
//    global batch 1536 (GPT-3's 3.1M tokens), bf16 Adam.
//  - llama3-8b, llama3-70b, llama3-405b: Llama 3 and 3.1 (grouped-query attention with 8
//    groups, SwiGLU, RMSNorm, rotary positions, no biases, untied embeddings, 128256
//    tokens, sequence 8192, flash attention) on 8, 64 and 512 H100 SXM.
//  - bert-large: 24 layers, hidden 1024, sequence 512, 16 heads, WordPiece vocabulary
//    (Devlin et al. 2019) on one DGX A100, global batch 256.
//  - mlp-4block: the seeds' MLP, 100→1024→1024, 1024→2048→2048, 2048→1024→1024,
//    1024→512→10 (8 linear layers, fp32, Adam) on 4 CPU-core-class devices.
const std::vector<ModelPreset>& model_presets();

// The preset called `name`, or nullptr.
const ModelPreset* find_model_preset(std::string_view name);

// The model `recommend` analyses when given no model arguments (gpt3-175b).
const ModelDescription& default_model();

}  // namespace pipewise::tools
