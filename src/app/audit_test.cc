#include "app/audit.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/bundled_catalog_fixture.h"

namespace stepup {
namespace {

constexpr int64_t kNow = 1704067200;  // 2024-01-01: the AddTrust roots expired in 2020

class AuditTest : public testing::BundledCatalogTest {
 protected:
  // A device with none of the weaknesses: strong password, SIP over TLS with SRTP, ports in
  // the dynamic range (the default), MPP firmware after the releases seed 002 tested.
  static Device Clean() {
    Device d;
    d.id = 1;
    d.mac = "00562b043615";
    d.model = "CP-8841-3PCC";
    d.firmware = "sip88xx.12-0-7MPP0201-66";
    d.settings = {{"admin_password", "Xq7vLp2Rt9KmWz4B"},
                  {"sip_password", "s3cret-line"},
                  {"sip_transport", "tls"},
                  {"srtp", "yes"}};
    return d;
  }
  static Event Sent(const std::string& transport, const std::string& detail) {
    Event e;
    e.time = kNow * 1000;
    e.kind = "secrets-sent";
    e.transport = transport;
    e.detail = detail;
    return e;
  }
  static std::vector<std::string> Ids(const Device& d, const std::vector<Event>& events = {},
                                      Settings defaults = {}) {
    AuditSetup s;
    s.catalog = cat_;
    s.now = kNow;
    s.defaults = std::move(defaults);
    std::vector<std::string> ids;
    for (const auto& f : AuditDevice(s, d, events).findings) {
      EXPECT_TRUE(f.severity == "high" || f.severity == "medium" || f.severity == "low") << f.id;
      EXPECT_FALSE(f.detail.empty()) << f.id;
      EXPECT_FALSE(f.fix.empty()) << f.id;
      ids.push_back(f.id);
    }
    return ids;
  }
  using Ids_ = std::vector<std::string>;
};

TEST_F(AuditTest, AdvisoryFindingNamesTheAdvisoryItsSourceAndTheFix) {
  Device d = Clean();
  d.model = "SPA504G";
  d.firmware = "7.3.7";
  AuditSetup s;
  s.catalog = cat_;
  s.now = kNow;
  auto findings = AuditDevice(s, d, {}).findings;
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, "high");
  EXPECT_NE(findings[0].detail.find("7.3.7 is affected by cisco-sa-spa-http-vulns-RJZmX2Xz"),
            std::string::npos)
      << findings[0].detail;
  EXPECT_NE(findings[0].detail.find("every release; secondary"), std::string::npos);
  EXPECT_NE(findings[0].fix.find("web_server=no"), std::string::npos);
  // Another family, another firmware: nothing.
  d.model = "SPA112";
  d.firmware = "1.4.1";
  EXPECT_TRUE(AuditDevice(s, d, {}).findings.empty());
}

TEST_F(AuditTest, CleanDeviceHasNoFindings) {
  EXPECT_EQ(Ids(Clean(), {Sent("https", "admin_password, sip_password over https (TLSv1.3)")}),
            Ids_{});
}

// One device per planted weakness: each is reported with its id, and nothing else.
TEST_F(AuditTest, EachPlantedWeaknessIsReportedAlone) {
  struct Case {
    std::string name;
    Device device;
    std::vector<Event> events;
    Settings defaults;
    Ids_ want;
  };
  std::vector<Case> cases;
  for (const char* pw : {"", "admin", "Cisco", "password", "1234"}) {
    Device d = Clean();
    d.settings["admin_password"] = pw;
    cases.push_back({std::string("password \"") + pw + "\"", d, {}, {}, {"admin-password-weak"}});
  }
  {  // no password of its own, a well-known one in defaults.toml
    Device d = Clean();
    d.settings.erase("admin_password");
    cases.push_back({"default password", d, {}, {{"admin_password", "admin"}},
                     {"admin-password-weak"}});
  }
  cases.push_back({"plain http", Clean(),
                   {Sent("http", "admin_password, sip_password over http (plain: readable on the "
                                 "network)")},
                   {},
                   {"secrets-plain"}});
  cases.push_back({"tftp", Clean(),
                   {Sent("tftp", "sip_password over tftp (plain: readable on the network)")},
                   {},
                   {"secrets-plain"}});
  cases.push_back({"TLS 1.0", Clean(),
                   {Sent("https", "admin_password over https (TLSv1)")}, {}, {"legacy-tls"}});
  cases.push_back({"TLS 1.1", Clean(),
                   {Sent("https", "admin_password over https (TLSv1.1)")}, {}, {"legacy-tls"}});
  {
    Device d = Clean();
    d.settings["sip_transport"] = "udp";
    d.settings["srtp"] = "no";  // SRTP over UDP would add padlock-without-tls
    cases.push_back({"udp", d, {}, {}, {"sip-without-tls", "no-srtp"}});
  }
  {
    Device d = Clean();
    d.settings["srtp"] = "no";
    cases.push_back({"no srtp", d, {}, {}, {"no-srtp"}});
  }
  {
    Device d = Clean();
    d.settings["sip_transport"] = "tcp";
    cases.push_back({"srtp over tcp", d, {}, {}, {"sip-without-tls", "padlock-without-tls"}});
  }
  {
    Device d = Clean();
    d.settings.erase("sip_transport");  // the built-in default, udp
    cases.push_back({"default transport", d, {}, {}, {"sip-without-tls", "padlock-without-tls"}});
  }
  {
    Device d = Clean();
    d.settings["sip_tcp_port_min"] = "5060";
    cases.push_back({"ports", d, {}, {}, {"ports-not-random"}});
  }
  cases.push_back({"ports from defaults", Clean(), {}, {{"sip_tcp_port_min", "5060"}},
                   {"ports-not-random"}});
  {
    Device d = Clean();
    d.firmware = "sip88xx.11-3-1MSR3-3";
    cases.push_back({"seed 002 firmware", d, {}, {}, {"digest-algorithm-choice"}});
  }
  {  // every SPA500 release: cisco-sa-spa-http-vulns-RJZmX2Xz (catalog [[advisory]])
    Device d = Clean();
    d.mac = "58bfea1104e6";
    d.model = "SPA504G";
    d.firmware = "7.6.2g";
    cases.push_back({"SPA500 advisory", d, {}, {}, {"firmware-advisory"}});
  }
  {  // an enterprise 8841 on 12.7(1)SR1 still ships the AddTrust roots (seed 004)
    Device d;
    d.id = 2;
    d.mac = "0002fdff2104";
    d.model = "CP-8841";
    d.firmware = "sip88xx.12-7-1-0101-415";
    d.settings = {{"admin_password", "Xq7vLp2Rt9KmWz4B"}};
    cases.push_back({"trust store", d, {}, {}, {"trust-store-expired", "trust-store-expired"}});
  }
  {  // an enterprise 7945G set to MPP: not a 3PCC SKU, no migration listed
    Device d;
    d.id = 3;
    d.mac = "0002fdff2105";
    d.model = "CP-7945G";
    d.protocol = "mpp";
    d.settings = {{"admin_password", "Xq7vLp2Rt9KmWz4B"}};
    cases.push_back({"mpp on enterprise hardware", d, {}, {}, {"mpp-ineligible-hardware"}});
  }
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Ids_ got = Ids(c.device, c.events, c.defaults);
    if (c.name == "trust store") {  // one finding per expired root the running release ships
      ASSERT_FALSE(got.empty());
      for (const auto& id : got) EXPECT_EQ(id, "trust-store-expired");
      continue;
    }
    EXPECT_EQ(got, c.want);
  }
}

