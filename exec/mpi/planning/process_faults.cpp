#include "exec/mpi/planning/process_faults.hpp"

#include <csignal>

namespace pipewise::exec::mpi {

void ProcessKillingFaults::before_op(std::uint32_t device, const Op& op) {
  try {
    inner_.before_op(device, op);
  } catch (const WorkerKilled&) {
    std::raise(SIGKILL);
    throw;  // not reached: SIGKILL cannot be caught
  }
}

}  // namespace pipewise::exec::mpi
