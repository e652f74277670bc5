#include "exec/cuda/nccl_comm.hpp"

#include <cuda_runtime_api.h>

#include <string>

#include "common/ir/error.hpp"
#include "exec/cuda/cuda_check.hpp"

namespace pipewise::exec::cuda {

NcclComm::~NcclComm() {
  if (comm_ != nullptr) ncclCommDestroy(comm_);
}

void NcclComm::check_async(std::string_view what) const {
  if (comm_ == nullptr) throw Error(std::string(what) + ": the NCCL communicator was aborted");
  ncclResult_t state = ncclSuccess;
  check_nccl(ncclCommGetAsyncError(comm_, &state), what);
  if (state == ncclSuccess || state == ncclInProgress) return;
  check_nccl(state, std::string(what) + ": NCCL asynchronous error");
}

void NcclComm::abort() noexcept {
  if (comm_ == nullptr) return;
  ncclCommAbort(comm_);
  comm_ = nullptr;
}

std::vector<NcclComm> make_nccl_clique(const std::vector<int>& gpus) {
  std::vector<ncclComm_t> raw(gpus.size(), nullptr);
  check_nccl(ncclCommInitAll(raw.data(), static_cast<int>(gpus.size()), gpus.data()),
             "creating NCCL communicators for " + std::to_string(gpus.size()) + " GPUs");
  std::vector<NcclComm> comms;
  for (ncclComm_t comm : raw) comms.emplace_back(comm);
  return comms;
}

NcclComm make_nccl_loopback(int gpu) {
  ncclComm_t comm = nullptr;
  check_nccl(ncclCommInitAll(&comm, 1, &gpu),
             "creating a one-rank NCCL communicator on GPU " + std::to_string(gpu));
  return NcclComm(comm);
}

NcclComm make_nccl_rank_comm(int gpu, std::uint32_t rank, std::uint32_t size, RankGroup group,
                             const GroupBroadcast& broadcast) {
  const std::string what = "creating the " + std::string(rank_group_name(group)) +
                           " NCCL communicator (rank " + std::to_string(rank) + " of " +
                           std::to_string(size) + ", GPU " + std::to_string(gpu) + ")";
  ncclUniqueId id{};
  if (rank == 0) check_nccl(ncclGetUniqueId(&id), what);
  broadcast(group, &id, sizeof(id));
  check_cuda(cudaSetDevice(gpu), what);
  ncclComm_t comm = nullptr;
  check_nccl(ncclCommInitRank(&comm, static_cast<int>(size), id, static_cast<int>(rank)), what);
  return NcclComm(comm);
}

std::string_view nccl_version_text() {
  static const std::string text = [] {
    int code = 0;
    if (ncclGetVersion(&code) != ncclSuccess) return std::string("unknown");
    return std::to_string(code / 10000) + "." + std::to_string(code / 100 % 100) + "." +
           std::to_string(code % 100);
  }();
  return text;
}

}  // namespace pipewise::exec::cuda
