// The profiling driver both backends' profilers share (exec/core/profile_driver.hpp), with
// a scripted clock: what is timed, in which order, and the medians and fits that result.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "common/ir/error.hpp"
#include "exec/core/profile_driver.hpp"

namespace pipewise::exec {
namespace {

// A clock that reads each timed body as the next of `durations` (cycling), and a log of
// what ran.
struct ScriptedClock {
  explicit ScriptedClock(std::vector<double> read) : durations(std::move(read)) {}

  std::vector<double> durations;
  std::size_t next = 0;
  std::vector<std::string> log;

  TimeCall time() {
    return [this](const ProfiledCall& prepare, const ProfiledCall& body) {
      prepare();
      log.push_back("[");
      body();
      log.push_back("]");
      return durations[next++ % durations.size()];
    };
  }
  ProfiledCall op(const std::string& name) {
    return [this, name] { log.push_back(name); };
  }
};

ProfileOptions options(std::uint32_t warmup, std::uint32_t repeats) {
  ProfileOptions profile;
  profile.warmup = warmup;
  profile.repeats = repeats;
  return profile;
}

TEST(ProfileDriver, TheMedianLeavesTheWarmUpOut) {
  ScriptedClock clock{{100.0, 100.0, 3.0, 1.0, 2.0}};
  EXPECT_EQ(median_call_ms(options(2, 3), clock.time(), clock.op("prepare"), clock.op("body")),
            2.0);
  EXPECT_EQ(clock.next, 5u);
  EXPECT_EQ(clock.log.size(), 5u * 4);  // prepare, [, body, ] each time
  EXPECT_EQ(clock.log[0], "prepare");   // untimed, before the clock starts
  EXPECT_EQ(clock.log[2], "body");
}

TEST(ProfileDriver, AStageIsTimedAsFThenIThenWThenBThenTheStepThenTheStashingStep) {
  // One timed run each, no warm-up: the durations read 1, 2, 3, 4, 5, 6 in order.
  ScriptedClock clock{{1.0, 2.0, 3.0, 4.0, 5.0, 6.0}};
  StageOps ops;
  ops.forward = clock.op("F");
  ops.keep_output_gradient = clock.op("keep");
  ops.restore_output_gradient = clock.op("restore");
  ops.backward_input = clock.op("I");
  ops.backward_weight = clock.op("W");
  ops.optimizer_step = clock.op("step");
  ops.stashing_step = clock.op("stash");
  const StageProfile profile = time_stage_ops(ops, clock.time(), options(0, 1));
  EXPECT_EQ(profile.forward_ms, 1.0);
  EXPECT_EQ(profile.backward_input_ms, 2.0);
  EXPECT_EQ(profile.backward_weight_ms, 3.0);
  EXPECT_EQ(profile.backward_ms, 4.0);
  EXPECT_EQ(profile.optimizer_step_ms, 5.0);
  EXPECT_EQ(profile.stashing_step_ms, 6.0);
  EXPECT_EQ(clock.log, (std::vector<std::string>{"[", "F", "]", "keep", "restore", "[", "I", "]",
                                                 "[", "W", "]", "restore", "[", "I", "W", "]",
                                                 "[", "step", "]", "[", "stash", "]"}));
}

TEST(ProfileDriver, MessageSizesDefaultToFourKibibytesToFourMebibytes) {
  EXPECT_EQ(checked_message_sizes({}),
            (std::vector<std::size_t>{4096, 16384, 65536, 262144, 1048576, 4194304}));
  ProfileOptions given;
  given.transfer_bytes = {100, 200};
  EXPECT_EQ(checked_message_sizes(given), (std::vector<std::size_t>{100, 200}));
}

TEST(ProfileDriver, OptionsThatCannotProfileAreRefused) {
  EXPECT_THROW(checked_message_sizes(options(3, 0)), Error);
  ProfileOptions zero_size;
  zero_size.transfer_bytes = {64, 0};
  EXPECT_THROW(checked_message_sizes(zero_size), Error);
}

TEST(ProfileDriver, TransfersAreFittedAsLatencyPlusBytesTimesCost) {
  // 0.01 ms + bytes · 1e-6 ms: 1000 bytes take 0.011 ms, 3000 bytes 0.013 ms.
  std::vector<std::uint32_t> indices;
  const TransferProfile profile =
      profile_transfers({1000, 3000}, [&](std::size_t bytes, std::uint32_t index) {
        indices.push_back(index);
        return 0.01 + static_cast<double>(bytes) * 1e-6;
      });
  EXPECT_EQ(indices, (std::vector<std::uint32_t>{0, 1}));
  ASSERT_EQ(profile.samples.size(), 2u);
  EXPECT_EQ(profile.samples[1].bytes, 3000u);
  EXPECT_NEAR(profile.latency_ms, 0.01, 1e-12);
  EXPECT_NEAR(profile.ms_per_byte, 1e-6, 1e-15);
  EXPECT_NEAR(profile.bandwidth_gb_per_s(), 1.0, 1e-9);
}

TEST(ProfileDriver, OneSizeGivesTheCostPerByteAlone) {
  const TransferProfile profile =
      profile_transfers({2000}, [](std::size_t, std::uint32_t) { return 0.5; });
  EXPECT_EQ(profile.latency_ms, 0.0);
  EXPECT_DOUBLE_EQ(profile.ms_per_byte, 0.5 / 2000);
}

TEST(ProfileDriver, ANegativeFittedLatencyReadsZero) {
  // Points on 2·bytes − 1000 (ms): the intercept is negative.
  const TransferProfile profile = profile_transfers(
      {1000, 2000}, [](std::size_t bytes, std::uint32_t) { return 2.0 * static_cast<double>(bytes) - 1000.0; });
  EXPECT_EQ(profile.latency_ms, 0.0);
  EXPECT_DOUBLE_EQ(profile.ms_per_byte, 2.0);
}

}  // namespace
}  // namespace pipewise::exec
