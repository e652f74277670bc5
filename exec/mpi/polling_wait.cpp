#include "exec/mpi/polling_wait.hpp"

#include <sys/prctl.h>

namespace pipewise::exec::mpi {

void tighten_timer_slack() noexcept {
  thread_local bool tightened = false;
  if (tightened) return;
  tightened = true;
  prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);  // 1 us; failure leaves the default
}

}  // namespace pipewise::exec::mpi
