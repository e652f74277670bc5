// Which data each replica of a data-parallel run reads (exec/core/data_parallel_share.hpp).
#include <gtest/gtest.h>

#include <cstdint>
#include <set>

#include "exec/core/data_parallel_share.hpp"

namespace pipewise::exec {
namespace {

Op forward(std::uint32_t microbatch, std::uint32_t iteration) {
  Op op;
  op.kind = OpKind::Forward;
  op.microbatch = microbatch;
  op.iteration = iteration;
  return op;
}

TEST(DataParallelShare, OneReplicaReadsTheMicroBatchesInOrder) {
  const DataParallelShare alone;
  EXPECT_EQ(alone.data_microbatch(forward(0, 0), 4), 0u);
  EXPECT_EQ(alone.data_microbatch(forward(3, 0), 4), 3u);
  EXPECT_EQ(alone.data_microbatch(forward(1, 2), 4), 9u);
}

TEST(DataParallelShare, ReplicasTogetherReadWhatOnePipelineWithTheirMicroBatchesWould) {
  constexpr std::uint32_t kReplicas = 3;
  constexpr std::uint32_t kMicrobatches = 4;
  constexpr std::uint32_t kIterations = 2;
  for (std::uint32_t i = 0; i < kIterations; ++i) {
    // Iteration i of the replicas reads exactly iteration i of one pipeline with 3·4 micro-batches.
    std::set<std::uint64_t> read;
    for (std::uint32_t r = 0; r < kReplicas; ++r) {
      const DataParallelShare share{r, kReplicas};
      for (std::uint32_t mb = 0; mb < kMicrobatches; ++mb) {
        EXPECT_TRUE(read.insert(share.data_microbatch(forward(mb, i), kMicrobatches)).second);
      }
    }
    const DataParallelShare one_pipeline;
    std::set<std::uint64_t> expected;
    for (std::uint32_t mb = 0; mb < kReplicas * kMicrobatches; ++mb) {
      expected.insert(one_pipeline.data_microbatch(forward(mb, i), kReplicas * kMicrobatches));
    }
    EXPECT_EQ(read, expected) << "iteration " << i;
  }
  // Replica 1's second micro-batch of iteration 1: 1·4·3 + 1·4 + 1.
  EXPECT_EQ((DataParallelShare{1, kReplicas}.data_microbatch(forward(1, 1), kMicrobatches)), 17u);
}

}  // namespace
}  // namespace pipewise::exec
