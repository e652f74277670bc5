#include "exec/core/execution_profile.hpp"

namespace pipewise::exec {

double TransferProfile::bandwidth_gb_per_s() const {
  return ms_per_byte > 0.0 ? 1.0 / (ms_per_byte * 1e6) : 0.0;
}

}  // namespace pipewise::exec
