#include "exec/cpu/core_pinning.hpp"

#include <sched.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "common/ir/error.hpp"

namespace pipewise::exec {

std::vector<int> allowed_cores() {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  std::vector<int> cores;
  if (sched_getaffinity(0, sizeof(mask), &mask) != 0) return cores;
  for (int core = 0; core < CPU_SETSIZE; ++core) {
    if (CPU_ISSET(core, &mask)) cores.push_back(core);
  }
  return cores;
}

void pin_current_thread(int core) {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  CPU_SET(core, &mask);
  if (sched_setaffinity(0, sizeof(mask), &mask) != 0) {
    throw Error("cannot pin a worker thread to core " + std::to_string(core) + ": " +
                std::system_category().message(errno));
  }
}

}  // namespace pipewise::exec
