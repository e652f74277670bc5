#include "exec/mpi/planning/process_faults.hpp"

#include <csignal>
#include <utility>

namespace pipewise::exec::mpi {

void ProcessKillingFaults::before_op(std::uint32_t device, const Op& op, std::stop_token stop) {
  try {
    inner_.before_op(device, op, std::move(stop));
  } catch (const WorkerKilled&) {
    std::raise(SIGKILL);
    throw;  // not reached: SIGKILL cannot be caught
  }
}

}  // namespace pipewise::exec::mpi
