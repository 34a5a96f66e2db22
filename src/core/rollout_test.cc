#include "core/rollout.h"

#include <gtest/gtest.h>

namespace stepup {
namespace {

int64_t UtcAt(int h, int m) { return (int64_t{20000} * 86400 + h * 3600 + m * 60) * 1000; }

TEST(RolloutWindow, ParsesAndContainsTimesIncludingOnesThatWrapPastMidnight) {
  auto day = ParseWindow("09:30-17:00");
  ASSERT_TRUE(day.ok());
  EXPECT_FALSE(day->Contains(UtcAt(9, 29)));
  EXPECT_TRUE(day->Contains(UtcAt(9, 30)));
  EXPECT_TRUE(day->Contains(UtcAt(16, 59)));
  EXPECT_FALSE(day->Contains(UtcAt(17, 0)));
  auto night = ParseWindow("22:00-05:00");
  ASSERT_TRUE(night.ok());
  EXPECT_TRUE(night->Contains(UtcAt(23, 0)));
  EXPECT_TRUE(night->Contains(UtcAt(0, 0)));
  EXPECT_TRUE(night->Contains(UtcAt(4, 59)));
  EXPECT_FALSE(night->Contains(UtcAt(5, 0)));
  EXPECT_FALSE(night->Contains(UtcAt(12, 0)));
}

TEST(RolloutWindow, RefusesWhatIsNotAWindowNamingIt) {
  for (const char* bad : {"", "22:00", "24:00-01:00", "22:60-01:00", "2200-0100", "a:bc-01:00",
                          "22:00-22:00", "22:00-01:00-02:00", "+1:00-02:00"}) {
    auto w = ParseWindow(bad);
    ASSERT_FALSE(w.ok()) << bad;
    EXPECT_EQ(w.error().kind, ErrorKind::kBadInput);
    EXPECT_NE(w.error().message.find("\"" + std::string(bad) + "\""), std::string::npos)
        << w.error().message;
  }
}

TEST(RolloutGroupName, AllowsPlainNamesOnly) {
  EXPECT_TRUE(CheckGroupName("site-a_floor.2").ok());
  for (const char* bad : {"", "a b", "a/b", "x\n", "ü"}) EXPECT_FALSE(CheckGroupName(bad).ok()) << bad;
  EXPECT_FALSE(CheckGroupName(std::string(65, 'a')).ok());
}

TEST(RolloutFor, TheGroupsTargetAppliesToDevicesWithoutOneOfTheirOwn) {
  Device d;
  d.settings[kGroupSetting] = "pilot";
  RolloutGroup g{.name = "pilot", .target = "7.5.2b"};
  EXPECT_EQ(RolloutFor(d, &g, UtcAt(12, 0)).target, "7.5.2b");  // its own is "latest"
  EXPECT_EQ(RolloutFor(d, &g, UtcAt(12, 0), /*group_target_fits=*/false).target, "latest");
  d.target = "7.6.1";  // an operator's choice for this one device wins
  EXPECT_EQ(RolloutFor(d, &g, UtcAt(12, 0)).target, "7.6.1");
  EXPECT_EQ(RolloutFor(d, nullptr, UtcAt(12, 0)).target, "7.6.1");
  EXPECT_EQ(GroupOf(d), "pilot");
}

TEST(RolloutFor, APausedGroupOrAClosedWindowHoldsHopsBack) {
  Device d;
  RolloutGroup g{.name = "pilot", .window = "22:00-05:00"};
  EXPECT_NE(RolloutFor(d, &g, UtcAt(12, 0)).held.find("window 22:00-05:00"), std::string::npos);
  EXPECT_EQ(RolloutFor(d, &g, UtcAt(23, 0)).held, "");
  g.paused = true;
  EXPECT_EQ(RolloutFor(d, &g, UtcAt(23, 0)).held, "group pilot is paused");
  EXPECT_EQ(RolloutFor(d, nullptr, UtcAt(12, 0)).held, "");
}

}  // namespace
}  // namespace stepup
