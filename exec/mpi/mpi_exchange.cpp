#include "exec/mpi/mpi_exchange.hpp"

#include <algorithm>
#include <memory>
#include <vector>

namespace pipewise::exec::mpi {

void await_request(MPI_Request& request, Deadline deadline, const WaitPolicy& waiting,
                   const std::string& what) {
  const auto started = std::chrono::steady_clock::now();
  bool done = false;
  try {
    done = poll_until(
        [&] {
          int finished = 0;
          check_mpi(MPI_Test(&request, &finished, MPI_STATUS_IGNORE), "MPI_Test");
          return finished != 0;
        },
        deadline, waiting, nullptr);
  } catch (...) {
    if (request != MPI_REQUEST_NULL) MPI_Request_free(&request);
    throw;
  }
  if (done) return;
  if (request != MPI_REQUEST_NULL) MPI_Request_free(&request);
  const auto waited =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  throw Error(what + " did not complete within " + std::to_string(waited.count()) +
              " ms (a rank stopped answering)");
}

void meet(MPI_Comm communicator, Deadline deadline, const std::string& what) {
  MPI_Request request = MPI_REQUEST_NULL;
  check_mpi(MPI_Ibarrier(communicator, &request), "MPI_Ibarrier");
  await_request(request, deadline, WaitPolicy{}, what);
}

void broadcast_bytes(void* bytes, std::size_t size, MPI_Comm communicator, Deadline deadline,
                     const WaitPolicy& waiting, const std::string& what) {
  // MPI owns the copy until the broadcast completes; should a rank never come, it is left to
  // MPI (the run then ends).
  auto buffer = std::make_unique<std::vector<unsigned char>>(static_cast<unsigned char*>(bytes),
                                                             static_cast<unsigned char*>(bytes) + size);
  MPI_Request request = MPI_REQUEST_NULL;
  check_mpi(MPI_Ibcast(buffer->data(), static_cast<int>(size), MPI_BYTE, 0, communicator, &request),
            "MPI_Ibcast");
  try {
    await_request(request, deadline, waiting, what);
  } catch (...) {
    buffer.release();  // MPI may still write it
    throw;
  }
  std::copy(buffer->begin(), buffer->end(), static_cast<unsigned char*>(bytes));
}

}  // namespace pipewise::exec::mpi
