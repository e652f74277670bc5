#pragma once
#include <mpi.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

#include "common/ir/problem.hpp"
#include "exec/cpu/message_transport.hpp"
#include "exec/mpi/planning/message_numbering.hpp"
#include "exec/mpi/polling_wait.hpp"

namespace pipewise::exec::mpi {

// Moves the CPU backend's messages between the ranks of one pipeline: device d is rank d of
// the communicator `pipeline` (a replica's pipeline, RankCommunicators). A send is an
// MPI_Isend whose tag names the message (MessageNumbering: kind, sending stage, micro-batch,
// iteration), so a receive matches exactly its message whatever else is on its way; the
// transport keeps the payload until MPI is done with it. A receive polls MPI_Improbe for that
// tag from that rank, then takes the message with MPI_Imrecv, giving up at its deadline and
// on cancel() like the in-process transport. With checksums the sender's checksum follows
// each payload under the same tag (MPI keeps their order) and the receiver verifies it.
//
// One transport serves one run (CpuBackend makes one in prepare through
// CpuBackendOptions::make_transport and drops it in finish). Thread-safe (it needs
// MPI_THREAD_MULTIPLE when several threads use it).
class MpiTransport final : public MessageTransport {
 public:
  // `problem` numbers the messages; `drain_timeout` bounds how long the destructor waits for
  // the sends still under way. Throws pipewise::Error when the run's tags exceed the
  // communicator's MPI_TAG_UB.
  MpiTransport(MPI_Comm pipeline, const Problem& problem, bool checksums, WaitPolicy waiting,
               std::chrono::nanoseconds drain_timeout);
  // Waits until MPI has sent every message (up to the drain timeout). After cancel(), or
  // when the wait runs out, it does not wait: the payloads of unfinished sends are left
  // allocated (MPI may still read them) for the moments before the process ends.
  ~MpiTransport() override;
  MpiTransport(const MpiTransport&) = delete;
  MpiTransport& operator=(const MpiTransport&) = delete;

  void send(std::uint32_t from, std::uint32_t to, const MessageTag& tag,
            std::vector<float>&& payload, MessageFault fault = MessageFault::None) override;
  // Errors name the peer by device and rank: "no message from device 1 (rank 3) within
  // 2000 ms (a deadlock in the schedule, a lost message, or rank 3 stopped answering)".
  std::vector<float> receive(std::uint32_t to, std::uint32_t from, const MessageTag& tag,
                             std::chrono::nanoseconds timeout) override;
  void cancel() noexcept override;

  // Sends MPI has not finished yet.
  std::size_t sends_under_way();

 private:
  struct PendingSend {
    std::vector<float> payload;
    std::uint64_t checksum = 0;
    MPI_Request requests[2] = {MPI_REQUEST_NULL, MPI_REQUEST_NULL};
  };
  int tag_of(const MessageTag& tag) const;
  int world_rank_of(std::uint32_t device) const;
  // Frees the payloads of the oldest sends MPI has finished. REQUIRES: mutex_ held.
  void reap_finished_sends();

  MPI_Comm pipeline_;
  MessageNumbering numbering_;
  bool checksums_;
  WaitPolicy waiting_;
  std::chrono::nanoseconds drain_timeout_;
  std::vector<int> world_ranks_;  // of each device, for messages
  std::mutex mutex_;              // guards pending_
  std::deque<PendingSend> pending_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace pipewise::exec::mpi
