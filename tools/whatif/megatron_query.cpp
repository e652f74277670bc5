#include "tools/whatif/megatron_query.hpp"

namespace pipewise::tools {

MegatronMemoryQuery megatron_query(const ModelDescription& model, const PipelineShape& shape,
                                   std::uint32_t microbatches) {
  const TransformerShape& transformer = *model.transformer;
  MegatronMemoryQuery query;
  query.num_layers = transformer.layers;
  query.hidden_size = transformer.hidden;
  query.num_attention_heads = transformer.heads;
  query.num_query_groups = transformer.groups();
  query.ffn_hidden_size = transformer.ffn();
  // Megatron-LM's estimator ignores --context-parallel-size; asked about one rank, it sees
  // that rank's s/cp tokens and the d·cp ranks its distributed optimizer shards over.
  query.seq_length = transformer.sequence / shape.context;
  query.padded_vocab_size = transformer.padded_vocabulary(shape.tensor.size);
  query.swiglu = transformer.gated_mlp;
  query.rms_norm = transformer.normalization == Normalization::RMSNorm;
  query.untie_embeddings_and_output_weights = !transformer.tied_embeddings;
  query.use_flash_attn = transformer.flash_attention;
  query.tensor_model_parallel_size = shape.tensor.size;
  query.pipeline_model_parallel_size = shape.devices;
  query.virtual_pipeline_model_parallel_size = shape.chunks;
  query.data_parallel_size = shape.replicas * shape.context;
  query.micro_batch_size = shape.micro_batch_size;
  query.num_microbatches = microbatches;
  query.sequence_parallel = shape.tensor.sequence_parallel;
  switch (shape.recompute) {
    case Recompute::None: query.recompute = MegatronRecompute::None; break;
    case Recompute::Selective: query.recompute = MegatronRecompute::Selective; break;
    case Recompute::Full: query.recompute = MegatronRecompute::Full; break;
    case Recompute::Block:
      query.recompute = MegatronRecompute::Full;
      query.recompute_num_layers = shape.recompute_layers;
      break;
  }
  query.use_distributed_optimizer = shape.distributed_optimizer;
  return query;
}

}  // namespace pipewise::tools
