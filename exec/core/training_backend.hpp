#pragma once
#include "exec/core/backend.hpp"
#include "exec/core/run_description.hpp"
#include "exec/core/timed_steps.hpp"

namespace pipewise::exec {

// A Backend that trains a model, as `pipewise run` drives it: the seam, plus what timing
// its steps (run_timed_steps) and reporting them need. The CPU backend and the CUDA
// backend implement it; the CUDA module (exec/cuda/module) hands out the latter as one, so
// that its caller needs no CUDA header. Both methods are called from the thread that runs
// the schedule, between runs.
class TrainingBackend : public Backend {
 public:
  // What run_timed_steps needs of this backend: the losses of its last run and, when its
  // host calls only enqueue work (GPUs), the op times its devices measured. The hooks refer
  // to this backend, which must outlive them.
  virtual StepHooks step_hooks() = 0;
  // How the devices of the last run sat on the machine. REQUIRES: a run was prepared.
  virtual RunDescription describe_run() const = 0;
};

}  // namespace pipewise::exec
