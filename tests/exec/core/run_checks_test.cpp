// Schedules the executor refuses before starting, each with the reason.
#include <gtest/gtest.h>

#include <string>

#include "common/ir/error.hpp"
#include "exec/core/run_checks.hpp"
#include "tests/exec/exec_test_support.hpp"

namespace pipewise::exec {
namespace {

std::string rejection(const Schedule& schedule) {
  try {
    check_runnable(schedule);
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

TEST(RunChecks, LoweredGeneratorSchedulesAreRunnable) {
  for (const char* name : {"naive", "gpipe", "1f1b", "pipedream", "pipedream-2bw"}) {
    EXPECT_EQ(rejection(test::lowered(name, test::problem(3, 3, 2))), "") << name;
  }
  EXPECT_EQ(rejection(test::lowered("interleaved", test::problem(2, 4, 1, 2))), "");
  // One device needs no communication.
  EXPECT_EQ(rejection(generate_schedule("gpipe", test::problem(1, 2))), "");
}

TEST(RunChecks, AMultiDeviceScheduleMustBeLowered) {
  EXPECT_EQ(rejection(generate_schedule("gpipe", test::problem(2, 2))),
            "schedule has no send or receive ops but its stages span 2 devices: lower it first "
            "(lower_communication)");
}

TEST(RunChecks, ProgramsMustMatchTheDevicesAndPlacement) {
  Schedule schedule = test::lowered("gpipe", test::problem(2, 1));
  Schedule extra = schedule;
  extra.programs.emplace_back();
  EXPECT_EQ(rejection(extra), "schedule has 3 device programs but p = 2");

  Schedule misplaced = schedule;
  misplaced.programs[1].push_back(Op{OpKind::Forward, 0, 0, 0, 0, 0});
  EXPECT_EQ(rejection(misplaced),
            "op 0F0 (forward, stage 0, micro-batch 0, iteration 0, weight version 0) on device 1 "
            "belongs to device 0 by the placement");

  Schedule outside = schedule;
  outside.programs[0].push_back(Op{OpKind::Forward, 0, 0, 5, 0, 0});
  EXPECT_EQ(rejection(outside),
            "op 0F5 (forward, stage 0, micro-batch 5, iteration 0, weight version 0) on device 0 "
            "names a micro-batch or iteration outside the problem");

  Schedule no_peer = schedule;
  no_peer.programs[1].push_back(Op{OpKind::SendActivation, 0, 1, 0, 0, 0});
  EXPECT_EQ(rejection(no_peer),
            "op 1SEND_F0 (send_activation, stage 1, micro-batch 0, iteration 0, weight version 0) "
            "on device 1 has no peer stage");
}

}  // namespace
}  // namespace pipewise::exec
