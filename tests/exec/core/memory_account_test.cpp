// The per-device memory account: totals, per-category peaks, live activations and versions.
#include <gtest/gtest.h>

#include "common/ir/error.hpp"
#include "exec/core/memory_account.hpp"

namespace pipewise::exec {
namespace {

TEST(MemoryAccount, PeaksAreTheLargestValuesHeldAtOneTime) {
  MemoryAccount account;
  account.allocate(MemoryCategory::Weights, 100);
  account.allocate(MemoryCategory::Activations, 50);    // total 150
  account.release(MemoryCategory::Activations, 50);     // total 100
  account.allocate(MemoryCategory::ActivationGradients, 30);  // total 130
  account.allocate(MemoryCategory::Activations, 20);    // total 150 again, not more
  EXPECT_EQ(account.current_bytes(), 150u);
  EXPECT_EQ(account.peak_bytes(), 150u);
  EXPECT_EQ(account.peak_bytes(MemoryCategory::Activations), 50u);
  EXPECT_EQ(account.current_bytes(MemoryCategory::Activations), 20u);
  EXPECT_EQ(account.peak_bytes(MemoryCategory::ActivationGradients), 30u);
}

TEST(MemoryAccount, ReleasingMoreThanHeldIsAnError) {
  MemoryAccount account;
  account.allocate(MemoryCategory::Weights, 10);
  EXPECT_THROW(account.release(MemoryCategory::Weights, 11), Error);
  EXPECT_THROW(account.activation_stash_closed(), Error);
}

TEST(MemoryAccount, CountsLiveActivationStashesAndWeightVersions) {
  MemoryAccount account;
  account.activation_stash_opened();
  account.activation_stash_opened();
  account.activation_stash_closed();
  account.activation_stash_opened();
  account.activation_stash_opened();  // 3 open
  account.activation_stash_closed();
  EXPECT_EQ(account.live_activations(), 2u);
  EXPECT_EQ(account.peak_live_activations(), 3u);
  account.weight_versions_held(1);
  account.weight_versions_held(3);
  account.weight_versions_held(2);
  EXPECT_EQ(account.peak_weight_versions(), 3u);
}

TEST(MemoryAccount, ResetStartsANewMeasurementFromTheCurrentHoldings) {
  MemoryAccount account;
  account.allocate(MemoryCategory::Weights, 100);
  account.allocate(MemoryCategory::Activations, 400);
  account.release(MemoryCategory::Activations, 400);
  account.reset_peaks();
  EXPECT_EQ(account.peak_bytes(), 100u);
  EXPECT_EQ(account.peak_bytes(MemoryCategory::Activations), 0u);
  EXPECT_EQ(account.peak_weight_versions(), 0u);
}

}  // namespace
}  // namespace pipewise::exec
