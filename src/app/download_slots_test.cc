#include "app/download_slots.h"

#include <gtest/gtest.h>

namespace stepup {
namespace {

TEST(DownloadSlots, CapsPhonesKeepsEachOnesSlotAndExpiresTheSilent) {
  DownloadSlots slots(2, /*hold_ms=*/1000);
  EXPECT_TRUE(slots.Take(1, 0));
  EXPECT_TRUE(slots.Take(2, 0));
  EXPECT_FALSE(slots.Take(3, 10));  // full
  EXPECT_TRUE(slots.Take(1, 500));  // its own slot, refreshed to 1500
  slots.Release(2);
  EXPECT_TRUE(slots.Take(3, 600));
  EXPECT_FALSE(slots.Take(4, 900));
  EXPECT_EQ(slots.Held(900), 2u);
  EXPECT_TRUE(slots.Take(4, 1600));  // 1 and 3 expired (1500, 1600)
  EXPECT_EQ(slots.Held(1600), 1u);
  DownloadSlots none;  // no cap
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(none.Take(i, 0));
}

}  // namespace
}  // namespace stepup

namespace stepup {
namespace {

TEST(DownloadSlots, ADownloadingPhoneKeepsItsSlotPastTheHoldTime) {
  DownloadSlots slots(1, 1000);
  ASSERT_TRUE(slots.Take(1, 0));
  slots.Refresh(1, 900);             // a file request at 0.9 s
  EXPECT_FALSE(slots.Take(2, 1500));  // would have expired at 1 s without it
  slots.Refresh(2, 1500);            // refreshing a slot it does not hold gives it none
  EXPECT_FALSE(slots.Take(2, 1800));
  EXPECT_TRUE(slots.Take(2, 1901));  // 1 s after the last sign of life
}

}  // namespace
}  // namespace stepup
