#pragma once
// The MPI suites run as one GoogleTest program per rank under mpirun (mpi_test_main.cpp):
// every rank runs every test, in the same order, so collective calls line up; rank 0 prints
// the report, the others only their failures.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/ir/schedule.hpp"
#include "exec/mpi/mpi_exchange.hpp"
#include "exec/mpi/mpi_world.hpp"
#include "tests/exec/exec_test_support.hpp"

namespace pipewise::exec::mpi_test {

// This process's MPI, for the life of the program.
const mpi::MpiWorld& world();

// A short deadline for the tests' waits: long enough for a loaded machine, short enough that a
// test whose ranks disagree fails in seconds rather than hanging.
inline constexpr std::chrono::seconds kTestTimeout{20};

// The grids this world can form with a pipeline of 2 or 4 devices: (p, d).
inline std::vector<mpi::RankGrid> grids() {
  const std::uint32_t ranks = world().size();
  std::vector<mpi::RankGrid> result;
  for (const std::uint32_t devices : {2u, 4u}) {
    if (ranks % devices == 0) result.push_back({devices, ranks / devices});
  }
  return result;
}

// Every stage's newest parameters then last gradient, of the stages `device` runs, read from
// a backend with parameters(stage) and last_gradient(stage) (the CPU's or the CUDA one).
template <typename BackendType>
std::vector<float> stages_of(const BackendType& backend, const Problem& problem, std::uint32_t device) {
  std::vector<float> values;
  for (std::uint32_t s = 0; s < problem.stages(); ++s) {
    if (problem.device_of_stage(s) != device) continue;
    const std::vector<float> parameters = backend.parameters(s);
    const std::vector<float> gradient = backend.last_gradient(s);
    values.insert(values.end(), parameters.begin(), parameters.end());
    values.insert(values.end(), gradient.begin(), gradient.end());
  }
  return values;
}

// Every rank's `trained` stages (stages_of its device), gathered on rank 0: there one entry
// per world rank, elsewhere none (each other rank sends its own).
inline std::vector<std::vector<float>> gather_on_rank_zero(const std::vector<float>& trained) {
  constexpr int kTrainedTag = 9;
  const auto deadline = [] { return std::chrono::steady_clock::now() + kTestTimeout; };
  if (world().rank() != 0) {
    mpi::send_values(trained, 0, kTrainedTag, MPI_COMM_WORLD, deadline(), world().waiting(),
                     "the trained stages");
    return {};
  }
  std::vector<std::vector<float>> gathered = {trained};
  for (std::uint32_t rank = 1; rank < world().size(); ++rank) {
    gathered.push_back(mpi::receive_values<float>(static_cast<int>(rank), kTrainedTag, MPI_COMM_WORLD,
                                                  deadline(), world().waiting(), "stages"));
  }
  return gathered;
}

// On rank 0: expects every rank's gathered stages to equal `single`'s stages of its device
// (stages_of, the single-process run of `shape`) within `tolerance` relative, naming `what`.
template <typename BackendType>
void expect_every_rank_trained_as(const std::vector<std::vector<float>>& gathered, const mpi::RankGrid& layout,
                                  const BackendType& single, const Problem& shape, double tolerance,
                                  const std::string& what) {
  for (std::uint32_t rank = 0; rank < gathered.size(); ++rank) {
    const mpi::RankPosition position = layout.position_of(rank);
    const std::vector<float> expected = stages_of(single, shape, position.device);
    ASSERT_EQ(gathered[rank].size(), expected.size()) << what << ", rank " << rank;
    EXPECT_LT(test::relative_difference(gathered[rank], expected), tolerance)
        << what << ": device " << position.device << " of replica " << position.replica << " (rank "
        << rank << ")";
  }
}

}  // namespace pipewise::exec::mpi_test
