#include "core/phone_report.h"

#include <gtest/gtest.h>

#include "core/catalog_loader.h"

namespace stepup {
namespace {

const Catalog& Cat() {
  static const Catalog c = LoadCatalog(BundledCatalog()).value();
  return c;
}

// 79xx-enterprise.md section 6: the fields a 79xx page carries, a 7962's values.
constexpr const char* k7962Page =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?><DeviceInformation>"
    "<MACAddress>00270DC01C92</MACAddress><HostName>SEP00270DC01C92</HostName>"
    "<phoneDN>1001</phoneDN><appLoadID>jar42sccp.9-4-2ES26.sbn</appLoadID>"
    "<bootLoadID>tnp62.8-3-1-21a.bin</bootLoadID><versionID>*SCCP42.9-4-2SR3-1S*</versionID>"
    "<modelNumber>CP-7962G</modelNumber></DeviceInformation>";

TEST(PhoneReport, ReadsADeviceInformationPageAndMapsItToALoad) {
  auto p = ParseDeviceInformation(k7962Page);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->mac, "00270dc01c92");
  EXPECT_EQ(p->version_id, "SCCP42.9-4-2SR3-1S");
  EXPECT_EQ(p->app_load_id, "jar42sccp.9-4-2ES26.sbn");
  const Model* m = Cat().FindModel("CP-7962G");
  ASSERT_NE(m, nullptr);
  const Load* l = LoadOfPhonePage(Cat(), m->family, *p);
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->load, "SCCP42.9-4-2SR3-1S");
  // Only the jar image: the build tag maps back through the catalog's file lists.
  PhonePage jar_only;
  jar_only.app_load_id = "jar42sccp.9-4-2ES26.sbn";
  const Load* by_jar = LoadOfPhonePage(Cat(), m->family, jar_only);
  ASSERT_NE(by_jar, nullptr);
  EXPECT_EQ(by_jar->load, "SCCP42.9-4-2SR3-1S");
  EXPECT_FALSE(ParseDeviceInformation("<html>login</html>").has_value());
}

TEST(PhoneReport, FindsTheLoadALogLineNames) {
  EXPECT_EQ(LoadNamedInLog("cisco-alarm:23 Name=SEP001B2A893698 Load=SIP70.8-4-2-30S "
                           "Last=reset-restart"),
            "SIP70.8-4-2-30S");
  EXPECT_EQ(LoadNamedInLog("text=\"cisco-alarm:23 Name=SEP00562B043615 "
                           "ActiveLoad=sip78xx.12-1-1-12.loads InactiveLoad=sip78xx.10-3-1-12.loads"),
            "sip78xx.12-1-1-12");
  EXPECT_EQ(LoadNamedInLog("InactiveLoad=sip78xx.10-3-1-12.loads only"), "");
  EXPECT_EQ(LoadNamedInLog("nothing here"), "");
}

}  // namespace
}  // namespace stepup
