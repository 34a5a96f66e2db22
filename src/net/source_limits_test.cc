#include "net/source_limits.h"

#include <gtest/gtest.h>

namespace stepup {
namespace {

TEST(SourceLimits, TheMostSpecificNetworkDecidesElseTheDefault) {
  SourceLimits l({2000, 1000});
  ASSERT_TRUE(l.Add("10.0.0.0/8=4000,2000"));
  ASSERT_TRUE(l.Add("10.1.2.3/32=20,10"));
  ASSERT_TRUE(l.Add("192.168.7.9/24=50,25"));  // host bits ignored: 192.168.7.0/24
  ASSERT_TRUE(l.Add("2001:db8::/32=500,100"));
  EXPECT_EQ(l.For("10.9.9.9").transfers, 4000u);
  EXPECT_EQ(l.For("10.9.9.9").rate, 2000u);
  EXPECT_EQ(l.For("10.1.2.3").transfers, 20u);
  EXPECT_EQ(l.For("192.168.7.200").rate, 25u);
  EXPECT_EQ(l.For("192.168.8.1").transfers, 2000u);
  EXPECT_EQ(l.For("2001:db8:1::5").transfers, 500u);
  EXPECT_EQ(l.For("2001:db9::5").rate, 1000u);
  EXPECT_EQ(l.For("11.0.0.1").transfers, 2000u);
  ASSERT_TRUE(l.Add("10.0.0.0/8=1,1"));  // the same network again replaces its rule
  EXPECT_EQ(l.For("10.9.9.9").transfers, 1u);
}

TEST(SourceLimits, BadRulesAreRefusedNamingTheRule) {
  SourceLimits l;
  for (const char* bad : {"10.0.0.0/8", "10.0.0.0=5,5", "10.0.0.0/33=5,5", "nonsense/8=5,5",
                          "10.0.0.0/8=0,5", "10.0.0.0/8=5,", "10.0.0.0/8=5,x", "::/129=1,1"}) {
    auto s = l.Add(bad);
    ASSERT_FALSE(s) << bad;
    EXPECT_NE(s.error().message.find(bad), std::string::npos) << s.error().message;
  }
}

}  // namespace
}  // namespace stepup
