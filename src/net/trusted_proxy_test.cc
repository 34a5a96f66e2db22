// Load balancers' client headers (net/trusted_proxy.h).
#include "net/trusted_proxy.h"

#include <gtest/gtest.h>

namespace stepup {
namespace {

boost::asio::ip::address Ip(const char* s) { return boost::asio::ip::make_address(s); }

TEST(TrustedProxy, RangesParseAndMatchBothFamilies) {
  auto lan = ParseAddressRange("10.0.0.0/8");
  ASSERT_TRUE(lan.ok());
  auto one = ParseAddressRange("127.0.0.1");
  ASSERT_TRUE(one.ok());
  auto v6 = ParseAddressRange("fd00::/8");
  ASSERT_TRUE(v6.ok());
  const std::vector<AddressRange> r = {*lan, *one, *v6};
  EXPECT_TRUE(InRanges(Ip("10.200.3.4"), r));
  EXPECT_TRUE(InRanges(Ip("::ffff:10.1.1.1"), r));  // a dual-stack listener's IPv4 peer
  EXPECT_TRUE(InRanges(Ip("127.0.0.1"), r));
  EXPECT_FALSE(InRanges(Ip("127.0.0.2"), r));
  EXPECT_FALSE(InRanges(Ip("11.0.0.1"), r));
  EXPECT_TRUE(InRanges(Ip("fd12::1"), r));
  EXPECT_FALSE(InRanges(Ip("fe80::1"), r));
  EXPECT_FALSE(InRanges(Ip("::a00:1"), r));  // ::10.0.0.1 is not 10.0.0.1
  for (const char* bad : {"10.0.0.0/33", "10.0.0.0/", "10.0.0/8", "fd00::/129", "host", "1.2.3.4/x"}) {
    auto p = ParseAddressRange(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_NE(p.error().message.find(bad), std::string::npos) << p.error().message;
  }
}

TEST(TrustedProxy, TheClientIsTheRealIpElseTheLastUntrustedForwardedAddress) {
  const std::vector<AddressRange> ours = {*ParseAddressRange("10.0.0.0/8")};
  std::string bad;
  EXPECT_EQ(RelayedClient("192.0.2.7", "198.51.100.1", ours, bad), "192.0.2.7");
  EXPECT_EQ(RelayedClient("", "198.51.100.1, 192.0.2.9, 10.0.0.5", ours, bad), "192.0.2.9");
  EXPECT_EQ(RelayedClient("", "10.0.0.9,10.0.0.5", ours, bad), "10.0.0.9");
  EXPECT_EQ(RelayedClient("::ffff:192.0.2.7", "", ours, bad), "192.0.2.7");
  EXPECT_EQ(RelayedClient("[2001:db8::1]", "", ours, bad), "2001:db8::1");
  EXPECT_EQ(RelayedClient("", "", ours, bad), std::nullopt);
  EXPECT_TRUE(bad.empty());
  EXPECT_EQ(RelayedClient("phone", "", ours, bad), std::nullopt);
  EXPECT_EQ(bad, "X-Real-IP \"phone\"");
  EXPECT_EQ(RelayedClient("", "192.0.2.1, unknown", ours, bad), std::nullopt);
  EXPECT_EQ(bad, "X-Forwarded-For \"192.0.2.1, unknown\"");
}

}  // namespace
}  // namespace stepup
