#include "net/listen_address.h"

#include <gtest/gtest.h>

namespace stepup {
namespace {

// "address port", or "error: message".
std::string Parse(const std::string& value) {
  auto r = ParseListenAddress("--http", value);
  if (!r) return "error: " + r.error().message;
  return r->first + " " + std::to_string(r->second);
}

TEST(ListenAddress, Ipv4AndPort) {
  EXPECT_EQ(Parse("127.0.0.1:8069"), "127.0.0.1 8069");
  EXPECT_EQ(Parse("0.0.0.0:69"), "0.0.0.0 69");
}

TEST(ListenAddress, BracketedIpv6AndPort) {
  EXPECT_EQ(Parse("[::1]:8069"), "::1 8069");
  EXPECT_EQ(Parse("[::]:6970"), ":: 6970");
  EXPECT_EQ(Parse("[fe80::1]:80"), "fe80::1 80");
}

TEST(ListenAddress, NoAddressMeansLoopback) { EXPECT_EQ(Parse(":8069"), "127.0.0.1 8069"); }

TEST(ListenAddress, PortRange) {
  EXPECT_EQ(Parse("127.0.0.1:0"), "127.0.0.1 0");  // any free port (tests, scripts)
  EXPECT_EQ(Parse("127.0.0.1:65535"), "127.0.0.1 65535");
  EXPECT_EQ(Parse("127.0.0.1:00080"), "127.0.0.1 80");
  for (const char* bad :
       {"127.0.0.1:65536", "127.0.0.1:99999", "127.0.0.1:123456", "127.0.0.1:-1", "127.0.0.1:+80",
        "127.0.0.1: 80", "127.0.0.1:80 ", "127.0.0.1:8o", "127.0.0.1:\xb9\xb9", "[::1]:65536"}) {
    EXPECT_NE(Parse(bad).find("error: --http \"" + std::string(bad) + "\": bad port"),
              std::string::npos)
        << bad;
  }
}

TEST(ListenAddress, MissingPortIsRefusedNamingTheValue) {
  for (const char* bad :
       {"127.0.0.1", "127.0.0.1:", "[::1]", "[::1]:", "[::1]8069", "", "localhost"}) {
    const std::string got = Parse(bad);
    EXPECT_EQ(got.rfind("error: --http \"" + std::string(bad) + "\"", 0), 0u) << bad << ": " << got;
  }
}

TEST(ListenAddress, UnbracketedIpv6IsRefused) {
  // "::1:8069" reads as ::1 port 8069 or as the address ::1:8069 with no port.
  EXPECT_NE(Parse("::1:8069").find("[ADDRESS]:PORT"), std::string::npos);
  EXPECT_NE(Parse(":::8069").find("[ADDRESS]:PORT"), std::string::npos);
}

TEST(ListenAddress, BracketsHoldOnlyIpv6) {
  EXPECT_NE(Parse("[127.0.0.1]:80").find("is not an IPv6 address"), std::string::npos);
  EXPECT_NE(Parse("[]:80").find("is not an IPv6 address"), std::string::npos);
  EXPECT_NE(Parse("[::1:80").find("is not [ADDRESS]:PORT"), std::string::npos);
}

TEST(ListenAddress, HostNamesAndGarbageAreNotAddresses) {
  EXPECT_NE(Parse("localhost:80").find("\"localhost\" is not an IP address"), std::string::npos);
  EXPECT_NE(Parse("256.0.0.1:80").find("is not an IP address"), std::string::npos);
  EXPECT_NE(Parse("[::g]:80").find("is not an IP address"), std::string::npos);
}

TEST(ListenAddress, LoopbackIsTheWholeOf127AndTheIpv6One) {
  for (const char* a : {"127.0.0.1", "127.3.2.1", "::1", "::ffff:127.0.0.1"})
    EXPECT_TRUE(IsLoopbackAddress(a)) << a;
  for (const char* a : {"0.0.0.0", "::", "10.0.0.1", "192.168.1.2", "::ffff:10.0.0.1", "fe80::1",
                        "localhost", ""})
    EXPECT_FALSE(IsLoopbackAddress(a)) << a;
}

}  // namespace
}  // namespace stepup
