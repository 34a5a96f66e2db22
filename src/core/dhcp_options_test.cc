#include "core/dhcp_options.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace stepup {
namespace {

DhcpOptions DhcpTwoServers() {
  auto o = MakeDhcpOptions({"192.0.2.10", "192.0.2.11"}, "");
  EXPECT_TRUE(o.ok()) << o.error().message;
  return o.ok() ? o.value() : DhcpOptions{};
}

const nlohmann::json* DhcpFindCode(const nlohmann::json& list, int code) {
  for (const auto& e : list) {
    if (e.value("code", 0) == code) return &e;
  }
  return nullptr;
}

TEST(DhcpOptions, DefaultsToTheFirstTftpAddressAndServesDefaultHttpPort) {
  DhcpOptions o = DhcpTwoServers();
  EXPECT_EQ(o.tftp_name, "192.0.2.10");
  EXPECT_EQ(o.tftp_addresses, (std::vector<std::string>{"192.0.2.10", "192.0.2.11"}));
  EXPECT_EQ(o.provisioning_url, "http://192.0.2.10:8069/cfg/$MA.xml?sn=$SN&sw=$SWVER&p=$P");
  EXPECT_TRUE(o.warnings.empty());
}

TEST(DhcpOptions, UrlGivesOption160AndTftpAddressWhenItIsIpv4) {
  auto o = MakeDhcpOptions({}, "https://192.0.2.20:8443/");
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->tftp_addresses, std::vector<std::string>{"192.0.2.20"});
  EXPECT_EQ(o->provisioning_url, "https://192.0.2.20:8443/cfg/$MA.xml?sn=$SN&sw=$SWVER&p=$P");
  auto named = MakeDhcpOptions({}, "https://prov.example.net");
  ASSERT_FALSE(named.ok());
  EXPECT_NE(named.error().message.find("--tftp"), std::string::npos);
}

TEST(DhcpOptions, BadValuesAreNamed) {
  for (const auto& [tftp, url, named] :
       std::vector<std::tuple<std::vector<std::string>, std::string, std::string>>{
           {{"192.0.2.300"}, "", "192.0.2.300"},
           {{"2001:db8::1"}, "", "2001:db8::1"},
           {{"prov.example.net"}, "", "prov.example.net"},
           {{"127.0.0.1"}, "", "127.0.0.1"},
           {{"192.0.2.1:99999"}, "", "192.0.2.1:99999"},
           {{"192.0.2.1"}, "ftp://192.0.2.1/", "ftp://192.0.2.1"},
           {{"192.0.2.1"}, "http://192.0.2.1/a b", "a b"},
           {{"192.0.2.1"}, "http://192.0.2.1/x,y", "x,y"},
           {{}, "", "--tftp"}}) {
    auto o = MakeDhcpOptions(tftp, url);
    ASSERT_FALSE(o.ok()) << named;
    EXPECT_EQ(o.error().kind, ErrorKind::kBadInput);
    EXPECT_NE(o.error().message.find(named), std::string::npos) << o.error().message;
  }
}

TEST(DhcpOptions, ATftpPortOtherThan69IsAWarning) {
  auto o = MakeDhcpOptions({"192.0.2.10:6969"}, "");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->tftp_addresses, std::vector<std::string>{"192.0.2.10"});
  ASSERT_EQ(o->warnings.size(), 1u);
  EXPECT_NE(o->warnings[0].find("port 69"), std::string::npos);
}

TEST(DhcpOptions, Ipv4Parsing) {
  for (const char* ok : {"0.0.0.0", "192.0.2.1", "255.255.255.255", "10.1.2.3"}) {
    EXPECT_TRUE(IsIpv4(ok)) << ok;
  }
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "1.2.3.256", "01.2.3.4", "1..3.4", "a.b.c.d",
                          "1.2.3.4.", ".1.2.3", "1.2.3.-4"}) {
    EXPECT_FALSE(IsIpv4(bad)) << bad;
  }
}

TEST(DhcpOptions, KeaDefinesOption150AsAnAddressArrayAndSetsAllThree) {
  auto j = nlohmann::json::parse(FormatDhcpOptions(DhcpTwoServers(), DhcpFormat::kKea));
  const auto& dhcp4 = j.at("Dhcp4");
  const nlohmann::json* def150 = DhcpFindCode(dhcp4.at("option-def"), 150);
  ASSERT_NE(def150, nullptr);
  EXPECT_EQ(def150->at("type"), "ipv4-address");
  EXPECT_EQ(def150->at("array"), true);
  EXPECT_EQ(def150->at("space"), "dhcp4");
  const nlohmann::json* def160 = DhcpFindCode(dhcp4.at("option-def"), 160);
  ASSERT_NE(def160, nullptr);
  EXPECT_EQ(def160->at("type"), "string");
  EXPECT_EQ(DhcpFindCode(dhcp4.at("option-def"), 66), nullptr);  // Kea's own definition
  const auto& data = dhcp4.at("option-data");
  ASSERT_EQ(data.size(), 3u);
  EXPECT_EQ(DhcpFindCode(data, 66)->at("data"), "192.0.2.10");
  EXPECT_EQ(DhcpFindCode(data, 66)->at("name"), "tftp-server-name");
  EXPECT_EQ(DhcpFindCode(data, 150)->at("data"), "192.0.2.10, 192.0.2.11");
  EXPECT_EQ(DhcpFindCode(data, 150)->at("name"), def150->at("name"));
  EXPECT_EQ(DhcpFindCode(data, 160)->at("data"),
            "http://192.0.2.10:8069/cfg/$MA.xml?sn=$SN&sw=$SWVER&p=$P");
}

TEST(DhcpOptions, IscDeclaresOptions150And160BeforeGivingValues) {
  const std::string isc = FormatDhcpOptions(DhcpTwoServers(), DhcpFormat::kIsc);
  const size_t decl = isc.find("option tftp-server-address code 150 = array of ip-address;\n");
  const size_t value = isc.find("option tftp-server-address 192.0.2.10, 192.0.2.11;\n");
  ASSERT_NE(decl, std::string::npos) << isc;
  ASSERT_NE(value, std::string::npos) << isc;
  EXPECT_LT(decl, value);
  EXPECT_NE(isc.find("option cisco-provisioning-url code 160 = text;\n"), std::string::npos);
  EXPECT_NE(isc.find("option tftp-server-name \"192.0.2.10\";\n"), std::string::npos);
  EXPECT_NE(isc.find("option cisco-provisioning-url \"http://192.0.2.10:8069/cfg/$MA.xml?"),
            std::string::npos);
}

TEST(DhcpOptions, DnsmasqLines) {
  const std::string d = FormatDhcpOptions(DhcpTwoServers(), DhcpFormat::kDnsmasq);
  EXPECT_NE(d.find("\ndhcp-option=66,\"192.0.2.10\"\n"), std::string::npos) << d;
  EXPECT_NE(d.find("\ndhcp-option=150,192.0.2.10,192.0.2.11\n"), std::string::npos) << d;
  EXPECT_NE(
      d.find("\ndhcp-option=160,\"http://192.0.2.10:8069/cfg/$MA.xml?sn=$SN&sw=$SWVER&p=$P\"\n"),
      std::string::npos)
      << d;
  EXPECT_FALSE(ParseDhcpFormat("windows").has_value());
  EXPECT_EQ(ParseDhcpFormat("dnsmasq"), DhcpFormat::kDnsmasq);
}

}  // namespace
}  // namespace stepup
