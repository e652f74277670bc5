// A failed run stops every worker promptly, even one inside an injected delay (issue 13:
// `run --receive-deadline-ms 1000 --inject-fault delay@0:0F1:15000` failed on device 1 at
// 1 s but returned at 15.5 s; with an hour's delay it hung). Every wait a worker makes
// waits on the run's stop as well.
#include <gtest/gtest.h>

#include <chrono>
#include <stop_token>
#include <string>
#include <thread>

#include "common/ir/error.hpp"
#include "exec/core/backend.hpp"
#include "exec/core/executor.hpp"
#include "exec/core/fault_plan.hpp"
#include "exec/cpu/cpu_backend.hpp"
#include "tests/exec/exec_test_support.hpp"

namespace pipewise::exec {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

Op op(OpKind kind, std::uint16_t stage, std::uint32_t microbatch) {
  return Op{kind, 0, stage, microbatch, 0, 0};
}

TEST(CancellableDelay, AnHourLongDelayEndsWhenTheRunFailsElsewhere) {
  // 1F1B p = 2, m = 4: device 0 sleeps an hour before 0F1; device 1 fails at its first
  // forward. The run must end at once with device 1's failure, not after the hour.
  const MlpConfig config = test::small_mlp();
  const SyntheticTask task = test::small_task(config);
  const Schedule schedule = test::lowered("1f1b", test::problem(2, 4));
  const MlpModel model(config, schedule.problem.stages());
  CpuBackend backend(model, task, OptimizerConfig::sgd(0.05f));
  FaultPlan faults;
  faults.delay_at(0, op(OpKind::Forward, 0, 1), std::chrono::hours(1));
  faults.throw_at(1, op(OpKind::Forward, 1, 0), "injected failure");
  RunOptions options;
  options.faults = &faults;
  const auto start = Clock::now();
  std::string message;
  try {
    run_schedule(schedule, backend, options);
  } catch (const Error& error) {
    message = error.what();
  }
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10)) << "the delay was not cancelled";
  EXPECT_NE(message.find("injected failure"), std::string::npos) << message;
}

TEST(CancellableDelay, WaitsItsTimeWhenNothingStopsIt) {
  FaultPlan faults;
  faults.delay_at(0, op(OpKind::Forward, 0, 1), milliseconds(50));
  std::stop_source never;
  const auto start = Clock::now();
  faults.before_op(0, op(OpKind::Forward, 0, 1), never.get_token());
  EXPECT_GE(Clock::now() - start, milliseconds(50));
}

TEST(CancellableDelay, AStopRequestedMidDelayThrowsRunCancelledAtOnce) {
  FaultPlan faults;
  faults.delay_at(0, op(OpKind::Forward, 0, 1), std::chrono::hours(1));
  std::stop_source stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(milliseconds(20));
    stop.request_stop();
  });
  const auto start = Clock::now();
  EXPECT_THROW(faults.before_op(0, op(OpKind::Forward, 0, 1), stop.get_token()), RunCancelled);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
  stopper.join();
}

}  // namespace
}  // namespace pipewise::exec
