#pragma once
#include <vector>

namespace pipewise::exec {

// The CPU cores this process may run on (its sched_getaffinity mask), in ascending order.
std::vector<int> allowed_cores();

// Pins the calling thread to `core` (sched_setaffinity). Throws pipewise::Error naming
// the core and the system's reason when the kernel refuses.
void pin_current_thread(int core);

}  // namespace pipewise::exec
