// How a CPU run's workers sat on the cores, as the report prints it
// (exec/cpu/cpu_placement.hpp), and the backend's step hooks.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "exec/core/executor.hpp"
#include "exec/cpu/cpu_backend.hpp"
#include "exec/cpu/cpu_placement.hpp"
#include "tests/exec/exec_test_support.hpp"

namespace pipewise::exec {
namespace {

using Lines = std::vector<std::string>;

TEST(CpuPlacement, PinnedWorkersAreDedicatedWithoutWarning) {
  const RunDescription description = describe_cpu_placement({2, 16, true, false});
  EXPECT_EQ(description.placement,
            Lines{"2 device(s) on 16 core(s), each worker pinned to a core of its own"});
  EXPECT_TRUE(description.warnings.empty());
  EXPECT_TRUE(description.dedicated);
}

TEST(CpuPlacement, MoreDevicesThanCoresWarnsThatTimingsMeasureContention) {
  const RunDescription description = describe_cpu_placement({8, 2, false, true});
  EXPECT_EQ(description.placement, Lines{"8 device(s) on 2 core(s), workers not pinned"});
  EXPECT_EQ(description.warnings,
            Lines{"8 devices share 2 cores: the timings measure contention between workers, not "
                  "the schedule alone (p <= cores gives meaningful timings)"});
  EXPECT_FALSE(description.dedicated);
}

TEST(CpuPlacement, TheBackendDescribesItsLastRunAndHandsOutItsLosses) {
  const MlpConfig config = test::small_mlp();
  const SyntheticTask task = test::small_task(config);
  const MlpModel model(config, 2);
  CpuBackend backend(model, task, OptimizerConfig::sgd(0.05f));
  run_schedule(test::lowered("gpipe", test::problem(2, 4)), backend);
  const RunDescription description = backend.describe_run();
  EXPECT_EQ(description.placement, describe_cpu_placement(backend.placement()).placement);
  EXPECT_EQ(description.dedicated, backend.placement().pinned);
  const StepHooks hooks = backend.step_hooks();
  ASSERT_TRUE(hooks.losses);
  EXPECT_EQ(hooks.losses().size(), 4u);  // one per micro-batch of the run
  EXPECT_FALSE(hooks.device_times);      // the host-observed times are the op times
}

}  // namespace
}  // namespace pipewise::exec
