#include "exec/mpi/mpi_transport.hpp"

#include <bit>
#include <memory>
#include <string>
#include <utility>

#include "common/ir/error.hpp"
#include "exec/core/backend.hpp"
#include "exec/cpu/checksum.hpp"
#include "exec/mpi/mpi_call.hpp"

namespace pipewise::exec::mpi {
namespace {

using Clock = std::chrono::steady_clock;

std::uint64_t tag_upper_bound(MPI_Comm communicator) {
  void* value = nullptr;
  int found = 0;
  check_mpi(MPI_Comm_get_attr(communicator, MPI_TAG_UB, &value, &found), "MPI_Comm_get_attr");
  return found != 0 ? static_cast<std::uint64_t>(*static_cast<int*>(value)) : 32767;
}

std::string milliseconds_text(std::chrono::nanoseconds time) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(time).count());
}

}  // namespace

MpiTransport::MpiTransport(MPI_Comm pipeline, const Problem& problem, bool checksums,
                           WaitPolicy waiting, std::chrono::nanoseconds drain_timeout)
    : pipeline_(pipeline),
      numbering_{problem.stages(), problem.microbatches},
      checksums_(checksums),
      waiting_(waiting),
      drain_timeout_(drain_timeout) {
  check_tags_fit(numbering_, problem.iterations, tag_upper_bound(pipeline)).throw_if_failed();
  int size = 0;
  check_mpi(MPI_Comm_size(pipeline, &size), "MPI_Comm_size");
  if (static_cast<std::uint32_t>(size) != problem.devices) {
    throw Error("the pipeline communicator has " + std::to_string(size) +
                " ranks but the schedule " + std::to_string(problem.devices) + " devices");
  }
  MPI_Group group = MPI_GROUP_NULL;
  MPI_Group world = MPI_GROUP_NULL;
  check_mpi(MPI_Comm_group(pipeline, &group), "MPI_Comm_group");
  check_mpi(MPI_Comm_group(MPI_COMM_WORLD, &world), "MPI_Comm_group");
  std::vector<int> ranks(static_cast<std::size_t>(size));
  for (int i = 0; i < size; ++i) ranks[static_cast<std::size_t>(i)] = i;
  world_ranks_.resize(ranks.size());
  check_mpi(MPI_Group_translate_ranks(group, size, ranks.data(), world, world_ranks_.data()),
            "MPI_Group_translate_ranks");
  MPI_Group_free(&group);
  MPI_Group_free(&world);
}

MpiTransport::~MpiTransport() {
  std::unique_lock lock(mutex_);
  const auto deadline = Clock::now() + drain_timeout_;
  if (!cancelled_.load()) {
    try {
      poll_until([&] {
        reap_finished_sends();
        return pending_.empty();
      }, deadline, waiting_, &cancelled_);
    } catch (...) {  // cancelled while draining, or MPI failed: leave the rest
    }
  }
  if (!pending_.empty()) {
    // MPI may still read these payloads: keep them for the rest of the process, which a
    // failed run is about to end.
    for (PendingSend& send : pending_) {
      for (MPI_Request& request : send.requests) {
        if (request != MPI_REQUEST_NULL) MPI_Request_free(&request);
      }
    }
    new std::deque<PendingSend>(std::move(pending_));  // deliberately never freed
  }
}

int MpiTransport::tag_of(const MessageTag& tag) const {
  return static_cast<int>(numbering_.tag(tag.gradient, tag.from_stage, tag.microbatch, tag.iteration));
}

int MpiTransport::world_rank_of(std::uint32_t device) const { return world_ranks_[device]; }

void MpiTransport::reap_finished_sends() {
  while (!pending_.empty()) {
    int done = 0;
    check_mpi(MPI_Testall(2, pending_.front().requests, &done, MPI_STATUSES_IGNORE), "MPI_Testall");
    if (done == 0) return;
    pending_.pop_front();
  }
}

