// The p × d grid of ranks and the communicators each rank belongs to.
#include <gtest/gtest.h>

#include <vector>

#include "exec/mpi/planning/rank_grid.hpp"

namespace pipewise::exec::mpi {
namespace {

TEST(RankGrid, TheReplicasOfOneDeviceAreNeighbouringRanks) {
  const RankGrid grid{2, 3};  // p = 2 devices, d = 3 replicas: ranks 0..5
  EXPECT_EQ(grid.ranks(), 6u);
  // device 0: ranks 0, 1, 2; device 1: ranks 3, 4, 5.
  EXPECT_EQ(grid.rank_of({0, 0}), 0u);
  EXPECT_EQ(grid.rank_of({0, 2}), 2u);
  EXPECT_EQ(grid.rank_of({1, 0}), 3u);
  EXPECT_EQ(grid.rank_of({1, 2}), 5u);
  for (std::uint32_t rank = 0; rank < grid.ranks(); ++rank) {
    EXPECT_EQ(grid.rank_of(grid.position_of(rank)), rank);
  }
  EXPECT_EQ(grid.position_of(4), (RankPosition{1, 1}));
}

TEST(RankGrid, TheWorldSizeDividedByTheDevicesIsTheReplicaCount) {
  const Result<RankGrid> grid = rank_grid_for(8, 4);
  ASSERT_TRUE(grid.ok()) << grid.status().reason();
  EXPECT_EQ(grid->devices, 4u);
  EXPECT_EQ(grid->replicas, 2u);
  EXPECT_EQ(rank_grid_for(2, 2)->replicas, 1u);
  EXPECT_EQ(rank_grid_for(6, 2, 3)->replicas, 3u);
}

TEST(RankGrid, RanksThatFormNoGridAreRefusedWithTheNumbers) {
  EXPECT_EQ(rank_grid_for(3, 2).status().reason(),
            "3 rank(s) cannot form replicas of a 2-device pipeline: launch p·d ranks, p = 2 "
            "devices times d data-parallel replicas");
  EXPECT_EQ(rank_grid_for(4, 2, 3).status().reason(),
            "4 rank(s) do not form 3 replica(s) of a 2-device pipeline: that takes 6 ranks");
  EXPECT_FALSE(rank_grid_for(4, 0).ok());
  EXPECT_FALSE(rank_grid_for(0, 2).ok());
}

TEST(RankCommunicators, EachRankJoinsItsReplicasPipelineAndItsDevicesReplicas) {
  const RankGrid grid{3, 2};  // ranks: device 0 -> 0, 1; device 1 -> 2, 3; device 2 -> 4, 5
  const RankCommunicators rank3 = plan_communicators(grid, 3);  // device 1, replica 1
  EXPECT_EQ(rank3.pipeline.members, (std::vector<std::uint32_t>{1, 3, 5}));
  EXPECT_EQ(rank3.pipeline.color, 1u);  // one pipeline per replica
  EXPECT_EQ(rank3.pipeline.key, 1u);    // ranked by device: device d is rank d in it
  EXPECT_EQ(rank3.data_parallel.members, (std::vector<std::uint32_t>{2, 3}));
  EXPECT_EQ(rank3.data_parallel.color, 1u);  // one group per device
  EXPECT_EQ(rank3.data_parallel.key, 1u);    // ranked by replica
}

TEST(RankCommunicators, EveryRankOfAPipelineAgreesOnItsMembers) {
  const RankGrid grid{4, 2};
  for (std::uint32_t rank = 0; rank < grid.ranks(); ++rank) {
    const RankCommunicators plan = plan_communicators(grid, rank);
    EXPECT_EQ(plan.pipeline.members[plan.pipeline.key], rank);
    EXPECT_EQ(plan.data_parallel.members[plan.data_parallel.key], rank);
    for (const std::uint32_t member : plan.pipeline.members) {
      EXPECT_EQ(plan_communicators(grid, member).pipeline.members, plan.pipeline.members);
    }
  }
}

}  // namespace
}  // namespace pipewise::exec::mpi
