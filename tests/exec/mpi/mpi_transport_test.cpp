// The transport between ranks: messages matched by tag, deadlines naming the peer's device and
// rank, checksums, injected message faults and cancellation. Ranks 0 and 1 of the world are
// devices 0 and 1 of a two-device pipeline; other ranks wait at each test's end.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "common/ir/error.hpp"
#include "exec/mpi/mpi_exchange.hpp"
#include "exec/mpi/mpi_transport.hpp"
#include "tests/exec/mpi/mpi_test_support.hpp"

namespace pipewise::exec::mpi {
namespace {

using std::chrono::milliseconds;

// A two-device pipeline of world ranks 0 and 1 (a communicator of its own per test, so no test
// sees another's messages), and the world meeting at the end of each test.
class TwoRankTransport : public ::testing::Test {
 protected:
  void SetUp() override {
    const int color = mpi_test::world().rank() < 2 ? 0 : 1;
    MPI_Comm_split(MPI_COMM_WORLD, color, static_cast<int>(mpi_test::world().rank()), &pair_);
    MPI_Comm_set_errhandler(pair_, MPI_ERRORS_RETURN);
  }
  void TearDown() override {
    meet(MPI_COMM_WORLD, std::chrono::steady_clock::now() + mpi_test::kTestTimeout, "the test's end");
    MPI_Comm_free(&pair_);
  }
  bool in_pair() const { return mpi_test::world().rank() < 2; }
  std::uint32_t device() const { return mpi_test::world().rank(); }
  MpiTransport transport(bool checksums) const {
    Problem problem;
    problem.devices = 2;
    problem.microbatches = 4;
    return MpiTransport(pair_, problem, checksums, mpi_test::world().waiting(), mpi_test::kTestTimeout);
  }
  MPI_Comm pair_ = MPI_COMM_NULL;
};

MessageTag activation(std::uint16_t stage, std::uint32_t microbatch) {
  return MessageTag{false, stage, microbatch, 0};
}

TEST_F(TwoRankTransport, ReceivesMatchTheirMessageByTagInAnyOrder) {
  if (!in_pair()) return;
  MpiTransport link = transport(false);
  if (device() == 0) {
    link.send(0, 1, activation(0, 0), {1.0f, 2.0f});
    link.send(0, 1, activation(0, 1), {3.0f});
    link.send(0, 1, MessageTag{true, 0, 1, 0}, {4.0f});
  } else {
    EXPECT_EQ(link.receive(1, 0, MessageTag{true, 0, 1, 0}, mpi_test::kTestTimeout),
              (std::vector<float>{4.0f}));
    EXPECT_EQ(link.receive(1, 0, activation(0, 1), mpi_test::kTestTimeout), (std::vector<float>{3.0f}));
    EXPECT_EQ(link.receive(1, 0, activation(0, 0), mpi_test::kTestTimeout),
              (std::vector<float>{1.0f, 2.0f}));
  }
}

TEST_F(TwoRankTransport, LargeMessagesArriveWhole) {
  if (!in_pair()) return;
  MpiTransport link = transport(true);
  std::vector<float> payload(1 << 20);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<float>(i % 977);
  if (device() == 0) {
    link.send(0, 1, activation(0, 2), std::vector<float>(payload));
  } else {
    EXPECT_EQ(link.receive(1, 0, activation(0, 2), mpi_test::kTestTimeout), payload);
  }
}

TEST_F(TwoRankTransport, AReceiveGivesUpAtItsDeadlineNamingTheDeviceAndRank) {
  if (!in_pair() || device() != 1) return;
  MpiTransport link = transport(false);
  const auto start = std::chrono::steady_clock::now();
  try {
    link.receive(1, 0, activation(0, 3), milliseconds(200));
    FAIL() << "expected a timeout";
  } catch (const Error& error) {
    EXPECT_STREQ(error.what(),
                 "no message from device 0 (rank 0) within 200 ms (a deadlock in the schedule, a "
                 "lost message, or rank 0 stopped answering)");
  }
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(200));
}

TEST_F(TwoRankTransport, ChecksumsCatchACorruptedMessage) {
  if (!in_pair()) return;
  MpiTransport link = transport(true);
  if (device() == 0) {
    link.send(0, 1, activation(0, 0), {1.0f, 2.0f, 3.0f}, MessageFault::Corrupt);
  } else {
    try {
      link.receive(1, 0, activation(0, 0), mpi_test::kTestTimeout);
      FAIL() << "expected a checksum failure";
    } catch (const Error& error) {
      EXPECT_STREQ(error.what(),
                   "the message from device 0 (rank 0) failed its checksum (corrupted in transit)");
    }
  }
}

TEST_F(TwoRankTransport, ADroppedMessageNeverArrivesAndAFailedSendThrows) {
  if (!in_pair()) return;
  MpiTransport link = transport(false);
  if (device() == 0) {
    link.send(0, 1, activation(0, 0), {1.0f}, MessageFault::Drop);
    EXPECT_THROW(link.send(0, 1, activation(0, 1), {1.0f}, MessageFault::Fail), Error);
    link.send(0, 1, activation(0, 2), {2.0f});
  } else {
    EXPECT_THROW(link.receive(1, 0, activation(0, 0), milliseconds(100)), Error);
    EXPECT_EQ(link.receive(1, 0, activation(0, 2), mpi_test::kTestTimeout), (std::vector<float>{2.0f}));
  }
}

TEST_F(TwoRankTransport, CancelStopsABlockedReceive) {
  if (!in_pair() || device() != 1) return;
  MpiTransport link = transport(false);
  std::thread canceller([&] {
    std::this_thread::sleep_for(milliseconds(50));
    link.cancel();
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(link.receive(1, 0, activation(0, 0), std::chrono::seconds(30)), RunCancelled);
  canceller.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

}  // namespace
}  // namespace pipewise::exec::mpi
