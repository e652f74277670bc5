#include "common/ir/status.hpp"

#include "common/ir/error.hpp"

namespace pipewise {

void Status::throw_if_failed() const {
  if (!ok()) throw Error(reason_);
}

}  // namespace pipewise
