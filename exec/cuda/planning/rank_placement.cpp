#include "exec/cuda/planning/rank_placement.hpp"

#include <string>
#include <vector>

#include "common/ir/error.hpp"

namespace pipewise::exec::cuda {

std::string_view rank_group_name(RankGroup group) {
  return group == RankGroup::Pipeline ? "pipeline" : "data-parallel";
}

int rank_gpu(const DeviceRequest& request, std::uint32_t local_rank, int visible_gpus) {
  if (request.emulate > 0) {
    throw Error("--emulate partitions one GPU inside one process; a multi-process run drives one "
                "GPU per rank (run --emulate without mpirun)");
  }
  if (visible_gpus <= 0) throw Error("no CUDA device is visible to this process");
  const std::string rank = "local rank " + std::to_string(local_rank);
  int gpu = static_cast<int>(local_rank);
  if (!request.gpus.empty()) {
    if (local_rank >= request.gpus.size()) {
      throw Error("--gpus names " + std::to_string(request.gpus.size()) + " GPU(s) but this machine runs " +
                  rank + " (name one GPU per rank on the machine)");
    }
    gpu = request.gpus[local_rank];
  } else if (local_rank >= static_cast<std::uint32_t>(visible_gpus)) {
    throw Error(rank + " has no GPU of its own: the process sees " + std::to_string(visible_gpus) +
                " GPU(s) (start at most that many ranks per machine; NCCL runs one rank per GPU)");
  }
  if (gpu >= visible_gpus) {
    throw Error("--gpus gives " + rank + " GPU " + std::to_string(gpu) + " but only " +
                std::to_string(visible_gpus) + " are visible (0.." + std::to_string(visible_gpus - 1) + ")");
  }
  return gpu;
}

void check_rank_placement(const RankPlacement& placement, std::uint32_t schedule_devices) {
  if (placement.devices != schedule_devices) {
    throw Error("the ranks form a pipeline of " + std::to_string(placement.devices) +
                " device(s) but the schedule has " + std::to_string(schedule_devices));
  }
  if (placement.device >= placement.devices || placement.replica >= placement.replicas) {
    throw Error("rank placement device " + std::to_string(placement.device) + " of " +
                std::to_string(placement.devices) + ", replica " + std::to_string(placement.replica) +
                " of " + std::to_string(placement.replicas) + " is outside its grid");
  }
  if (!placement.broadcast) throw Error("a multi-process CUDA run needs the launcher's broadcast");
}

TransferPlan plan_rank_transfers(const Schedule& schedule, TransportChoice choice) {
  if (choice == TransportChoice::Copy) {
    throw Error("--transport copy needs every device in one process; across processes messages "
                "travel by NCCL (--transport auto or nccl)");
  }
  std::vector<int> own_gpu(schedule.problem.devices);
  for (std::size_t d = 0; d < own_gpu.size(); ++d) own_gpu[d] = static_cast<int>(d);
  try {
    return plan_transfers(schedule, own_gpu, TransportChoice::Nccl);
  } catch (const Error& refusal) {
    throw Error(std::string(refusal.what()) +
                " (across processes every message is an NCCL call; in one process --transport auto "
                "runs this schedule with peer copies)");
  }
}

}  // namespace pipewise::exec::cuda
