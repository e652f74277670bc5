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
  EXPECT_EQ(rejection(extra), "out-of-range: 3 programs for p = 2 devices");

  Schedule misplaced = schedule;
  misplaced.programs[1].push_back(Op{OpKind::Forward, 0, 0, 0, 0, 0});
  EXPECT_EQ(rejection(misplaced),
            "wrong-device: 0F0 runs on device 1, but stage 0 belongs to device 0");

  Schedule outside = schedule;
  outside.programs[0].push_back(Op{OpKind::Forward, 0, 0, 5, 0, 0});
  EXPECT_EQ(rejection(outside),
            "out-of-range: F at device 0 position 5 names micro-batch 5 but m = 1");

  Schedule no_peer = schedule;
  no_peer.programs[1].push_back(Op{OpKind::SendActivation, 0, 1, 0, 0, 0});
  EXPECT_EQ(rejection(no_peer),
            "bad-comm: 1SEND_F0 on device 1 has no peer: stage 1 is the last stage");
}

}  // namespace
}  // namespace pipewise::exec
