#include "exec/mpi/gradient_averaging.hpp"

#include <string>

#include "exec/mpi/mpi_exchange.hpp"

namespace pipewise::exec::mpi {

std::function<void(std::uint32_t, std::vector<float>&)> gradient_averaging(
    MPI_Comm data_parallel, std::uint32_t replicas, std::chrono::nanoseconds timeout,
    WaitPolicy waiting) {
  return [=](std::uint32_t stage, std::vector<float>& gradient) {
    if (replicas <= 1) return;
    MPI_Request request = MPI_REQUEST_NULL;
    check_mpi(MPI_Iallreduce(MPI_IN_PLACE, gradient.data(), static_cast<int>(gradient.size()),
                             MPI_FLOAT, MPI_SUM, data_parallel, &request),
              "MPI_Iallreduce");
    try {
      await_request(request, std::chrono::steady_clock::now() + timeout, waiting,
                    "the data-parallel all-reduce of stage " + std::to_string(stage) +
                        "'s gradient across " + std::to_string(replicas) + " replicas");
    } catch (...) {
      // MPI may still write the gradient: give the stage a fresh one and leave this one.
      const std::size_t size = gradient.size();
      new std::vector<float>(std::move(gradient));  // deliberately never freed
      gradient.assign(size, 0.0f);
      throw;
    }
    const float scale = 1.0f / static_cast<float>(replicas);
    for (float& value : gradient) value *= scale;
  };
}

}  // namespace pipewise::exec::mpi
