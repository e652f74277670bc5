#include "exec/mpi/mpi_call.hpp"

#include <string>

#include "common/ir/error.hpp"

namespace pipewise::exec::mpi {

void check_mpi(int code, std::string_view what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw Error(std::string(what) + " failed: " + std::string(text, static_cast<std::size_t>(length)));
}

}  // namespace pipewise::exec::mpi
