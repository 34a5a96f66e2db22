#include "app/probe_guard.h"

#include <gtest/gtest.h>

namespace stepup {
namespace {

constexpr int64_t kT0 = 1764028800000;

TEST(ProbeGuard, AnAddressIsAnsweredThenSlowedThenRefusedForAWhile) {
  ProbeLimits lim;
  lim.slow_after = 3;
  lim.block_after = 10;
  lim.step_delay_ms = 100;
  lim.max_delay_ms = 450;
  ProbeGuard g(lim);
  int64_t now = kT0, retry = 0;
  std::optional<ProbeGuard::Summary> summary;
  std::vector<int> delays;
  for (int i = 1; i <= 10; ++i) {
    ASSERT_FALSE(g.Refused("10.0.0.9", now, retry, summary)) << i;
    auto o = g.Failure("10.0.0.9", now);
    delays.push_back(o.delay_ms);
    EXPECT_EQ(o.record, i <= 3) << i;
    EXPECT_EQ(o.summary.has_value(), i == 10) << i;
    now += 10;
  }
  EXPECT_EQ(delays, (std::vector<int>{0, 0, 0, 100, 200, 300, 400, 450, 450, 450}));
  // Refused now, with the time left; another address is not.
  EXPECT_TRUE(g.Refused("10.0.0.9", now, retry, summary));
  EXPECT_EQ(retry, 600);
  EXPECT_FALSE(g.Refused("10.0.0.10", now, retry, summary));
  // Until the refusal ends: then a fresh start.
  EXPECT_FALSE(g.Refused("10.0.0.9", kT0 + 90 + lim.block_ms, retry, summary));
  EXPECT_EQ(g.Failure("10.0.0.9", kT0 + 100 + lim.block_ms).delay_ms, 0);
}

TEST(ProbeGuard, RefusedRequestsAreSummedUpAtPowersOfTwoAndEachMinute) {
  ProbeLimits lim;
  lim.slow_after = 1;
  lim.block_after = 2;
  ProbeGuard g(lim);
  int64_t now = kT0, retry = 0;
  g.Failure("::1", now);
  ASSERT_TRUE(g.Failure("::1", now).summary.has_value());
  std::vector<uint64_t> summed;
  for (int i = 1; i <= 1000; ++i) {
    std::optional<ProbeGuard::Summary> s;
    ASSERT_TRUE(g.Refused("::1", now, retry, s));
    if (s) summed.push_back(s->refused);
  }
  EXPECT_EQ(summed, (std::vector<uint64_t>{1, 2, 4, 8, 16, 32, 64, 128, 256, 512}));
  std::optional<ProbeGuard::Summary> s;
  ASSERT_TRUE(g.Refused("::1", now + 61000, retry, s));
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->refused, 1001u);
  EXPECT_EQ(s->failures, 2u);
}

TEST(ProbeGuard, FailuresOutsideTheWindowStartItAgain) {
  ProbeLimits lim;
  lim.slow_after = 2;
  lim.block_after = 4;
  ProbeGuard g(lim);
  for (int i = 0; i < 3; ++i) g.Failure("a", kT0);
  EXPECT_GT(g.Failure("a", kT0 + 1).delay_ms, 0);
  EXPECT_EQ(g.Failure("a", kT0 + lim.window_ms + 2).delay_ms, 0);
}

TEST(ProbeGuard, LackingProofIsRecordedUpToTheAllowanceButNeverSlowedOrCounted) {
  ProbeLimits lim;
  lim.slow_after = 2;
  lim.block_after = 3;
  ProbeGuard g(lim);
  int64_t retry = 0;
  std::optional<ProbeGuard::Summary> s;
  std::vector<bool> recorded;
  for (int i = 0; i < 10; ++i) {
    auto o = g.Lacking("b", kT0);
    EXPECT_EQ(o.delay_ms, 0);
    recorded.push_back(o.record);
  }
  EXPECT_EQ(recorded, (std::vector<bool>{true, true, false, false, false, false, false, false,
                                         false, false}));
  EXPECT_FALSE(g.Refused("b", kT0, retry, s));
}

TEST(ProbeGuard, OffCountsNothing) {
  ProbeLimits lim;
  lim.enabled = false;
  lim.block_after = 1;
  ProbeGuard g(lim);
  int64_t retry = 0;
  std::optional<ProbeGuard::Summary> s;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(g.Failure("c", kT0).delay_ms, 0);
  EXPECT_FALSE(g.Refused("c", kT0, retry, s));
}

TEST(ProbeGuard, ParsesItsFlag) {
  auto p = ParseProbeLimits("20,200,10");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.limits.slow_after, 20);
  EXPECT_EQ(p.limits.block_after, 200);
  EXPECT_EQ(p.limits.block_ms, 600000);
  EXPECT_FALSE(ParseProbeLimits("off").limits.enabled);
  for (const char* bad : {"", "20", "20,200", "200,20,10", "20,200,0", "a,b,c", "1,2,3,4", "-1,2,3"}) {
    auto b = ParseProbeLimits(bad);
    EXPECT_FALSE(b.ok) << bad;
    EXPECT_NE(b.error.find(std::string("\"") + bad + "\""), std::string::npos) << b.error;
  }
}

}  // namespace
}  // namespace stepup
