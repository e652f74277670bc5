// The receivers' mailboxes of the CUDA backend's copy route (exec/cuda/planning/mailbox.hpp).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "exec/core/backend.hpp"
#include "exec/cuda/planning/mailbox.hpp"

namespace pipewise::exec::cuda {
namespace {

using std::chrono::milliseconds;

constexpr MessageKey activation(std::uint32_t microbatch) { return {false, 0, microbatch, 0}; }

TEST(Mailbox, MessagesAreTakenByKeyInAnyOrder) {
  Mailbox<int> box;
  std::atomic<bool> cancelled{false};
  box.post(0, activation(0), 10);
  box.post(0, activation(1), 11);
  EXPECT_EQ(box.take(0, activation(1), milliseconds(100), cancelled), 11);
  EXPECT_EQ(box.take(0, activation(0), milliseconds(100), cancelled), 10);
}

TEST(Mailbox, TheSenderIsPartOfTheMatch) {
  Mailbox<int> box;
  std::atomic<bool> cancelled{false};
  box.post(2, activation(0), 20);
  box.post(1, activation(0), 10);
  EXPECT_EQ(box.take(1, activation(0), milliseconds(100), cancelled), 10);
  EXPECT_EQ(box.take(2, activation(0), milliseconds(100), cancelled), 20);
}

TEST(Mailbox, TakeWaitsForAPostFromAnotherThread) {
  Mailbox<int> box;
  std::atomic<bool> cancelled{false};
  std::thread sender([&] {
    std::this_thread::sleep_for(milliseconds(20));
    box.post(0, activation(3), 33);
  });
  EXPECT_EQ(box.take(0, activation(3), milliseconds(5000), cancelled), 33);
  sender.join();
}

TEST(Mailbox, AMissingMessageTimesOutNamingTheSender) {
  Mailbox<int> box;
  std::atomic<bool> cancelled{false};
  box.post(0, activation(1), 1);  // not the one awaited
  try {
    box.take(0, activation(0), milliseconds(30), cancelled);
    FAIL() << "took a message that was never posted";
  } catch (const RunCancelled&) {
    FAIL() << "timed out as a cancellation";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()),
              "no message from device 0 within 30 ms (a deadlock in the schedule, or a lost message)");
  }
}

TEST(Mailbox, CancellationWakesAWaitingReceiver) {
  Mailbox<int> box;
  std::atomic<bool> cancelled{false};
  std::thread canceller([&] {
    std::this_thread::sleep_for(milliseconds(20));
    cancelled.store(true);
    box.wake_all();
  });
  EXPECT_THROW(box.take(0, activation(0), milliseconds(60000), cancelled), RunCancelled);
  canceller.join();
}

TEST(Mailbox, DrainReturnsWhatWasNeverTaken) {
  Mailbox<int> box;
  std::atomic<bool> cancelled{false};
  box.post(0, activation(0), 1);
  box.post(1, activation(0), 2);
  EXPECT_EQ(box.take(0, activation(0), milliseconds(100), cancelled), 1);
  EXPECT_EQ(box.drain(), (std::vector<int>{2}));
  EXPECT_TRUE(box.drain().empty());
}

}  // namespace
}  // namespace pipewise::exec::cuda
