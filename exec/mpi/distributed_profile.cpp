#include "exec/mpi/distributed_profile.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "exec/core/profile_driver.hpp"
#include "exec/core/profile_statistics.hpp"
#include "exec/cpu/cpu_profile.hpp"
#include "exec/mpi/clock_sync.hpp"
#include "exec/mpi/mpi_exchange.hpp"
#include "exec/mpi/planning/message_numbering.hpp"

namespace pipewise::exec::mpi {
namespace {

constexpr int kProfileTag = static_cast<int>(ControlTag::Profile);
constexpr auto kLongestTurn = std::chrono::minutes(30);

double elapsed_ms(std::int64_t start_ns, std::int64_t end_ns) {
  return static_cast<double>(end_ns - start_ns) / 1e6;
}

// The median one-way time of `bytes`-byte messages between world ranks `from` and `to`:
// half of each ping-pong's round trip, the sender's copy into the message included.
double ping_pong_ms(const MpiWorld& world, int from, int to, std::size_t bytes,
                    const ProfileOptions& options, std::chrono::nanoseconds timeout) {
  const std::size_t floats = (bytes + sizeof(float) - 1) / sizeof(float);
  const std::vector<float> source(floats, 1.0f);
  std::vector<float> message(floats);
  std::vector<double> samples;
  const bool sender = static_cast<int>(world.rank()) == from;
  const int peer = sender ? to : from;
  for (std::uint32_t run = 0; run < options.warmup + options.repeats; ++run) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const std::int64_t start = steady_now_ns();
    MPI_Request request = MPI_REQUEST_NULL;
    if (sender) {
      std::copy(source.begin(), source.end(), message.begin());
      check_mpi(MPI_Isend(message.data(), static_cast<int>(floats), MPI_FLOAT, peer, kProfileTag,
                          MPI_COMM_WORLD, &request),
                "MPI_Isend");
      await_request(request, deadline, world.waiting(), "a timed message");
      check_mpi(MPI_Irecv(message.data(), static_cast<int>(floats), MPI_FLOAT, peer, kProfileTag,
                          MPI_COMM_WORLD, &request),
                "MPI_Irecv");
      await_request(request, deadline, world.waiting(), "a timed message's echo");
    } else {
      check_mpi(MPI_Irecv(message.data(), static_cast<int>(floats), MPI_FLOAT, peer, kProfileTag,
                          MPI_COMM_WORLD, &request),
                "MPI_Irecv");
      await_request(request, deadline, world.waiting(), "a timed message");
      check_mpi(MPI_Isend(message.data(), static_cast<int>(floats), MPI_FLOAT, peer, kProfileTag,
                          MPI_COMM_WORLD, &request),
                "MPI_Isend");
      await_request(request, deadline, world.waiting(), "a timed message's echo");
    }
    if (run >= options.warmup) samples.push_back(elapsed_ms(start, steady_now_ns()) / 2);
  }
  return median(std::move(samples));
}

// The median time of MPI_Iallreduce of `bytes` bytes across `group`.
double allreduce_ms(const MpiWorld& world, MPI_Comm group, std::size_t bytes,
                    const ProfileOptions& options, std::chrono::nanoseconds timeout) {
  std::vector<float> values(bytes / sizeof(float), 1.0f);
  std::vector<double> samples;
  for (std::uint32_t run = 0; run < options.warmup + options.repeats; ++run) {
    const std::int64_t start = steady_now_ns();
    MPI_Request request = MPI_REQUEST_NULL;
    check_mpi(MPI_Iallreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()),
                             MPI_FLOAT, MPI_SUM, group, &request),
              "MPI_Iallreduce");
    await_request(request, std::chrono::steady_clock::now() + timeout, world.waiting(),
                  "a timed all-reduce");
    if (run >= options.warmup) samples.push_back(elapsed_ms(start, steady_now_ns()));
  }
  return median(std::move(samples));
}

}  // namespace

ExecutionProfile profile_over_mpi(const MpiWorld& world, const GridCommunicators& grid,
                                  const MlpModel& model, const SyntheticTask& task,
                                  const OptimizerConfig& optimizer, const ProfileOptions& options,
                                  std::chrono::nanoseconds timeout) {
  const auto after = [](auto wait) { return std::chrono::steady_clock::now() + wait; };
  ExecutionProfile profile;
  if (world.rank() == 0) profile = profile_cpu_execution(model, task, optimizer, options);
  meet(MPI_COMM_WORLD, after(kLongestTurn), "rank 0's timing of the stages");

  const RankGrid& layout = grid.grid();
  if (layout.devices > 1) {
    const auto first = static_cast<int>(layout.rank_of({0, 0}));
    const auto second = static_cast<int>(layout.rank_of({1, 0}));
    const int rank = static_cast<int>(world.rank());
    if (rank == first || rank == second) {
      const std::vector<std::size_t> sizes = checked_message_sizes(options);
      TransferProfile transfer = profile_transfers(sizes, [&](std::size_t bytes, std::uint32_t) {
        return ping_pong_ms(world, first, second, bytes, options, timeout);
      });
      if (rank == 0) profile.transfer = std::move(transfer);
    }
    meet(MPI_COMM_WORLD, after(timeout), "the timing of messages between ranks");
  }

  if (layout.replicas > 1) {
    if (grid.self().device == 0) {
      std::set<std::size_t> sizes = {64 * 1024};
      for (std::uint32_t s = 0; s < model.stages(); ++s) {
        sizes.insert(model.stage(s).parameter_count * sizeof(float));
      }
      const std::vector<std::size_t> ordered(sizes.begin(), sizes.end());
      const TransferProfile fit = profile_transfers(ordered, [&](std::size_t bytes, std::uint32_t) {
        return allreduce_ms(world, grid.data_parallel(), bytes, options, timeout);
      });
      if (world.rank() == 0) {
        profile.data_parallel = {layout.replicas, fit.samples, fit.latency_ms, fit.ms_per_byte};
      }
    }
    meet(MPI_COMM_WORLD, after(timeout), "the timing of the data-parallel all-reduce");
  }
  return profile;
}

}  // namespace pipewise::exec::mpi