TEST_F(AuditTest, MigrationListedModelOnMppIsNotFlagged) {
  Device d = Clean();
  d.model = "CP-8841";
  d.firmware.clear();
  d.protocol = "mpp";
  EXPECT_EQ(Ids(d), Ids_{});
}

TEST_F(AuditTest, JsonHasTheContractShapeAndTotals) {
  AuditSetup s;
  s.catalog = cat_;
  s.now = kNow;
  Device weak = Clean();
  weak.mac = "00562b043616";
  weak.settings["admin_password"] = "cisco";
  std::vector<DeviceAudit> audits = {
      AuditDevice(s, Clean(), {}),
      AuditDevice(s, weak, {Sent("http", "admin_password over http (plain: readable on the network)")})};
  auto j = nlohmann::json::parse(AuditJson(audits));
  ASSERT_EQ(j["devices"].size(), 2u);
  EXPECT_EQ(j["devices"][0]["mac"], "00562b043615");
  EXPECT_EQ(j["devices"][0]["model"], "CP-8841-3PCC");
  EXPECT_TRUE(j["devices"][0]["findings"].empty());
  const auto& f = j["devices"][1]["findings"];
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0]["id"], "admin-password-weak");
  EXPECT_EQ(f[0]["severity"], "high");
  EXPECT_NE(f[0]["detail"].get<std::string>().find("cisco"), std::string::npos);
  EXPECT_NE(f[0]["fix"].get<std::string>().find("stepup device set 00562b043616"),
            std::string::npos);
  EXPECT_EQ(f[1]["id"], "secrets-plain");
  EXPECT_EQ(j["totals"]["devices"], 2);
  EXPECT_EQ(j["totals"]["devices_with_findings"], 1);
  EXPECT_EQ(j["totals"]["findings"], 2);
  EXPECT_EQ(j["totals"]["by_severity"]["high"], 2);
  EXPECT_EQ(j["totals"]["by_severity"]["low"], 0);
  EXPECT_EQ(j["totals"]["by_id"]["secrets-plain"], 1);
  std::string table = AuditTable(audits);
  EXPECT_NE(table.find("admin-password-weak"), std::string::npos);
  EXPECT_NE(table.find("2 device(s), 1 with findings: 2 high, 0 medium, 0 low"), std::string::npos);
}

}  // namespace
}  // namespace stepup
