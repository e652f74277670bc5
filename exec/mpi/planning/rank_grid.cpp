#include "exec/mpi/planning/rank_grid.hpp"

#include <string>

namespace pipewise::exec::mpi {

Result<RankGrid> rank_grid_for(std::uint32_t world_size, std::uint32_t devices,
                               std::uint32_t replicas) {
  if (devices == 0) return Status::failure("a pipeline of 0 devices cannot run");
  if (world_size == 0) return Status::failure("no rank to run on");
  const std::string ranks = std::to_string(world_size) + " rank(s)";
  if (replicas == 0) {
    if (world_size % devices != 0) {
      return Status::failure(ranks + " cannot form replicas of a " + std::to_string(devices) +
                             "-device pipeline: launch p·d ranks, p = " +
                             std::to_string(devices) + " devices times d data-parallel replicas");
    }
    replicas = world_size / devices;
  }
  if (std::uint64_t{devices} * replicas != world_size) {
    return Status::failure(ranks + " do not form " + std::to_string(replicas) +
                           " replica(s) of a " + std::to_string(devices) +
                           "-device pipeline: that takes " +
                           std::to_string(std::uint64_t{devices} * replicas) + " ranks");
  }
  return RankGrid{devices, replicas};
}

RankCommunicators plan_communicators(const RankGrid& grid, std::uint32_t rank) {
  const RankPosition self = grid.position_of(rank);
  RankCommunicators plan;
  plan.pipeline.color = self.replica;
  plan.pipeline.key = self.device;
  for (std::uint32_t device = 0; device < grid.devices; ++device) {
    plan.pipeline.members.push_back(grid.rank_of({device, self.replica}));
  }
  plan.data_parallel.color = self.device;
  plan.data_parallel.key = self.replica;
  for (std::uint32_t replica = 0; replica < grid.replicas; ++replica) {
    plan.data_parallel.members.push_back(grid.rank_of({self.device, replica}));
  }
  return plan;
}

}  // namespace pipewise::exec::mpi
