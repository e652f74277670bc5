// The buffer and accounting rules every backend follows for a micro-batch in flight
// (exec/core/microbatch_stash.hpp), on host vectors and a counting pool.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "common/ir/error.hpp"
#include "exec/core/microbatch_stash.hpp"

namespace pipewise::exec {
namespace {

using Buffer = std::vector<float>;

// A pool that charges its account and counts the buffers out.
class CountingPool {
 public:
  Buffer take(std::size_t floats, MemoryCategory category) {
    account_.allocate(category, floats * sizeof(float));
    ++out_;
    return Buffer(floats, 1.0f);
  }
  void give(Buffer& buffer, MemoryCategory category) {
    if (buffer.empty()) return;
    account_.release(category, buffer.size() * sizeof(float));
    --out_;
    buffer = {};
  }
  void adopt(const Buffer& buffer, MemoryCategory category) {
    account_.allocate(category, buffer.size() * sizeof(float));
  }
  void disown(const Buffer& buffer, MemoryCategory category) {
    account_.release(category, buffer.size() * sizeof(float));
  }
  MemoryAccount& account() { return account_; }
  int out() const { return out_; }

 private:
  MemoryAccount account_;
  int out_ = 0;
};

// A stage of two layers: input 3 wide, hidden 5, output 2; 4 rows per micro-batch.
const std::vector<std::uint32_t> kWidths = {3, 5, 2};
constexpr std::uint32_t kRows = 4;

void copy(Buffer& target, const Buffer& source) { target = source; }

std::string error_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const Error& error) {
    return error.what();
  }
  return "no error";
}

TEST(MicrobatchStash, ALossStageHoldsItsOutputsThenItsGradientsThenNothing) {
  CountingPool pool;
  MicrobatchStashes<Buffer> stashes;
  MicrobatchStash<Buffer>& stash = stashes.find_or_open(7, 2);
  stash.take_outputs(kWidths, kRows, false, pool);
  stash.stash_forward(pool);
  // F: outputs of 4·5 and 4·2 floats.
  EXPECT_EQ(pool.account().current_bytes(MemoryCategory::Activations), (20u + 8u) * 4);
  EXPECT_EQ(pool.account().live_activations(), 1u);

  stash.take_gradients(kWidths, kRows, true, true, pool);
  // The probabilities became the output gradient in place; the hidden layer's gradient
  // was taken; the first stage has no input gradient.
  EXPECT_EQ(pool.account().current_bytes(MemoryCategory::Activations), 20u * 4);
  EXPECT_EQ(pool.account().current_bytes(MemoryCategory::ActivationGradients), (8u + 20u) * 4);
  EXPECT_TRUE(stash.outputs.back().empty());
  EXPECT_TRUE(stash.input_grad.empty());
  stash.finish_backward_input(pool);

  stash.check_backward_weight();
  stash.finish_backward_weight(pool);
  stashes.close_if_done(stash);
  EXPECT_EQ(pool.account().current_bytes(), 0u);
  EXPECT_EQ(pool.account().live_activations(), 0u);
  EXPECT_EQ(pool.out(), 0);
  EXPECT_EQ(stashes.find(7), nullptr);
}

TEST(MicrobatchStash, AMiddleStageKeepsItsInputGradientUntilSent) {
  CountingPool pool;
  MicrobatchStashes<Buffer> stashes;
  Buffer& input = stashes.message_target(0, 2, false);
  input = Buffer(kRows * 3, 0.5f);
  pool.adopt(input, MemoryCategory::Activations);
  MicrobatchStash<Buffer>& stash = stashes.find_or_open(0, 2);
  stash.take_outputs(kWidths, kRows, true, pool);
  stash.stash_forward(pool);
  const Buffer activation = stashes.message_to_send(0, false, pool, copy);
  EXPECT_EQ(activation, stash.outputs.back());  // a copy, out of the account
  EXPECT_EQ(pool.account().current_bytes(MemoryCategory::Activations), (12u + 20u + 8u) * 4);
  Buffer& gradient = stashes.message_target(0, 2, true);
  gradient = Buffer(kRows * 2, 0.25f);
  pool.adopt(gradient, MemoryCategory::ActivationGradients);
  stash.take_gradients(kWidths, kRows, false, false, pool);
  EXPECT_EQ(stash.input_grad.size(), kRows * 3);
  stash.finish_backward_input(pool);
  stash.finish_backward_weight(pool);
  stashes.close_if_done(stash);
  ASSERT_NE(stashes.find(0), nullptr) << "closed before its input gradient left";
  const Buffer sent = stashes.message_to_send(0, true, pool, copy);
  EXPECT_EQ(sent.size(), kRows * 3);
  EXPECT_EQ(stashes.find(0), nullptr);
  EXPECT_EQ(pool.account().current_bytes(), 0u);
}

TEST(MicrobatchStash, OpsOutOfOrderAreNamed) {
  CountingPool pool;
  MicrobatchStashes<Buffer> stashes;
  MicrobatchStash<Buffer>& stash = stashes.find_or_open(1, 2);
  EXPECT_EQ(error_of([&] { stash.take_outputs(kWidths, kRows, true, pool); }),
            "the stage input has not arrived (is a RecvActivation missing?)");
  EXPECT_EQ(error_of([&] { stashes.forwarded(1, "backward-input"); }),
            "no stashed forward activations of this micro-batch for its backward-input");
  EXPECT_EQ(error_of([&] { stashes.message_target(1, 2, true); }),
            "the gradient arrived for a micro-batch whose forward this stage has not stashed");
  EXPECT_EQ(error_of([&] { stashes.message_to_send(1, false, pool, copy); }),
            "no forward output of this micro-batch to send (has its forward run?)");
  stash.take_outputs(kWidths, kRows, false, pool);
  stash.stash_forward(pool);
  EXPECT_EQ(error_of([&] { stash.take_outputs(kWidths, kRows, false, pool); }),
            "a second forward of the same micro-batch");
  EXPECT_EQ(error_of([&] { stash.check_backward_weight(); }),
            "backward-weight before the backward-input of its micro-batch");
  EXPECT_EQ(error_of([&] { stash.take_gradients(kWidths, kRows, false, true, pool); }),
            "the gradient of the stage output has not arrived (is a RecvGrad missing?)");
  EXPECT_EQ(error_of([&] { stashes.message_to_send(1, true, pool, copy); }),
            "no input gradient of this micro-batch to send (has its backward run?)");
  EXPECT_EQ(error_of([&] { stash.hand_input_grad_to(nullptr); }),
            "the previous stage has no stashed forward of this micro-batch");
  stashes.message_target(2, 2, false) = Buffer(1);
  EXPECT_EQ(error_of([&] { stashes.message_target(2, 2, false); }),
            "a second message for the same micro-batch");
}

TEST(MicrobatchStash, ReleasingAllGivesBackWhatAStoppedRunHeld) {
  CountingPool pool;
  MicrobatchStashes<Buffer> stashes;
  for (std::uint64_t g = 0; g < 3; ++g) {
    MicrobatchStash<Buffer>& stash = stashes.find_or_open(g, 2);
    stash.take_outputs(kWidths, kRows, false, pool);
    stash.stash_forward(pool);
  }
  EXPECT_EQ(pool.account().live_activations(), 3u);
  stashes.release_all(pool);
  EXPECT_EQ(pool.out(), 0);
  EXPECT_EQ(pool.account().current_bytes(), 0u);
  EXPECT_EQ(pool.account().live_activations(), 0u);
  EXPECT_EQ(stashes.find(1), nullptr);
}

}  // namespace
}  // namespace pipewise::exec
