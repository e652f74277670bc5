// pipedream: Narayanan et al. SOSP'19, "PipeDream: Generalized Pipeline Parallelism for DNN
// Training", §3.2 (1F1B work scheduling) and §3.3 (weight stashing). Asynchronous: there is
// no flush, and every micro-batch is a PipeDream minibatch whose backward is followed at
// once by its stage's weight update. In the startup phase the input stage admits
// NOAM = p in-flight micro-batches (device d admits p - d), so with weight stashing stage s
// holds p - s weight versions in steady state: a forward reads the newest version, its
// backward the version the forward read.
#include "common/schedules/generators.hpp"
#include "common/schedules/program_builder.hpp"

namespace pipewise {

Schedule generate_pipedream(const Problem& problem) {
  return unflushed_one_f_one_b("pipedream", problem, 1);
}

}  // namespace pipewise
