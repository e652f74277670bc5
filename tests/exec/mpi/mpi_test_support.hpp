#pragma once
// The MPI suites run as one GoogleTest program per rank under mpirun (mpi_test_main.cpp):
// every rank runs every test, in the same order, so collective calls line up; rank 0 prints
// the report, the others only their failures.
#include <gtest/gtest.h>

#include <chrono>

#include "exec/mpi/mpi_world.hpp"

namespace pipewise::exec::mpi_test {

// This process's MPI, for the life of the program.
const mpi::MpiWorld& world();

// A short deadline for the tests' waits: long enough for a loaded machine, short enough that a
// test whose ranks disagree fails in seconds rather than hanging.
inline constexpr std::chrono::seconds kTestTimeout{20};

}  // namespace pipewise::exec::mpi_test
