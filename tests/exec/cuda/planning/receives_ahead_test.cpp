// Receives posted ahead for NCCL (exec/cuda/planning/receives_ahead.hpp): hand-derived
// cases, then every generator's lowered schedules made runnable by NCCL without changing
// what they compute.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "common/ir/error.hpp"
#include "common/ir/lower.hpp"
#include "common/schedules/registry.hpp"
#include "common/validate/validate.hpp"
#include "exec/cuda/planning/receives_ahead.hpp"
#include "exec/cuda/planning/transfer_plan.hpp"
#include "tests/exec/cuda/planning/text_programs.hpp"

namespace pipewise::exec::cuda {
namespace {

Schedule lowered(const std::string& name, std::uint32_t devices, std::uint32_t chunks,
                 std::uint32_t microbatches, std::uint32_t iterations = 1) {
  Problem problem;
  problem.devices = devices;
  problem.chunks = chunks;
  problem.microbatches = microbatches;
  problem.iterations = iterations;
  problem.placement = find_schedule(name).placement;
  return lower_communication(generate_schedule(name, problem));
}

std::vector<int> own_gpus(const Schedule& schedule) {
  std::vector<int> gpus(schedule.programs.size());
  std::iota(gpus.begin(), gpus.end(), 0);
  return gpus;
}

std::string nccl_error(const Schedule& schedule) {
  try {
    plan_transfers(schedule, own_gpus(schedule), TransportChoice::Nccl);
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

std::string program_text(const Schedule& schedule, std::uint32_t device) {
  std::string text;
  for (const Op& op : schedule.programs[device]) {
    text += (text.empty() ? "" : " ") + op_label(op, schedule.problem.microbatches);
  }
  return text;
}

// The ops of `program` that are not receives, in order, and its receives, each with the
// number of other ops before it.
struct ProgramParts {
  std::vector<Op> others;
  std::vector<std::pair<Op, std::size_t>> receives;
};
ProgramParts parts(const std::vector<Op>& program) {
  ProgramParts result;
  for (const Op& op : program) {
    if (is_recv(op.kind)) {
      result.receives.emplace_back(op, result.others.size());
    } else {
      result.others.push_back(op);
    }
  }
  return result;
}

TEST(PostReceivesAhead, LeavesSchedulesWhoseGroupsCompleteAsTheyAre) {
  for (const char* name : {"gpipe", "1f1b", "zb-h1", "naive"}) {
    const Schedule schedule = lowered(name, 4, 1, 8);
    EXPECT_EQ(nccl_error(schedule), "") << name;
    EXPECT_EQ(post_receives_ahead(schedule).programs, schedule.programs) << name;
  }
}

TEST(PostReceivesAhead, BatchesInterleavedReceivesWithTheSendsBeforeThemAsMegatronDoes) {
  // p = 2, v = 2, m = 4 as lowered: device 0 (stages 0 and 2) sends 2SEND_B0 alone in a
  // group, which waits for device 1's 1RECV_B0; device 1 waits in its group
  // {3SEND_B1, 1RECV_F2} for device 0's 2RECV_B1, which device 0 posts only after
  // 0F3 and 0SEND_F3. Each receive joins the group its device is blocked in, and so on
  // until every group completes: each group then sends this step's outputs and receives
  // the next step's inputs, like Megatron-LM's send_forward_backward_recv_forward_backward.
  const Schedule schedule = lowered("interleaved", 2, 2, 4);
  EXPECT_EQ(nccl_error(schedule).rfind("the NCCL groups of this schedule deadlock: ", 0), 0u);
  const Schedule posted = post_receives_ahead(schedule);
  EXPECT_EQ(nccl_error(posted), "");
  EXPECT_EQ(program_text(posted, 0),
            "0F0 0SEND_F0 0F1 0SEND_F1 2RECV_F0 2F0 2SEND_F0 2RECV_F1 2F1 2SEND_F1 0F2 0SEND_F2 "
            "2RECV_B0 2B0 2SEND_B0 2RECV_B1 0F3 0SEND_F3 2RECV_F2 2B1 2SEND_B1 0RECV_B0 2F2 "
            "2SEND_F2 2RECV_F3 0B0 2F3 2SEND_F3 0RECV_B1 0B1 2RECV_B2 2B2 2SEND_B2 2RECV_B3 2B3 "
            "2SEND_B3 0RECV_B2 0B2 0RECV_B3 0B3 0STEP 2STEP");
  EXPECT_EQ(program_text(posted, 1),
            "1RECV_F0 1F0 1SEND_F0 1RECV_F1 1F1 1SEND_F1 3RECV_F0 3F0 3B0 3SEND_B0 3RECV_F1 3F1 "
            "3B1 3SEND_B1 1RECV_F2 1RECV_B0 1F2 1SEND_F2 1RECV_F3 1B0 1SEND_B0 1RECV_B1 1F3 "
            "1SEND_F3 3RECV_F2 1B1 1SEND_B1 3F2 3B2 3SEND_B2 3RECV_F3 3F3 3B3 3SEND_B3 1RECV_B2 "
            "1B2 1SEND_B2 1RECV_B3 1B3 1SEND_B3 1STEP 3STEP");
}

TEST(PostReceivesAhead, ReceivesInTheOrderTheSenderSends) {
  // Device 1 takes micro-batch 1 first; NCCL would pair device 0's first send (F0) with
  // it. Receiving F0 first, in the same group, keeps the compute order.
  const Schedule schedule = testing::two_devices(2, "F0 SEND_F0 F1 SEND_F1 RECV_B0 B0 RECV_B1 B1",
                                                 "RECV_F1 F1 RECV_F0 F0 B0 SEND_B0 B1 SEND_B1");
  const Schedule posted = post_receives_ahead(schedule);
  EXPECT_EQ(program_text(posted, 1), "1RECV_F0 1RECV_F1 1F1 1F0 1B0 1SEND_B0 1B1 1SEND_B1");
  EXPECT_EQ(program_text(posted, 0), program_text(schedule, 0));
  EXPECT_EQ(nccl_error(posted), "");
}

TEST(PostReceivesAhead, RefusesAWaitThatNoReceivePostedAheadResolves) {
  // Both devices wait on a receive whose send comes after compute that needs it: a
  // deadlock of the programs themselves, named as plan_transfers names it.
  const Schedule schedule = testing::two_devices(2, "F0 SEND_F0 F1 RECV_B0 B0 SEND_F1 RECV_B1 B1",
                                                 "RECV_F0 F0 RECV_F1 F1 B0 SEND_B0 B1 SEND_B1");
  try {
    post_receives_ahead(schedule);
    ADD_FAILURE() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()), nccl_error(schedule));
  }
}

TEST(PostReceivesAhead, MakesEveryOneCopyScheduleRunnableByNcclComputingTheSame) {
  std::size_t refused = 0;
  std::size_t checked = 0;
  for (const ScheduleInfo& info : schedule_catalog()) {
    if (info.placement == Placement::Bidirectional) continue;  // the CUDA backend refuses it
    for (std::uint32_t p = 2; p <= 4; ++p) {
      for (std::uint32_t v = 1; v <= 3; ++v) {
        for (std::uint32_t m : {p, 2 * p, 3 * p}) {
          for (std::uint32_t n = 1; n <= 2; ++n) {
            Problem problem;
            problem.devices = p;
            problem.chunks = v;
            problem.microbatches = m;
            problem.iterations = n;
            problem.placement = info.placement;
            if (!schedule_accepts(info.name, problem).ok()) continue;
            const std::string where = info.name + " p=" + std::to_string(p) + " v=" +
                                      std::to_string(v) + " m=" + std::to_string(m) + " n=" + std::to_string(n);
            const Schedule schedule = lowered(info.name, p, v, m, n);
            const bool runnable = nccl_error(schedule).empty();
            refused += runnable ? 0 : 1;
            ++checked;
            const Schedule posted = post_receives_ahead(schedule);
            EXPECT_EQ(nccl_error(posted), "") << where;
            EXPECT_TRUE(validate_schedule(posted).issues.empty()) << where;
            if (runnable) {
              EXPECT_EQ(posted.programs, schedule.programs) << where;
            }
            for (std::uint32_t d = 0; d < p; ++d) {
              const ProgramParts before = parts(schedule.programs[d]);
              const ProgramParts after = parts(posted.programs[d]);
              // Compute ops and sends keep their order; receives only move earlier.
              EXPECT_EQ(after.others, before.others) << where << " device " << d;
              ASSERT_EQ(after.receives.size(), before.receives.size()) << where;
              for (const auto& [op, others_before] : after.receives) {
                bool found = false;
                for (const auto& [original, original_before] : before.receives) {
                  if (!(original == op)) continue;
                  found = true;
                  EXPECT_LE(others_before, original_before) << where << " " << op_label(op, m);
                }
                EXPECT_TRUE(found) << where << " " << op_label(op, m);
              }
            }
          }
        }
      }
    }
  }
  // The sweep holds schedules NCCL refused as lowered (interleaved, V-shapes, ...).
  EXPECT_GT(refused, 50u);
  EXPECT_GT(checked, 300u);
}

}  // namespace
}  // namespace pipewise::exec::cuda