void MpiTransport::send(std::uint32_t /*from*/, std::uint32_t to, const MessageTag& tag,
                        std::vector<float>&& payload, MessageFault fault) {
  if (fault == MessageFault::Fail) {
    throw Error("transport failure sending to device " + std::to_string(to) + " (rank " +
                std::to_string(world_rank_of(to)) + ") (injected)");
  }
  if (fault == MessageFault::Drop) {
    payload = {};
    return;
  }
  std::lock_guard lock(mutex_);
  reap_finished_sends();
  PendingSend& message = pending_.emplace_back();
  message.payload = std::move(payload);
  if (checksums_) message.checksum = buffer_checksum(message.payload);
  if (fault == MessageFault::Corrupt && !message.payload.empty()) {
    float& victim = message.payload[message.payload.size() / 2];
    victim = std::bit_cast<float>(std::bit_cast<std::uint32_t>(victim) ^ (1u << 30));
  }
  const int mpi_tag = tag_of(tag);
  check_mpi(MPI_Isend(message.payload.data(), static_cast<int>(message.payload.size()), MPI_FLOAT,
                      static_cast<int>(to), mpi_tag, pipeline_, &message.requests[0]),
            "MPI_Isend");
  if (checksums_) {
    check_mpi(MPI_Isend(&message.checksum, 1, MPI_UINT64_T, static_cast<int>(to), mpi_tag,
                        pipeline_, &message.requests[1]),
              "MPI_Isend");
  }
}

std::vector<float> MpiTransport::receive(std::uint32_t /*to*/, std::uint32_t from,
                                         const MessageTag& tag, std::chrono::nanoseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  const int source = static_cast<int>(from);
  const int mpi_tag = tag_of(tag);
  const auto late = [&] {
    const std::string rank = std::to_string(world_rank_of(from));
    return Error("no message from device " + std::to_string(from) + " (rank " + rank +
                 ") within " + milliseconds_text(timeout) +
                 " ms (a deadlock in the schedule, a lost message, or rank " + rank +
                 " stopped answering)");
  };
  // Waits for `request`, whose buffer `buffer` owns. When the wait fails (deadline, cancel,
  // MPI error) MPI may still write into the buffer: it is then left allocated.
  const auto await = [&](MPI_Request& request, auto& buffer) {
    bool done = false;
    try {
      done = poll_until(
          [&] {
            int finished = 0;
            check_mpi(MPI_Test(&request, &finished, MPI_STATUS_IGNORE), "MPI_Test");
            return finished != 0;
          },
          deadline, waiting_, &cancelled_);
    } catch (...) {
      MPI_Request_free(&request);
      buffer.release();
      throw;
    }
    if (!done) {
      MPI_Request_free(&request);
      buffer.release();
      throw late();
    }
  };

  MPI_Message message = MPI_MESSAGE_NULL;
  MPI_Status status;
  int found = 0;
  const bool arrived = poll_until(
      [&] {
        check_mpi(MPI_Improbe(source, mpi_tag, pipeline_, &found, &message, &status), "MPI_Improbe");
        if (found == 0) {
          std::lock_guard lock(mutex_);
          reap_finished_sends();  // progress for this rank's own sends meanwhile
        }
        return found != 0;
      },
      deadline, waiting_, &cancelled_);
  if (!arrived) throw late();
  int count = 0;
  check_mpi(MPI_Get_count(&status, MPI_FLOAT, &count), "MPI_Get_count");
  auto payload = std::make_unique<std::vector<float>>(static_cast<std::size_t>(count));
  MPI_Request request = MPI_REQUEST_NULL;
  check_mpi(MPI_Imrecv(payload->data(), count, MPI_FLOAT, &message, &request), "MPI_Imrecv");
  await(request, payload);
  if (checksums_) {
    auto checksum = std::make_unique<std::uint64_t>(0);
    check_mpi(MPI_Irecv(checksum.get(), 1, MPI_UINT64_T, source, mpi_tag, pipeline_, &request),
              "MPI_Irecv");
    await(request, checksum);
    if (buffer_checksum(*payload) != *checksum) {
      throw Error("the message from device " + std::to_string(from) + " (rank " +
                  std::to_string(world_rank_of(from)) +
                  ") failed its checksum (corrupted in transit)");
    }
  }
  return std::move(*payload);
}

void MpiTransport::cancel() noexcept { cancelled_.store(true, std::memory_order_release); }

std::size_t MpiTransport::sends_under_way() {
  std::lock_guard lock(mutex_);
  reap_finished_sends();
  return pending_.size();
}

}  // namespace pipewise::exec::mpi
