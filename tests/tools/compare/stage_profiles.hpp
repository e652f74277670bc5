#pragma once
// Profiles written by hand for the tests of tools/compare.
#include "exec/core/execution_profile.hpp"

namespace pipewise::tools::testing {

// A stage's profiled times: F, W, the whole B (I = B - W) and the optimizer step, in ms.
inline exec::StageProfile timed_stage(double forward, double backward_weight, double backward, double step) {
  exec::StageProfile stage;
  stage.forward_ms = forward;
  stage.backward_input_ms = backward - backward_weight;
  stage.backward_weight_ms = backward_weight;
  stage.backward_ms = backward;
  stage.optimizer_step_ms = step;
  return stage;
}

}  // namespace pipewise::tools::testing
