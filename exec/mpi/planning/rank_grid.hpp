#pragma once
#include <cstdint>
#include <vector>

#include "common/ir/status.hpp"

namespace pipewise::exec::mpi {

// Where one rank sits in a multi-process run: the pipeline device it runs and the
// data-parallel replica of the pipeline it belongs to.
struct RankPosition {
  std::uint32_t device = 0;
  std::uint32_t replica = 0;
  friend bool operator==(const RankPosition&, const RankPosition&) = default;
};

// The ranks of a run laid out as a p × d grid: p pipeline devices (one per rank), d
// data-parallel replicas of the whole pipeline. Ranks are numbered as Megatron-LM numbers
// them with the pipeline outermost: rank = device·d + replica, so the d replicas of one
// device (which all-reduce its gradients every step) are neighbours, on one machine when a
// launcher fills machines rank by rank.
struct RankGrid {
  std::uint32_t devices = 1;   // p
  std::uint32_t replicas = 1;  // d

  std::uint32_t ranks() const { return devices * replicas; }
  // REQUIRES: device < devices, replica < replicas.
  std::uint32_t rank_of(RankPosition position) const {
    return position.device * replicas + position.replica;
  }
  // REQUIRES: rank < ranks().
  RankPosition position_of(std::uint32_t rank) const { return {rank / replicas, rank % replicas}; }
};

// The grid of `world_size` ranks running a pipeline of `devices` devices: d = world_size / p
// replicas, or exactly `replicas` when it is not 0. Fails, naming the numbers, when a size is
// 0 or world_size is not p·d.
Result<RankGrid> rank_grid_for(std::uint32_t world_size, std::uint32_t devices,
                               std::uint32_t replicas = 0);

// One communicator a rank belongs to: as MPI_Comm_split makes it (every rank passing its
// `color` and `key`), and the world ranks it holds in the order of their rank in it.
struct CommunicatorPlan {
  std::uint32_t color = 0;
  std::uint32_t key = 0;  // this rank's rank in the communicator
  std::vector<std::uint32_t> members;
};

// The communicators of `rank`: its replica's pipeline (one rank per device, ranked by device:
// stage-to-stage messages travel there) and its device's data-parallel group (one rank per
// replica, ranked by replica: the gradient all-reduce runs there).
struct RankCommunicators {
  CommunicatorPlan pipeline;
  CommunicatorPlan data_parallel;
};

// REQUIRES: rank < grid.ranks().
RankCommunicators plan_communicators(const RankGrid& grid, std::uint32_t rank);

}  // namespace pipewise::exec::mpi
