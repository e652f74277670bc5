// The timing observer records every op; its intervals are consistent with the program
// order on each device and with causality between devices.
#include <gtest/gtest.h>

#include "common/ir/dependencies.hpp"
#include "exec/core/executor.hpp"
#include "exec/core/timing_recorder.hpp"
#include "exec/cpu/cpu_backend.hpp"
#include "tests/exec/exec_test_support.hpp"

namespace pipewise::exec {
namespace {

TEST(Timing, EveryOpIsRecordedInProgramOrderAndReceivesEndAfterTheirSendsStart) {
  const MlpConfig config = test::small_mlp();
  const SyntheticTask task = test::small_task(config);
  const MlpModel model(config, 3);
  CpuBackend backend(model, task, OptimizerConfig::sgd(0.05f));
  const Schedule schedule = test::lowered("1f1b", test::problem(3, 4, 2));
  TimingRecorder timing;
  const RunSummary summary = run_schedule(schedule, backend, {}, &timing);

  EXPECT_TRUE(timing.succeeded());
  EXPECT_EQ(summary.ops_run, schedule.op_count());
  const auto& intervals = timing.intervals();
  for (std::uint32_t d = 0; d < 3; ++d) {
    ASSERT_EQ(intervals[d].size(), schedule.programs[d].size());
    for (std::size_t i = 0; i < intervals[d].size(); ++i) {
      ASSERT_TRUE(intervals[d][i].ran());
      EXPECT_LE(intervals[d][i].start_ns, intervals[d][i].end_ns);
      if (i > 0) {
        EXPECT_LE(intervals[d][i - 1].end_ns, intervals[d][i].start_ns);
      }
    }
    EXPECT_GT(timing.compute_ns(d), 0);
    EXPECT_LE(intervals[d].back().end_ns, timing.makespan_ns());
  }
  // A receive cannot finish before its message was sent: find each RECV's matching SEND.
  for (std::uint32_t d = 0; d < 3; ++d) {
    for (std::size_t i = 0; i < schedule.programs[d].size(); ++i) {
      const Op& recv = schedule.programs[d][i];
      if (!is_recv(recv.kind)) continue;
      const std::uint32_t peer = schedule.problem.device_of_stage(peer_stage(recv));
      const OpKind send_kind =
          recv.kind == OpKind::RecvActivation ? OpKind::SendActivation : OpKind::SendGrad;
      bool found = false;
      for (std::size_t j = 0; j < schedule.programs[peer].size(); ++j) {
        const Op& send = schedule.programs[peer][j];
        if (send.kind != send_kind || send.microbatch != recv.microbatch ||
            send.iteration != recv.iteration || peer_stage(send) != recv.stage) {
          continue;
        }
        EXPECT_LE(intervals[peer][j].start_ns, intervals[d][i].end_ns);
        found = true;
      }
      EXPECT_TRUE(found);
    }
  }
}

TEST(Timing, PlacementReportsPinningAndOversubscription) {
  const MlpConfig config = test::small_mlp();
  const SyntheticTask task = test::small_task(config);
  const MlpModel model(config, 8);
  CpuBackend backend(model, task, OptimizerConfig::sgd(0.05f));
  run_schedule(test::lowered("gpipe", test::problem(8, 2)), backend);
  const CpuPlacement& placement = backend.placement();
  EXPECT_EQ(placement.devices, 8u);
  EXPECT_GT(placement.cores, 0u);
  EXPECT_EQ(placement.oversubscribed, placement.cores < 8);
  EXPECT_EQ(placement.pinned, placement.cores >= 8);
}

}  // namespace
}  // namespace pipewise::exec
