#include "exec/mpi/clock_sync.hpp"

#include <chrono>
#include <string>

namespace pipewise::exec::mpi {

std::int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::vector<ClockOffset> measure_clock_offsets(const MpiWorld& world, std::uint32_t rounds,
                                               Deadline deadline) {
  constexpr int kTag = static_cast<int>(ControlTag::ClockSample);
  const WaitPolicy waiting = world.waiting();
  if (world.rank() != 0) {
    for (std::uint32_t round = 0; round < rounds; ++round) {
      receive_values<std::int64_t>(0, kTag, MPI_COMM_WORLD, deadline, waiting,
                                   "rank 0's clock sample");
      send_values(std::vector<std::int64_t>{steady_now_ns()}, 0, kTag, MPI_COMM_WORLD, deadline,
                  waiting, "the answer to rank 0's clock sample");
    }
    return {};
  }
  std::vector<ClockOffset> offsets(world.size());
  for (std::uint32_t rank = 1; rank < world.size(); ++rank) {
    const std::string peer = "rank " + std::to_string(rank) + "'s clock sample";
    std::vector<ClockSample> samples;
    for (std::uint32_t round = 0; round < rounds; ++round) {
      ClockSample sample;
      sample.sent_ns = steady_now_ns();
      send_values(std::vector<std::int64_t>{round}, static_cast<int>(rank), kTag, MPI_COMM_WORLD,
                  deadline, waiting, peer);
      const std::vector<std::int64_t> answer =
          receive_values<std::int64_t>(static_cast<int>(rank), kTag, MPI_COMM_WORLD, deadline,
                                       waiting, peer);
      sample.received_ns = steady_now_ns();
      sample.remote_ns = answer.empty() ? sample.sent_ns : answer.front();
      samples.push_back(sample);
    }
    offsets[rank] = estimate_offset(samples);
  }
  offsets[0].at_ns = static_cast<double>(steady_now_ns());
  return offsets;
}

}  // namespace pipewise::exec::mpi
