// The in-process transport: tag-matched mailboxes per directed device pair, receive
// deadlines, cancellation, and checksums that catch corruption.
#include <gtest/gtest.h>

#include <bit>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "common/ir/error.hpp"
#include "exec/core/backend.hpp"
#include "exec/cpu/checksum.hpp"
#include "exec/cpu/in_process_transport.hpp"

namespace pipewise::exec {
namespace {

using std::chrono::milliseconds;

MessageTag activation(std::uint16_t stage, std::uint32_t microbatch) {
  return MessageTag{false, stage, microbatch, 0};
}

TEST(InProcessTransport, ReceivesMatchByTagInAnyOrder) {
  InProcessTransport transport(2, false);
  transport.send(0, 1, activation(0, 0), {1.0f});
  transport.send(0, 1, activation(0, 1), {2.0f});
  EXPECT_EQ(transport.receive(1, 0, activation(0, 1), milliseconds(100)), (std::vector<float>{2.0f}));
  EXPECT_EQ(transport.receive(1, 0, activation(0, 0), milliseconds(100)), (std::vector<float>{1.0f}));
  EXPECT_EQ(transport.pending(), 0u);
}

TEST(InProcessTransport, ChannelsAreDirected) {
  InProcessTransport transport(2, false);
  transport.send(0, 1, activation(0, 0), {1.0f});
  // The message went 0 -> 1; nothing travels 1 -> 0.
  EXPECT_THROW(transport.receive(0, 1, activation(0, 0), milliseconds(20)), Error);
  EXPECT_EQ(transport.pending(), 1u);
}

TEST(InProcessTransport, AReceiveGivesUpAtItsDeadline) {
  InProcessTransport transport(2, false);
  const auto start = std::chrono::steady_clock::now();
  try {
    transport.receive(1, 0, activation(0, 0), milliseconds(50));
    FAIL() << "expected a timeout";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()),
              "no message from device 0 within 50 ms (a deadlock in the schedule, or a lost "
              "message)");
  }
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(50));
}

TEST(InProcessTransport, AReceiveWaitsForALaterSend) {
  InProcessTransport transport(2, false);
  std::thread sender([&] {
    std::this_thread::sleep_for(milliseconds(20));
    transport.send(0, 1, activation(0, 3), {7.0f, 8.0f});
  });
  EXPECT_EQ(transport.receive(1, 0, activation(0, 3), milliseconds(5000)),
            (std::vector<float>{7.0f, 8.0f}));
  sender.join();
}

TEST(InProcessTransport, CancelWakesABlockedReceive) {
  InProcessTransport transport(2, false);
  std::thread canceller([&] {
    std::this_thread::sleep_for(milliseconds(20));
    transport.cancel();
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(transport.receive(1, 0, activation(0, 0), std::chrono::seconds(30)), RunCancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  canceller.join();
  // And every later receive fails at once, even with a message waiting.
  transport.send(0, 1, activation(0, 0), {1.0f});
  EXPECT_THROW(transport.receive(1, 0, activation(0, 0), std::chrono::seconds(30)), RunCancelled);
}

TEST(InProcessTransport, ASpinningReceiveTakesAMessageThatComesWhileItSpins) {
  InProcessTransport transport(2, false, std::chrono::seconds(10));
  std::thread sender([&] {
    std::this_thread::sleep_for(milliseconds(20));
    transport.send(0, 1, activation(0, 9), {1.0f});  // another tag first: spinning ends
    std::this_thread::sleep_for(milliseconds(20));
    transport.send(0, 1, activation(0, 3), {7.0f});
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(transport.receive(1, 0, activation(0, 3), std::chrono::seconds(30)),
            (std::vector<float>{7.0f}));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  sender.join();
  EXPECT_EQ(transport.pending(), 1u);
}

TEST(InProcessTransport, ASpinningReceiveStillEndsAtItsDeadlineAndOnCancel) {
  InProcessTransport transport(2, false, std::chrono::seconds(10));
  auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(transport.receive(1, 0, activation(0, 0), milliseconds(50)), Error);
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(50));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));

  std::thread canceller([&] {
    std::this_thread::sleep_for(milliseconds(20));
    transport.cancel();
  });
  start = std::chrono::steady_clock::now();
  EXPECT_THROW(transport.receive(1, 0, activation(0, 0), std::chrono::seconds(30)), RunCancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  canceller.join();
}

TEST(InProcessTransport, ReceivesSpinOnlyWhenEveryWorkerHasACore) {
  EXPECT_GT(receive_spin(2, 2), std::chrono::nanoseconds{0});
  EXPECT_GT(receive_spin(1, 16), std::chrono::nanoseconds{0});
  EXPECT_EQ(receive_spin(3, 2), std::chrono::nanoseconds{0});
}

TEST(InProcessTransport, ChecksumsCatchACorruptedMessage) {
  InProcessTransport checked(2, true);
  checked.send(0, 1, activation(0, 0), {1.0f, 2.0f, 3.0f}, MessageFault::Corrupt);
  try {
    checked.receive(1, 0, activation(0, 0), milliseconds(100));
    FAIL() << "expected a checksum error";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()),
              "the message from device 0 failed its checksum (corrupted in transit)");
  }
}

TEST(InProcessTransport, WithoutChecksumsCorruptionFlipsOneBitOfTheMiddleValue) {
  InProcessTransport unchecked(2, false);
  unchecked.send(0, 1, activation(0, 0), {1.0f, 2.0f, 3.0f}, MessageFault::Corrupt);
  const std::vector<float> received = unchecked.receive(1, 0, activation(0, 0), milliseconds(100));
  EXPECT_EQ(received[0], 1.0f);
  EXPECT_EQ(std::bit_cast<std::uint32_t>(received[1]), std::bit_cast<std::uint32_t>(2.0f) ^ (1u << 30));
  EXPECT_EQ(received[2], 3.0f);
}

TEST(InProcessTransport, DroppedMessagesNeverArriveAndFailedSendsThrow) {
  InProcessTransport transport(2, false);
  transport.send(0, 1, activation(0, 0), {1.0f}, MessageFault::Drop);
  EXPECT_EQ(transport.pending(), 0u);
  EXPECT_THROW(transport.send(0, 1, activation(0, 1), {1.0f}, MessageFault::Fail), Error);
}

TEST(Checksum, AnySingleBitFlipChangesIt) {
  const std::vector<float> values = {0.5f, -1.25f, 3.0f, 1e-20f};
  const std::uint64_t reference = buffer_checksum(values);
  for (std::size_t i = 0; i < values.size(); ++i) {
    for (int bit = 0; bit < 32; ++bit) {
      std::vector<float> flipped = values;
      flipped[i] = std::bit_cast<float>(std::bit_cast<std::uint32_t>(flipped[i]) ^ (1u << bit));
      EXPECT_NE(buffer_checksum(flipped), reference) << i << " bit " << bit;
    }
  }
}

}  // namespace
}  // namespace pipewise::exec
