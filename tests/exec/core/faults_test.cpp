// Faults injected through the FaultHook seam stop the whole run promptly: every worker is
// joined and the run throws one line naming the device, the op and the cause.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>

#include "common/ir/error.hpp"
#include "exec/core/executor.hpp"
#include "exec/core/fault_plan.hpp"
#include "exec/core/timing_recorder.hpp"
#include "exec/cpu/cpu_backend.hpp"
#include "tests/exec/exec_test_support.hpp"

namespace pipewise::exec {
namespace {

using std::chrono::milliseconds;

Op op(OpKind kind, std::uint16_t stage, std::uint32_t microbatch) {
  return Op{kind, 0, stage, microbatch, 0, 0};
}

class Faults : public ::testing::Test {
 protected:
  Faults()
      : config_(test::small_mlp()), task_(test::small_task(config_)) {}

  // Runs `schedule` with `options` and returns the error message, or "" on success.
  std::string run_expecting_failure(const Schedule& schedule, const RunOptions& options,
                                    TimingRecorder* timing = nullptr) {
    const MlpModel model(config_, schedule.problem.stages());
    CpuBackend backend(model, task_, OptimizerConfig::sgd(0.05f));
    const auto start = std::chrono::steady_clock::now();
    std::string message;
    try {
      run_schedule(schedule, backend, options, timing);
    } catch (const Error& error) {
      message = error.what();
    }
    elapsed_ = std::chrono::steady_clock::now() - start;
    return message;
  }

