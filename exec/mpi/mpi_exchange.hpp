#pragma once
#include <mpi.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "common/ir/error.hpp"
#include "exec/mpi/mpi_call.hpp"
#include "exec/mpi/polling_wait.hpp"

// Point-to-point and collective calls that never wait without end: every one polls its
// request (polling_wait.hpp) and fails with one line at its deadline, so that a rank that
// stops answering stops the others within their deadline rather than hanging them.

namespace pipewise::exec::mpi {

using Deadline = std::chrono::steady_clock::time_point;

// Waits for `request`; throws pipewise::Error "WHAT did not complete within N ms (...)" at
// `deadline`. On failure the request is freed and MPI may still use its buffer: callers keep
// the buffer alive (leak it) when this throws.
void await_request(MPI_Request& request, Deadline deadline, const WaitPolicy& waiting,
                   const std::string& what);

// Waits until every rank of `communicator` has called it (MPI_Ibarrier), sleeping rather than
// spinning so that the ranks still at work keep their cores.
void meet(MPI_Comm communicator, Deadline deadline, const std::string& what);

// Collective over `communicator`: copies `size` bytes at `bytes` from its rank 0 to every
// other rank (MPI_Ibcast), waiting until MPI is done with them.
void broadcast_bytes(void* bytes, std::size_t size, MPI_Comm communicator, Deadline deadline,
                     const WaitPolicy& waiting, const std::string& what);

// Sends `values` (trivially copyable) to `destination`, waiting until MPI is done with them.
template <class T>
void send_values(const std::vector<T>& values, int destination, int tag, MPI_Comm communicator,
                 Deadline deadline, const WaitPolicy& waiting, const std::string& what) {
  static_assert(std::is_trivially_copyable_v<T>);
  auto buffer = std::make_unique<std::vector<T>>(values);
  MPI_Request request = MPI_REQUEST_NULL;
  check_mpi(MPI_Isend(buffer->data(), static_cast<int>(buffer->size() * sizeof(T)), MPI_BYTE,
                      destination, tag, communicator, &request),
            "MPI_Isend");
  try {
    await_request(request, deadline, waiting, what);
  } catch (...) {
    buffer.release();  // MPI may still read it
    throw;
  }
}

// Receives the values `source` sends with send_values under `tag`, however many.
template <class T>
std::vector<T> receive_values(int source, int tag, MPI_Comm communicator, Deadline deadline,
                              const WaitPolicy& waiting, const std::string& what) {
  static_assert(std::is_trivially_copyable_v<T>);
  MPI_Message message = MPI_MESSAGE_NULL;
  MPI_Status status;
  int found = 0;
  const bool arrived = poll_until(
      [&] {
        check_mpi(MPI_Improbe(source, tag, communicator, &found, &message, &status), "MPI_Improbe");
        return found != 0;
      },
      deadline, waiting, nullptr);
  if (!arrived) throw Error(what + " did not arrive in time (rank " + std::to_string(source) +
                            " stopped answering?)");
  int bytes = 0;
  check_mpi(MPI_Get_count(&status, MPI_BYTE, &bytes), "MPI_Get_count");
  if (bytes < 0 || static_cast<std::size_t>(bytes) % sizeof(T) != 0) {
    throw Error(what + ": a message of " + std::to_string(bytes) + " bytes is no whole number of values");
  }
  auto values = std::make_unique<std::vector<T>>(static_cast<std::size_t>(bytes) / sizeof(T));
  MPI_Request request = MPI_REQUEST_NULL;
  check_mpi(MPI_Imrecv(values->data(), bytes, MPI_BYTE, &message, &request), "MPI_Imrecv");
  try {
    await_request(request, deadline, waiting, what);
  } catch (...) {
    values.release();  // MPI may still write it
    throw;
  }
  return std::move(*values);
}

}  // namespace pipewise::exec::mpi
