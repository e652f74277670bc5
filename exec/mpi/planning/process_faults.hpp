#pragma once
#include <cstdint>

#include "exec/core/fault_hook.hpp"

namespace pipewise::exec::mpi {

// The fault seam of one rank of a multi-process run: the faults of `inner` (a FaultPlan from
// --inject-fault, read by every rank, each meeting those aimed at its own devices), except that
// a killed worker kills its whole process with SIGKILL, as `kill -9` or a crash would: in one
// process a killed worker is a thread that stops without a word, across processes it is a rank
// that vanishes, and the launcher and the other ranks must notice.
class ProcessKillingFaults final : public FaultHook {
 public:
  explicit ProcessKillingFaults(FaultHook& inner) : inner_(inner) {}
  // Passes `stop` on, so an injected delay ends when the run fails (fault_hook.hpp).
  void before_op(std::uint32_t device, const Op& op, std::stop_token stop = {}) override;
  MessageFault on_message(std::uint32_t device, const Op& op) override {
    return inner_.on_message(device, op);
  }

 private:
  FaultHook& inner_;
};

}  // namespace pipewise::exec::mpi