  MlpConfig config_;
  SyntheticTask task_;
  std::chrono::steady_clock::duration elapsed_{};
};

TEST_F(Faults, AnOpThatThrowsStopsEveryWorkerAndNamesDeviceOpAndCause) {
  // 1F1B, p = 3, m = 4, device 1 (one warm-up forward): RECV_F0 F0 SEND_F0 | RECV_F1 F1
  // SEND_F1 RECV_B0 B0 SEND_B0 | RECV_F2 F2 ...: F2 is op #10 of its program.
  FaultPlan faults;
  faults.throw_at(1, op(OpKind::Forward, 1, 2), "injected failure");
  RunOptions options;  // the default 60 s receive deadline: only cancellation ends waits
  options.faults = &faults;
  TimingRecorder timing;
  const std::string message =
      run_expecting_failure(test::lowered("1f1b", test::problem(3, 4)), options, &timing);
  EXPECT_EQ(message,
            "device 1 failed at op 1F2 (forward, stage 1, micro-batch 2, iteration 0, weight "
            "version 0), #10 of its program: injected failure");
  EXPECT_EQ(faults.fired(), 1u);
  EXPECT_LT(elapsed_, std::chrono::seconds(5)) << "blocked receives were not cancelled";
  EXPECT_FALSE(timing.succeeded());
  EXPECT_FALSE(timing.intervals()[1][10].ran());
  EXPECT_FALSE(timing.intervals()[2].back().ran()) << "device 2 must stop before its last op";
}

TEST_F(Faults, AFailingTransportStopsTheRun) {
  // GPipe, p = 2, m = 2, device 0: F0 SEND_F0 F1 SEND_F1 ...: SEND_F1 is op #3.
  FaultPlan faults;
  faults.message_fault_at(0, op(OpKind::SendActivation, 0, 1), MessageFault::Fail);
  RunOptions options;
  options.faults = &faults;
  const std::string message = run_expecting_failure(test::lowered("gpipe", test::problem(2, 2)), options);
  EXPECT_EQ(message,
            "device 0 failed at op 0SEND_F1 (send_activation, stage 0, micro-batch 1, iteration 0, "
            "weight version 0), #3 of its program: transport failure sending to device 1 (injected)");
  EXPECT_LT(elapsed_, std::chrono::seconds(5));
}

TEST_F(Faults, ADroppedMessageFailsTheReceiveAtItsDeadline) {
  // GPipe, p = 2, m = 1. Device 1: RECV_F0 F0 B0 SEND_B0 STEP finishes; device 0: F0
  // SEND_F0 RECV_B0 waits for the dropped gradient.
  FaultPlan faults;
  faults.message_fault_at(1, op(OpKind::SendGrad, 1, 0), MessageFault::Drop);
  RunOptions options;
  options.receive_timeout = milliseconds(200);
  options.faults = &faults;
  const std::string message = run_expecting_failure(test::lowered("gpipe", test::problem(2, 1)), options);
  EXPECT_EQ(message,
            "device 0 failed at op 0RECV_B0 (recv_grad, stage 0, micro-batch 0, iteration 0, weight "
            "version 0), #2 of its program: no message from device 1 within 200 ms (a deadlock in "
            "the schedule, or a lost message)");
  EXPECT_GE(elapsed_, milliseconds(200));
  EXPECT_LT(elapsed_, std::chrono::seconds(5));
}

TEST_F(Faults, ACorruptedMessageIsCaughtByTheChecksum) {
  FaultPlan faults;
  faults.message_fault_at(0, op(OpKind::SendActivation, 0, 0), MessageFault::Corrupt);
  RunOptions options;
  options.verify_checksums = true;
  options.faults = &faults;
  const std::string message = run_expecting_failure(test::lowered("gpipe", test::problem(2, 2)), options);
  EXPECT_EQ(message,
            "device 1 failed at op 1RECV_F0 (recv_activation, stage 1, micro-batch 0, iteration 0, "
            "weight version 0), #0 of its program: the message from device 0 failed its checksum "
            "(corrupted in transit)");
}

TEST_F(Faults, WithoutChecksumsACorruptedMessageSilentlyChangesTheResult) {
  const MlpModel model(config_, 2);
  const Schedule schedule = test::lowered("gpipe", test::problem(2, 2));
  CpuBackend clean(model, task_, OptimizerConfig::sgd(0.05f));
  run_schedule(schedule, clean);
  FaultPlan faults;
  faults.message_fault_at(0, op(OpKind::SendActivation, 0, 0), MessageFault::Corrupt);
  RunOptions options;
  options.faults = &faults;
  CpuBackend corrupted(model, task_, OptimizerConfig::sgd(0.05f));
  run_schedule(schedule, corrupted, options);
  EXPECT_EQ(faults.fired(), 1u);
  EXPECT_NE(corrupted.parameters(1), clean.parameters(1));
}

TEST_F(Faults, ADelayedOpSlowsTheRunButChangesNothing) {
  const MlpModel model(config_, 2);
  const Schedule schedule = test::lowered("1f1b", test::problem(2, 2));
  CpuBackend prompt(model, task_, OptimizerConfig::sgd(0.05f));
  run_schedule(schedule, prompt);

  FaultPlan faults;
  faults.delay_at(0, op(OpKind::Forward, 0, 1), milliseconds(100));
  RunOptions options;
  options.faults = &faults;
  TimingRecorder timing;
  CpuBackend delayed(model, task_, OptimizerConfig::sgd(0.05f));
  run_schedule(schedule, delayed, options, &timing);
  for (std::uint32_t s = 0; s < 2; ++s) EXPECT_EQ(delayed.parameters(s), prompt.parameters(s));
  // Device 0 (1F1B, p = 2): F0 SEND_F0 F1 ...: the delay is inside F1, op #2.
  EXPECT_GE(timing.intervals()[0][2].duration_ns(), 100'000'000);
  EXPECT_GE(timing.makespan_ns(), 100'000'000);
}

TEST_F(Faults, AStragglerPastTheReceiveDeadlineFailsItsPeer) {
  FaultPlan faults;
  faults.delay_at(0, op(OpKind::Forward, 0, 0), milliseconds(300));
  RunOptions options;
  options.receive_timeout = milliseconds(100);
  options.faults = &faults;
  const std::string message = run_expecting_failure(test::lowered("gpipe", test::problem(2, 1)), options);
  EXPECT_EQ(message,
            "device 1 failed at op 1RECV_F0 (recv_activation, stage 1, micro-batch 0, iteration 0, "
            "weight version 0), #0 of its program: no message from device 0 within 100 ms (a "
            "deadlock in the schedule, or a lost message)");
}

TEST_F(Faults, ADeadlockedScheduleFailsAtTheReceiveDeadline) {
  // Device 0 waits for the gradient of micro-batch 0 before sending its activation, and
  // device 1 waits for that activation: neither can move.
  Schedule schedule = test::lowered("gpipe", test::problem(2, 1));
  auto& program = schedule.programs[0];  // F0 SEND_F0 RECV_B0 B0 STEP
  ASSERT_EQ(program[2].kind, OpKind::RecvGrad);
  std::rotate(program.begin(), program.begin() + 2, program.begin() + 3);  // RECV_B0 F0 SEND_F0 ...
  RunOptions options;
  options.receive_timeout = milliseconds(200);
  const std::string message = run_expecting_failure(schedule, options);
  // Both devices wait from their first op; whichever deadline passes first is reported.
  const std::string device_0_waits =
      "device 0 failed at op 0RECV_B0 (recv_grad, stage 0, micro-batch 0, iteration 0, weight "
      "version 0), #0 of its program: no message from device 1 within 200 ms (a deadlock in the "
      "schedule, or a lost message)";
  const std::string device_1_waits =
      "device 1 failed at op 1RECV_F0 (recv_activation, stage 1, micro-batch 0, iteration 0, "
      "weight version 0), #0 of its program: no message from device 0 within 200 ms (a deadlock "
      "in the schedule, or a lost message)";
  EXPECT_TRUE(message == device_0_waits || message == device_1_waits) << message;
  EXPECT_LT(elapsed_, std::chrono::seconds(5));
}

TEST_F(Faults, AKilledWorkerIsNoticedAndItsPeersStopLongBeforeTheReceiveDeadline) {
  // 1F1B, p = 3, m = 4, device 1: RECV_F0 F0 SEND_F0 RECV_F1 F1 SEND_F1 RECV_B0 B0 SEND_B0
  // RECV_F2 F2 ...: it dies before F2, op #10, having said nothing. Devices 0 and 2 then
  // wait for messages that never come; only the executor's notice can end their waits.
  FaultPlan faults;
  faults.kill_at(1, op(OpKind::Forward, 1, 2));
  RunOptions options;
  options.receive_timeout = std::chrono::seconds(30);
  options.faults = &faults;
  TimingRecorder timing;
  const std::string message =
      run_expecting_failure(test::lowered("1f1b", test::problem(3, 4)), options, &timing);
  EXPECT_EQ(message,
            "device 1 failed before op 1F2 (forward, stage 1, micro-batch 2, iteration 0, weight "
            "version 0), #10 of its program: its worker died (killed by fault injection)");
  EXPECT_EQ(faults.fired(), 1u);
  EXPECT_LT(elapsed_, std::chrono::seconds(3)) << "peers waited for their receive deadline";
  EXPECT_FALSE(timing.succeeded());
  EXPECT_TRUE(timing.intervals()[1][9].ran()) << "device 1 ran up to its death";
  EXPECT_FALSE(timing.intervals()[1][10].ran());
  EXPECT_FALSE(timing.intervals()[0].back().ran()) << "device 0 must stop before its last op";
  EXPECT_FALSE(timing.intervals()[2].back().ran()) << "device 2 must stop before its last op";
}

TEST_F(Faults, AWorkerKilledBeforeItsFirstOpIsNoticed) {
  // GPipe, p = 2, m = 2: device 0 dies before F0, so device 1 never gets any message.
  FaultPlan faults;
  faults.kill_at(0, op(OpKind::Forward, 0, 0));
  RunOptions options;
  options.receive_timeout = std::chrono::seconds(30);
  options.faults = &faults;
  const std::string message =
      run_expecting_failure(test::lowered("gpipe", test::problem(2, 2)), options);
  EXPECT_EQ(message,
            "device 0 failed before op 0F0 (forward, stage 0, micro-batch 0, iteration 0, weight "
            "version 0), #0 of its program: its worker died (killed by fault injection)");
  EXPECT_LT(elapsed_, std::chrono::seconds(3));
}

TEST_F(Faults, TheBackendRunsAgainAfterAWorkerWasKilled) {
  const MlpModel model(config_, 2);
  const Schedule schedule = test::lowered("1f1b", test::problem(2, 4));
  CpuBackend reference(model, task_, OptimizerConfig::sgd(0.05f));
  run_schedule(schedule, reference);

  CpuBackend backend(model, task_, OptimizerConfig::sgd(0.05f));
  FaultPlan faults;
  faults.kill_at(1, op(OpKind::Backward, 1, 1));
  RunOptions options;
  options.receive_timeout = std::chrono::seconds(30);
  options.faults = &faults;
  EXPECT_THROW(run_schedule(schedule, backend, options), Error);
  const std::size_t stage_bytes = model.stage(1).parameter_count * sizeof(float);
  EXPECT_EQ(backend.memory(1).current_bytes(), 2 * stage_bytes);
  // The killed run stopped before any optimizer step: a clean run now trains exactly as a
  // fresh backend's first run does.
  run_schedule(schedule, backend);
  for (std::uint32_t s = 0; s < 2; ++s) EXPECT_EQ(backend.parameters(s), reference.parameters(s));
}

TEST_F(Faults, TheBackendRunsAgainAfterAFailedRun) {
  const MlpModel model(config_, 2);
  CpuBackend backend(model, task_, OptimizerConfig::sgd(0.05f));
  FaultPlan faults;
  faults.throw_at(1, op(OpKind::Backward, 1, 1), "injected");
  RunOptions options;
  options.faults = &faults;
  const Schedule schedule = test::lowered("gpipe", test::problem(2, 2));
  EXPECT_THROW(run_schedule(schedule, backend, options), Error);
  // Nothing of the failed run is left held: only parameters, gradients (plain SGD: no state).
  const std::size_t stage_bytes = model.stage(1).parameter_count * sizeof(float);
  EXPECT_EQ(backend.memory(1).current_bytes(), 2 * stage_bytes);
  run_schedule(schedule, backend);
  EXPECT_EQ(backend.memory(1).current_bytes(), 2 * stage_bytes);
}

}  // namespace
}  // namespace pipewise::exec
