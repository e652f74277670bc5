// One process per GPU (exec/cuda/planning/rank_placement.hpp): which GPU a rank drives, how
// its messages travel, and the NCCL calls it makes with the data-parallel all-reduce
// (exec/cuda/planning/nccl_calls.hpp), on the CPU.
#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <vector>

#include "common/ir/error.hpp"
#include "common/ir/lower.hpp"
#include "common/schedules/registry.hpp"
#include "exec/cuda/planning/nccl_calls.hpp"
#include "exec/cuda/planning/rank_placement.hpp"
#include "exec/cuda/planning/receives_ahead.hpp"

namespace pipewise::exec::cuda {
namespace {

std::string error_of(auto&& call) {
  try {
    call();
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

Schedule lowered(const char* name, std::uint32_t devices, std::uint32_t microbatches,
                 std::uint32_t chunks = 1) {
  Problem problem;
  problem.devices = devices;
  problem.microbatches = microbatches;
  problem.chunks = chunks;
  problem.placement = find_schedule(name).placement;
  return lower_communication(generate_schedule(name, problem));
}

TEST(RankGpu, EachLocalRankDrivesItsOwnGpu) {
  EXPECT_EQ(rank_gpu({}, 0, 8), 0);
  EXPECT_EQ(rank_gpu({}, 5, 8), 5);
  EXPECT_EQ(rank_gpu({{3, 1}, 0}, 0, 4), 3);
  EXPECT_EQ(rank_gpu({{3, 1}, 0}, 1, 4), 1);
}

TEST(RankGpu, RefusesARankWithoutAGpuOfItsOwn) {
  EXPECT_EQ(error_of([] { rank_gpu({}, 2, 2); }),
            "local rank 2 has no GPU of its own: the process sees 2 GPU(s) (start at most that many "
            "ranks per machine; NCCL runs one rank per GPU)");
  EXPECT_EQ(error_of([] { rank_gpu({{0, 1}, 0}, 2, 4); }),
            "--gpus names 2 GPU(s) but this machine runs local rank 2 (name one GPU per rank on the "
            "machine)");
  EXPECT_EQ(error_of([] { rank_gpu({{0, 5}, 0}, 1, 4); }),
            "--gpus gives local rank 1 GPU 5 but only 4 are visible (0..3)");
  EXPECT_NE(error_of([] { rank_gpu({{}, 2}, 0, 1); }).find("--emulate partitions one GPU"), std::string::npos);
  EXPECT_EQ(error_of([] { rank_gpu({}, 0, 0); }), "no CUDA device is visible to this process");
}

TEST(RankPlacement, ChecksItsGridAgainstTheSchedule) {
  RankPlacement placement{1, 2, 1, 2, 0, [](RankGroup, void*, std::size_t) {}};
  EXPECT_EQ(error_of([&] { check_rank_placement(placement, 2); }), "");
  EXPECT_EQ(error_of([&] { check_rank_placement(placement, 4); }),
            "the ranks form a pipeline of 2 device(s) but the schedule has 4");
  placement.replica = 2;
  EXPECT_EQ(error_of([&] { check_rank_placement(placement, 2); }),
            "rank placement device 1 of 2, replica 2 of 2 is outside its grid");
  placement.replica = 0;
  placement.broadcast = nullptr;
  EXPECT_EQ(error_of([&] { check_rank_placement(placement, 2); }),
            "a multi-process CUDA run needs the launcher's broadcast");
}

TEST(RankTransfers, EveryMessageIsAnNcclCallOfThePipelineGroup) {
  struct Case {
    const char* name;
    std::uint32_t devices;
    std::uint32_t chunks;
  };
  // As `pipewise run` hands them to the ranks: receives posted ahead where NCCL needs it.
  for (const Case& c : {Case{"gpipe", 4, 1}, Case{"1f1b", 4, 1}, Case{"zb-h1", 4, 1}, Case{"naive", 4, 1},
                        Case{"interleaved", 4, 2}, Case{"zbv", 4, 2}}) {
    const char* name = c.name;
    const Schedule schedule = post_receives_ahead(lowered(name, c.devices, 8, c.chunks));
    const TransferPlan plan = plan_rank_transfers(schedule, TransportChoice::Auto);
    std::size_t messages = 0;
    for (std::uint32_t d = 0; d < c.devices; ++d) {
      for (const CommStep& step : plan.steps[d]) {
        EXPECT_EQ(step.route, Route::Nccl) << name;
        EXPECT_NE(step.peer_device, d) << name;
        ++messages;
      }
    }
    EXPECT_GT(messages, 0u) << name;
    EXPECT_FALSE(plan.uses_nccl_loopback()) << name;
  }
  // Interleaved programs as lowered send a gradient in a group that waits on a receive the
  // peer posts only after its own blocked group: refused as they are (in one process,
  // --transport auto copies instead; across processes `pipewise run` posts receives ahead).
  const std::string refusal =
      error_of([] { plan_rank_transfers(lowered("interleaved", 2, 8, 2), TransportChoice::Auto); });
  EXPECT_EQ(refusal.rfind("the NCCL groups of this schedule deadlock: ", 0), 0u) << refusal;
  EXPECT_NE(refusal.find("in one process --transport auto runs this schedule with peer copies"),
            std::string::npos)
      << refusal;
  EXPECT_NE(error_of([] { plan_rank_transfers(lowered("1f1b", 2, 4), TransportChoice::Copy); })
                .find("--transport copy needs every device in one process"),
            std::string::npos);
}

TEST(RankNcclCalls, AllReduceTheGradientJustBeforeEachStep) {
  const Schedule schedule = lowered("1f1b", 2, 2);
  const TransferPlan plan = plan_rank_transfers(schedule, TransportChoice::Auto);
  EXPECT_EQ(describe_nccl_calls(rank_nccl_call_sequence(schedule, plan, 0, 2), 2),
            "group_start\nsend 0SEND_F0 to 1\ngroup_end\n"
            "group_start\nsend 0SEND_F1 to 1\nrecv 0RECV_B0 from 1\ngroup_end\n"
            "group_start\nrecv 0RECV_B1 from 1\ngroup_end\n"
            "all_reduce 0STEP\n");
  EXPECT_EQ(describe_nccl_calls(rank_nccl_call_sequence(schedule, plan, 1, 2), 2),
            "group_start\nrecv 1RECV_F0 from 0\ngroup_end\n"
            "group_start\nsend 1SEND_B0 to 0\nrecv 1RECV_F1 from 0\ngroup_end\n"
            "group_start\nsend 1SEND_B1 to 0\ngroup_end\n"
            "all_reduce 1STEP\n");
  // One replica: no all-reduce, the pipeline calls alone.
  EXPECT_EQ(rank_nccl_call_sequence(schedule, plan, 1, 1), nccl_call_sequence(plan, 1));
}

TEST(RankNcclCalls, KeepThePipelineCallsAndAddOneAllReducePerStep) {
  // 1F1B over four devices, three iterations: every optimizer step of a device's program
  // gets its all-reduce right before it; the pipeline calls keep their order.
  Problem problem;
  problem.devices = 4;
  problem.microbatches = 8;
  problem.iterations = 3;
  const Schedule schedule = lower_communication(generate_schedule("1f1b", problem));
  const TransferPlan plan = plan_rank_transfers(schedule, TransportChoice::Nccl);
  for (std::uint32_t d = 0; d < 4; ++d) {
    const std::vector<NcclCall> calls = rank_nccl_call_sequence(schedule, plan, d, 3);
    std::vector<NcclCall> pipeline;
    std::vector<Op> reduced;
    for (const NcclCall& call : calls) {
      if (call.kind == NcclCall::Kind::AllReduce) {
        reduced.push_back(call.op);
      } else {
        pipeline.push_back(call);
      }
    }
    EXPECT_EQ(pipeline, nccl_call_sequence(plan, d)) << "device " << d;
    std::vector<Op> steps;
    for (const Op& op : schedule.programs[d]) {
      if (op.kind == OpKind::OptimizerStep) steps.push_back(op);
    }
    EXPECT_EQ(reduced, steps) << "device " << d;
    EXPECT_EQ(steps.size(), 3u) << "device " << d;  // one per iteration
    // Never inside a group: an all-reduce between a group's start and end would be grouped
    // with its sends and receives.
    bool in_group = false;
    for (const NcclCall& call : calls) {
      if (call.kind == NcclCall::Kind::GroupStart) in_group = true;
      if (call.kind == NcclCall::Kind::GroupEnd) in_group = false;
      if (call.kind == NcclCall::Kind::AllReduce) {
        EXPECT_FALSE(in_group) << "device " << d;
      }
    }
  }
}

}  // namespace
}  // namespace pipewise::exec::cuda
