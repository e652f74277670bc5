#include "tools/model/megatron_memory.hpp"

#include <algorithm>

namespace pipewise::tools {

MegatronMemory megatron_theoretical_memory(const MegatronMemoryQuery& query) {
  const double h = query.hidden_size;
  const double L = query.num_layers;
  const double a = query.num_attention_heads;
  const double g = query.num_query_groups;
  const double f = query.ffn_hidden_size;
  const double s = query.seq_length;
  const double b = query.micro_batch_size;
  const double V = static_cast<double>(query.padded_vocab_size);
  const double t = query.tensor_model_parallel_size;
  const double p = query.pipeline_model_parallel_size;
  const double v = query.virtual_pipeline_model_parallel_size;
  const double d = query.data_parallel_size;
  const double m = query.num_microbatches;

  // compute_weight_and_optimizer_memory: kv_channels = h/a, so query_projection_to_hidden
  // is 1.
  const double norm_size = query.rms_norm ? 1 : 2;
  const double gated = query.swiglu ? 1.5 : 1;
  const double attention = 2 * h * h * (1 + g / a);
  const double mlp = 2 * h * f * gated;
  const double norms = 2 * h * norm_size;
  const double embedding = h * V;
  const double tensor_parallel_block = L * (attention + mlp);
  const double replicated_block = L * norms + norm_size * h;  // final norm counted here
  double parameters = (tensor_parallel_block / p + embedding) / t + replicated_block / p;
  if (query.untie_embeddings_and_output_weights && query.pipeline_model_parallel_size == 1) {
    parameters += embedding / t;
  }
  const double bytes_per_parameter = query.use_distributed_optimizer ? 6 + 12 / d : 18;

  MegatronMemory memory;
  memory.parameters = parameters;
  memory.weight_and_optimizer_bytes = parameters * bytes_per_parameter;

  const bool sequence = query.sequence_parallel && query.tensor_model_parallel_size > 1;
  const double sbh = s * b * h;
  const double scores = query.use_flash_attn ? 0 : 5 * a * s * s * b;
  const double whole_layer = sequence ? (sbh * (18 + 4 * f / h) + scores) / t
                                      : sbh * (10 + (8 + 4 * f / h) / t) + scores / t;
  double layers_bytes = 0;
  switch (query.recompute) {
    case MegatronRecompute::None:
      layers_bytes = whole_layer * L;
      break;
    case MegatronRecompute::Selective:
      layers_bytes = (sequence ? sbh * (18 + 4 * f / h) / t : sbh * (10 + (8 + 4 * f / h) / t)) * L;
      break;
    case MegatronRecompute::Full: {
      const double checkpoint = sequence ? 2 * sbh / t : 2 * sbh;
      const double recomputed =
          query.recompute_num_layers == 0 ? L : std::min(L, query.recompute_num_layers * p * v);
      layers_bytes = checkpoint * recomputed + whole_layer * (L - recomputed);
      break;
    }
  }
  // Embedding input (token ids) and dropout mask, p micro-batches in flight; divided by t
  // with sequence parallelism, as the estimator divides its whole sum.
  double activations = layers_bytes + (8 * s * b + sbh) * p / (sequence ? t : 1);
  if (v > 1) {
    activations *= 1 + (p - 1) / (p * v);
  } else if (p > 1) {
    activations *= std::min(1.0, m / p);
  }
  if (query.pipeline_model_parallel_size == 1) {
    activations += sequence ? 4 * sbh * (1 + V / h) / t : (s * b * V / t + sbh) * 2;
  }
  if (query.recompute == MegatronRecompute::Full) {
    // The layer being recomputed holds its full activations during its backward.
    activations += whole_layer;
  }
  memory.activation_bytes = activations;
  return memory;
}

}  // namespace pipewise::tools
