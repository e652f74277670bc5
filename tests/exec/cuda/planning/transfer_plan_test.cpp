// Which messages become copies and which NCCL calls, and the NCCL call sequence of each
// rank (exec/cuda/planning/transfer_plan.hpp, exec/cuda/planning/nccl_calls.hpp), on hand-written schedules.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/ir/error.hpp"
#include "common/ir/lower.hpp"
#include "common/ir/weight_versions.hpp"
#include "common/schedules/registry.hpp"
#include "exec/cuda/planning/nccl_calls.hpp"
#include "exec/cuda/planning/transfer_plan.hpp"
#include "tests/exec/cuda/planning/text_programs.hpp"

namespace pipewise::exec::cuda {
namespace {

using testing::program;
using testing::two_devices;

// The lowered 1F1B schedule for p = 2, m = 2: stage 0 warms up with one forward.
Schedule one_f_one_b_two_devices() {
  return lower_communication(two_devices(2, "F0 F1 B0 B1 STEP", "F0 B0 F1 B1 STEP"));
}

std::string calls(const TransferPlan& plan, std::uint32_t device) {
  return describe_nccl_calls(nccl_call_sequence(plan, device), 2);
}

std::string error_of(const Schedule& schedule, const std::vector<int>& gpus, TransportChoice choice) {
  try {
    plan_transfers(schedule, gpus, choice);
  } catch (const Error& error) {
    return error.what();
  }
  return "no error";
}

TEST(TransferPlan, OneFOneBGroupsEachSendWithTheReceiveThatFollowsIt) {
  // Lowered, device 0 runs F0 SEND_F0 F1 SEND_F1 RECV_B0 B0 RECV_B1 B1 STEP and device 1
  // RECV_F0 F0 B0 SEND_B0 RECV_F1 F1 B1 SEND_B1 STEP. Runs of adjacent NCCL ops are one
  // group, so SEND_F1 travels with RECV_B0 on device 0 and SEND_B0 with RECV_F1 on device 1:
  // Megatron's send_forward_recv_backward, without which both ranks would block in a send.
  const TransferPlan plan = plan_transfers(one_f_one_b_two_devices(), {0, 1}, TransportChoice::Auto);
  EXPECT_EQ(calls(plan, 0),
            "group_start\nsend 0SEND_F0 to 1\ngroup_end\n"
            "group_start\nsend 0SEND_F1 to 1\nrecv 0RECV_B0 from 1\ngroup_end\n"
            "group_start\nrecv 0RECV_B1 from 1\ngroup_end\n");
  EXPECT_EQ(calls(plan, 1),
            "group_start\nrecv 1RECV_F0 from 0\ngroup_end\n"
            "group_start\nsend 1SEND_B0 to 0\nrecv 1RECV_F1 from 0\ngroup_end\n"
            "group_start\nsend 1SEND_B1 to 0\ngroup_end\n");
}

TEST(TransferPlan, CallSequenceCarriesTheProgramsOps) {
  const Schedule schedule = one_f_one_b_two_devices();
  const TransferPlan plan = plan_transfers(schedule, {0, 1}, TransportChoice::Auto);
  const std::vector<NcclCall> sequence = nccl_call_sequence(plan, 0);
  ASSERT_EQ(sequence.size(), 10u);
  // Program positions: F0 0, SEND_F0 1, F1 2, SEND_F1 3, RECV_B0 4.
  EXPECT_EQ(sequence[1], (NcclCall{NcclCall::Kind::Send, 1, schedule.programs[0][1]}));
  EXPECT_EQ(sequence[4], (NcclCall{NcclCall::Kind::Send, 1, schedule.programs[0][3]}));
  EXPECT_EQ(sequence[5], (NcclCall{NcclCall::Kind::Recv, 1, schedule.programs[0][4]}));
  ASSERT_EQ(plan.steps[0].size(), 4u);
  EXPECT_EQ(plan.steps[0][1].position, 3u);
  EXPECT_TRUE(plan.steps[0][1].opens_group);
  EXPECT_FALSE(plan.steps[0][1].closes_group);
  EXPECT_TRUE(plan.steps[0][2].closes_group);
}

TEST(TransferPlan, MiddleRankOfThreeStageOneFOneB) {
  // p = 3, m = 3, stage 1 (one warm-up forward): F0 F1 B0 F2 B1 B2. Lowered, each F gets a
  // RECV_F before and a SEND_F after, each B a RECV_B before and a SEND_B after, so every
  // send joins the receive that follows it.
  Schedule schedule;
  schedule.problem.devices = 3;
  schedule.problem.microbatches = 3;
  schedule.programs = {program(0, "F0 F1 F2 B0 B1 B2 STEP"), program(1, "F0 F1 B0 F2 B1 B2 STEP"),
                       program(2, "F0 B0 F1 B1 F2 B2 STEP")};
  assign_weight_versions(schedule);
  const TransferPlan plan =
      plan_transfers(lower_communication(schedule), {0, 1, 2}, TransportChoice::Auto);
  EXPECT_EQ(describe_nccl_calls(nccl_call_sequence(plan, 1), 3),
            "group_start\nrecv 1RECV_F0 from 0\ngroup_end\n"
            "group_start\nsend 1SEND_F0 to 2\nrecv 1RECV_F1 from 0\ngroup_end\n"
            "group_start\nsend 1SEND_F1 to 2\nrecv 1RECV_B0 from 2\ngroup_end\n"
            "group_start\nsend 1SEND_B0 to 0\nrecv 1RECV_F2 from 0\ngroup_end\n"
            "group_start\nsend 1SEND_F2 to 2\nrecv 1RECV_B1 from 2\ngroup_end\n"
            "group_start\nsend 1SEND_B1 to 0\nrecv 1RECV_B2 from 2\ngroup_end\n"
            "group_start\nsend 1SEND_B2 to 0\ngroup_end\n");
}

TEST(TransferPlan, RoutesFollowTheGpusAndTheTransportChoice) {
  const Schedule schedule = one_f_one_b_two_devices();
  const auto routes = [&](const std::vector<int>& gpus, TransportChoice choice) {
    std::string text;
    for (const auto& device : plan_transfers(schedule, gpus, choice).steps) {
      for (const CommStep& step : device) text += std::string(route_name(step.route)) + " ";
    }
    return text;
  };
  // Four messages, each seen on both ends: eight steps.
  EXPECT_EQ(routes({0, 0}, TransportChoice::Auto), "copy copy copy copy copy copy copy copy ");
  EXPECT_EQ(routes({0, 1}, TransportChoice::Auto), "nccl nccl nccl nccl nccl nccl nccl nccl ");
  EXPECT_EQ(routes({0, 1}, TransportChoice::Copy), "copy copy copy copy copy copy copy copy ");
  EXPECT_EQ(routes({0, 0}, TransportChoice::Nccl),
            "nccl-loopback nccl-loopback nccl-loopback nccl-loopback nccl-loopback "
            "nccl-loopback nccl-loopback nccl-loopback ");
  // Copies and loopbacks make no cross-rank NCCL calls.
  EXPECT_TRUE(nccl_call_sequence(plan_transfers(schedule, {0, 0}, TransportChoice::Nccl), 0).empty());
  EXPECT_FALSE(plan_transfers(schedule, {0, 0}, TransportChoice::Nccl).uses_nccl());
  EXPECT_TRUE(plan_transfers(schedule, {0, 0}, TransportChoice::Nccl).uses_nccl_loopback());
}

TEST(TransferPlan, MessagesAreMatchedOnBothEnds) {
  const Schedule schedule = one_f_one_b_two_devices();
  const TransferPlan plan = plan_transfers(schedule, {0, 1}, TransportChoice::Auto);
  // SEND_F0 of stage 0 and RECV_F0 of stage 1 carry the activation across boundary 0.
  EXPECT_EQ(message_key(plan.steps[0][0].op), message_key(plan.steps[1][0].op));
  EXPECT_EQ(message_key(plan.steps[0][0].op), (MessageKey{false, 0, 0, 0}));
  // SEND_B1 of stage 1 and RECV_B1 of stage 0 carry the gradient across boundary 0.
  EXPECT_EQ(message_key(plan.steps[1][3].op), (MessageKey{true, 0, 1, 0}));
  EXPECT_EQ(message_key(plan.steps[0][3].op), (MessageKey{true, 0, 1, 0}));
  EXPECT_EQ(plan.steps[0][0].peer_device, 1u);
  EXPECT_EQ(plan.steps[1][0].peer_device, 0u);
}

TEST(TransferPlan, UnmatchedMessagesAreRefused) {
  Schedule schedule = one_f_one_b_two_devices();
  schedule.programs[1].erase(schedule.programs[1].begin());  // device 1's RECV_F0
  EXPECT_NE(error_of(schedule, {0, 1}, TransportChoice::Auto)
                .find("send 0SEND_F0 on device 0 has no matching receive on device 1"),
            std::string::npos);
  EXPECT_NE(error_of(one_f_one_b_two_devices(), {0}, TransportChoice::Auto).find("GPUs for 1 devices"),
            std::string::npos);
}

TEST(TransferPlan, NcclRefusesReceivesInAnotherOrderThanTheSends) {
  // Device 1 takes micro-batch 1 first: fine for copies (matched by message), but NCCL pairs
  // the first send from device 0 with the first receive on device 1.
  const Schedule schedule = two_devices(
      2, "F0 SEND_F0 F1 SEND_F1 RECV_B0 B0 RECV_B1 B1",
      "RECV_F1 F1 RECV_F0 F0 B0 SEND_B0 B1 SEND_B1");
  EXPECT_EQ(error_of(schedule, {0, 0}, TransportChoice::Auto), "no error");
  EXPECT_EQ(error_of(schedule, {0, 1}, TransportChoice::Nccl),
            "NCCL pairs messages by order, but device 0 sends 0SEND_F0 as its message #0 to "
            "device 1, which receives 1RECV_F1 as #0");
}

TEST(TransferPlan, GroupCyclesAreReportedAsADeadlock) {
  // Device 0 waits for the gradient of micro-batch 0 before sending micro-batch 1, while
  // device 1 waits for micro-batch 1 before computing that gradient.
  const Schedule schedule = two_devices(
      2, "F0 SEND_F0 F1 RECV_B0 B0 SEND_F1 RECV_B1 B1",
      "RECV_F0 F0 RECV_F1 F1 B0 SEND_B0 B1 SEND_B1");
  EXPECT_EQ(error_of(schedule, {0, 1}, TransportChoice::Nccl),
            "the NCCL groups of this schedule deadlock: device 0 waits on 0RECV_B0 until device 1 "
            "posts 1SEND_B0; device 1 waits on 1RECV_F1 until device 0 posts 0SEND_F1");
}

TEST(TransferPlan, ARankPostsEachGroupAsItReachesIt) {
  // Naive, p = 2, m = 2: device 1 reaches its group {SEND_B0, RECV_F1} once device 0 has
  // sent F0, and posting SEND_B0 there completes device 0's group {SEND_F0, RECV_B0}; device
  // 0's next group then sends F1. Every group completes.
  const Schedule schedule = lower_communication(two_devices(2, "F0 B0 F1 B1 STEP", "F0 B0 F1 B1 STEP"));
  EXPECT_EQ(error_of(schedule, {0, 1}, TransportChoice::Nccl), "no error");
  EXPECT_TRUE(plan_transfers(schedule, {0, 1}, TransportChoice::Auto).uses_nccl());
}

TEST(TransferPlan, AutoCopiesBetweenGpusWhereNcclGroupsWouldDeadlockAndSaysWhy) {
  // Interleaved on two GPUs: a device's gradient send waits in its NCCL group for a receive
  // its peer posts only after a group that waits on this device's next one. Peer copies
  // (event-ordered, no groups) run it; asked for explicitly, NCCL is refused.
  Problem problem;
  problem.devices = 2;
  problem.microbatches = 4;
  problem.chunks = 2;
  const Schedule schedule = lower_communication(generate_schedule("interleaved", problem));
  const TransferPlan plan = plan_transfers(schedule, {0, 1}, TransportChoice::Auto);
  EXPECT_FALSE(plan.uses_nccl());
  for (const auto& steps : plan.steps) {
    for (const CommStep& step : steps) EXPECT_EQ(step.route, Route::Copy);
  }
  EXPECT_EQ(plan.nccl_refusal.rfind("the NCCL groups of this schedule deadlock: ", 0), 0u) << plan.nccl_refusal;
  EXPECT_EQ(error_of(schedule, {0, 1}, TransportChoice::Nccl), plan.nccl_refusal);
  // Where NCCL can run the schedule, Auto keeps it and gives no reason.
  const TransferPlan one_f_one_b = plan_transfers(one_f_one_b_two_devices(), {0, 1}, TransportChoice::Auto);
  EXPECT_TRUE(one_f_one_b.uses_nccl());
  EXPECT_TRUE(one_f_one_b.nccl_refusal.empty());
}

TEST(TransferPlan, TransportNamesRoundTrip) {
  for (TransportChoice choice : {TransportChoice::Auto, TransportChoice::Copy, TransportChoice::Nccl}) {
    EXPECT_EQ(transport_choice_from_name(transport_choice_name(choice)), choice);
  }
  EXPECT_THROW(transport_choice_from_name("mpi"), Error);
}

}  // namespace
}  // namespace pipewise::exec::cuda
