#pragma once
#include <mpi.h>

#include <string_view>

namespace pipewise::exec::mpi {

// Throws pipewise::Error "WHAT failed: <MPI's error string>" unless `code` is MPI_SUCCESS.
// The communicators pipewise uses return errors (MPI_ERRORS_RETURN) rather than abort, so
// that a failed call becomes the run's one-line error like any other.
void check_mpi(int code, std::string_view what);

}  // namespace pipewise::exec::mpi
