#pragma once
// The MPI suites run as one GoogleTest program per rank under mpirun (mpi_test_main.cpp):
// every rank runs every test, in the same order, so collective calls line up; rank 0 prints
// the report, the others only their failures.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include "common/ir/schedule.hpp"
#include "exec/mpi/mpi_world.hpp"

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

}  // namespace pipewise::exec::mpi_test
