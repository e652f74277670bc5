#pragma once
#include <chrono>

#include "exec/core/fault_hook.hpp"

namespace pipewise::exec {

// How a run behaves. Every field has a default that suits a production run.
struct RunOptions {
  // How long one receive waits for its message before the run fails with an error naming
  // the receive: a deadlock in a bad schedule, or a lost message. Default 60 s.
  std::chrono::milliseconds receive_timeout{60000};
  // Every transferred buffer carries a checksum that the receiver verifies; a mismatch
  // fails the run. Default off (it costs one pass over each message on both ends).
  bool verify_checksums = false;
  // Check every op's weight_version during the run: a forward must read the newest version
  // of its stage, and B, I and W the version their forward read (weight stashing); an
  // optimizer step must replace the newest version. Default on.
  bool check_weight_versions = true;
  // Fault injection (tests): consulted before every op and for every message. Not owned;
  // must outlive the run. Default none.
  FaultHook* faults = nullptr;
};

}  // namespace pipewise::exec
