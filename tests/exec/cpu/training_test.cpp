// Every schedule trains: on the synthetic teacher task the loss falls over a few hundred
// steps, whether updates are synchronous or asynchronous.
#include <gtest/gtest.h>

#include <numeric>
#include <string>
#include <vector>

#include "exec/core/executor.hpp"
#include "exec/cpu/cpu_backend.hpp"
#include "tests/exec/exec_test_support.hpp"

namespace pipewise::exec {
namespace {

double mean(const std::vector<float>& values, std::size_t first, std::size_t count) {
  return std::accumulate(values.begin() + first, values.begin() + first + count, 0.0) / static_cast<double>(count);
}

struct Case {
  const char* schedule;
  std::uint32_t devices;
  std::uint32_t chunks;
  bool split_backward;
};

TEST(Training, LossFallsForEverySchedule) {
  const MlpConfig config = test::small_mlp();
  const SyntheticTask task = test::small_task(config);
  constexpr std::uint32_t kMicrobatches = 4;
  constexpr std::uint32_t kIterations = 100;
  constexpr std::size_t kWindow = 20 * kMicrobatches;  // the first and last 20 steps
  const std::vector<Case> cases = {{"naive", 2, 1, false},     {"gpipe", 2, 1, false},
                                   {"1f1b", 2, 1, false},      {"1f1b", 2, 1, true},
                                   {"interleaved", 2, 2, false}, {"pipedream", 2, 1, false},
                                   {"pipedream-2bw", 2, 1, false}};
  for (const Case& c : cases) {
    const Problem shape = test::problem(c.devices, kMicrobatches, kIterations, c.chunks);
    const MlpModel model(config, shape.stages());
    Schedule schedule = generate_schedule(c.schedule, shape);
    if (c.split_backward) schedule = test::with_deferred_weight_gradients(schedule);
    CpuBackend backend(model, task, OptimizerConfig::sgd(0.02f, 0.9f));
    run_schedule(lower_communication(schedule), backend);
    const std::vector<float>& losses = backend.losses();
    const double first = mean(losses, 0, kWindow);
    const double last = mean(losses, losses.size() - kWindow, kWindow);
    EXPECT_LT(last, 0.5 * first) << c.schedule << (c.split_backward ? " with I/W split" : "")
                                 << ": mean loss " << first << " -> " << last;
  }
}

}  // namespace
}  // namespace pipewise::exec
