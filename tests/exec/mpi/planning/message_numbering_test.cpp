// Stage-to-stage messages get MPI tags of their own, above the control tags.
#include <gtest/gtest.h>

#include <set>

#include "exec/mpi/planning/message_numbering.hpp"

namespace pipewise::exec::mpi {
namespace {

TEST(MessageNumbering, EveryMessageOfARunHasATagOfItsOwnAboveTheControlTags) {
  const MessageNumbering numbering{4, 3};  // 4 stages, 3 micro-batches
  std::set<std::uint64_t> tags;
  std::size_t messages = 0;
  for (std::uint32_t iteration = 0; iteration < 2; ++iteration) {
    for (std::uint32_t microbatch = 0; microbatch < 3; ++microbatch) {
      for (std::uint32_t stage = 0; stage < 4; ++stage) {
        for (const bool gradient : {false, true}) {
          const std::uint64_t tag = numbering.tag(gradient, stage, microbatch, iteration);
          EXPECT_GE(tag, kFirstMessageTag);
          EXPECT_LE(tag, numbering.last_tag(2));
          tags.insert(tag);
          ++messages;
        }
      }
    }
  }
  EXPECT_EQ(tags.size(), messages);
  EXPECT_LT(static_cast<std::uint64_t>(ControlTag::Profile), kFirstMessageTag);
  // 2 iterations x 3 micro-batches x 4 stages x 2 kinds, counted from kFirstMessageTag.
  EXPECT_EQ(numbering.last_tag(2), kFirstMessageTag + 2 * 3 * 4 * 2 - 1);
}

TEST(MessageNumbering, ARunWhoseTagsPassTheLimitIsRefusedWithTheNumbers) {
  const MessageNumbering numbering{8, 1000};
  EXPECT_TRUE(check_tags_fit(numbering, 100, 2147483647).ok());
  EXPECT_EQ(check_tags_fit(numbering, 100, 32767).reason(),
            "a run of 8 stages, 1000 micro-batches and 100 iterations needs MPI tags up to "
            "1600015, past this MPI's limit of 32767");
}

}  // namespace
}  // namespace pipewise::exec::mpi
