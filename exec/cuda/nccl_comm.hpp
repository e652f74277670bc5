#pragma once
#include <nccl.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "exec/cuda/planning/rank_placement.hpp"

namespace pipewise::exec::cuda {

// One NCCL communicator, destroyed (or aborted, after an error) with its owner.
class NcclComm {
 public:
  explicit NcclComm(ncclComm_t comm) : comm_(comm) {}
  ~NcclComm();
  NcclComm(NcclComm&& other) noexcept : comm_(other.comm_) { other.comm_ = nullptr; }
  NcclComm& operator=(NcclComm&&) = delete;
  NcclComm(const NcclComm&) = delete;
  NcclComm& operator=(const NcclComm&) = delete;

  ncclComm_t get() const { return comm_; }
  // Throws pipewise::Error "<what>: NCCL asynchronous error ..." when the communicator
  // reports one (ncclCommGetAsyncError): a peer failed, a network error, a timeout.
  void check_async(std::string_view what) const;
  // Aborts every operation in flight on the communicator (unblocks a stream stuck in a
  // send or receive whose peer will never come) and frees it.
  void abort() noexcept;

 private:
  ncclComm_t comm_;
};

// One communicator per GPU of `gpus` (distinct ordinals), rank r on gpus[r], made by
// ncclCommInitAll for one process driving several GPUs. Throws pipewise::Error with NCCL's
// message (e.g. "Duplicate GPU detected" when an ordinal repeats).
std::vector<NcclComm> make_nccl_clique(const std::vector<int>& gpus);

// A one-rank communicator on `gpu`: it can send to itself when the send and the receive
// are in one group, which is how the NCCL path runs on a single GPU.
NcclComm make_nccl_loopback(int gpu);

// Rank `rank` of a `size`-rank communicator whose ranks are separate processes
// (ncclCommInitRank), on `gpu`: rank 0 makes the unique id and `broadcast` hands it to the
// other ranks of `group`. Collective: every rank of the group calls it, in the same order
// as its other collective calls. Throws pipewise::Error with NCCL's message.
NcclComm make_nccl_rank_comm(int gpu, std::uint32_t rank, std::uint32_t size, RankGroup group,
                             const GroupBroadcast& broadcast);

// NCCL's version as "2.28.9".
std::string_view nccl_version_text();

}  // namespace pipewise::exec::cuda
