// The channel that bootstraps a backend's own communicators (NCCL's unique ids): a broadcast
// from the first rank of each pipeline and data-parallel group (exec/mpi/mpi_exchange.hpp
// broadcast_bytes, which RankSession::broadcast runs), and each rank's index on its machine.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <set>

#include "exec/mpi/mpi_exchange.hpp"
#include "tests/exec/mpi/mpi_test_support.hpp"

namespace pipewise::exec::mpi {
namespace {

Deadline deadline() { return std::chrono::steady_clock::now() + mpi_test::kTestTimeout; }

// 128 bytes, like an ncclUniqueId, that name the rank that filled them.
std::array<std::uint8_t, 128> stamped(std::uint32_t rank) {
  std::array<std::uint8_t, 128> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(rank * 31 + i);
  return bytes;
}

TEST(Broadcast, EveryRankOfAGroupGetsItsFirstRanksBytes) {
  for (const RankGrid& layout : mpi_test::grids()) {
    const GridCommunicators grid(mpi_test::world(), layout);
    const RankPosition self = grid.self();
    // The pipeline group's first rank is device 0 of this replica; the data-parallel
    // group's, replica 0 of this device.
    auto pipeline = stamped(mpi_test::world().rank());
    broadcast_bytes(pipeline.data(), pipeline.size(), grid.pipeline(), deadline(),
                    mpi_test::world().waiting(), "a test broadcast");
    EXPECT_EQ(pipeline, stamped(layout.rank_of({0, self.replica})));
    auto replicas = stamped(mpi_test::world().rank());
    broadcast_bytes(replicas.data(), replicas.size(), grid.data_parallel(), deadline(),
                    mpi_test::world().waiting(), "a test broadcast");
    EXPECT_EQ(replicas, stamped(layout.rank_of({self.device, 0})));
  }
}

TEST(MpiWorld, EachRankHasItsOwnIndexOnItsMachine) {
  const std::uint32_t local = mpi_test::world().local_rank();
  EXPECT_LT(local, mpi_test::world().local_ranks());
  // Gathered on every rank: the indices of one machine's ranks are 0..k-1, each once (the
  // tests run on one machine).
  std::vector<std::uint32_t> all(mpi_test::world().size());
  MPI_Allgather(&local, 1, MPI_UINT32_T, all.data(), 1, MPI_UINT32_T, MPI_COMM_WORLD);
  const std::set<std::uint32_t> distinct(all.begin(), all.end());
  EXPECT_EQ(distinct.size(), all.size());
  EXPECT_EQ(*distinct.rbegin(), mpi_test::world().size() - 1);
}

}  // namespace
}  // namespace pipewise::exec::mpi
