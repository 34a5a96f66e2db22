#include "sim/phone.h"

#include <gtest/gtest.h>

#include "core/catalog_loader.h"
#include "core/identify.h"

namespace stepup::sim {
namespace {

const Catalog& Cat() {
  static const Catalog c = LoadCatalog(BundledCatalog()).value();
  return c;
}

PhoneState Phone(const std::string& csv_row) {
  auto fleet = FleetFromCsv(Cat(), "mac,serial,model,firmware,protocol,hardware,keys\n" + csv_row, "t.csv");
  EXPECT_TRUE(fleet) << (fleet ? "" : fleet.error().message);
  auto p = StartPhone(Cat(), fleet->at(0));
  EXPECT_TRUE(p) << (p ? "" : p.error().message);
  return *p;
}

FakeImage ImageOf(const std::string& file) {
  auto files = FakeFirmware(Cat(), {});
  for (const auto& [name, bytes] : *files) {
    if (name == file) return ParseFakeImage(bytes).value();
  }
  ADD_FAILURE() << file << " not written";
  return {};
}

TEST(FakeImage, RoundTripsAndIsMarkedAsAFixture) {
  auto files = FakeFirmware(Cat(), {.model = "CP-7970G", .load = "SIP70.9-4-2SR1-1S"});
  ASSERT_TRUE(files);
  ASSERT_EQ(files->size(), 6u);  // the .loads manifest and its five images
  const auto& [name, bytes] = files->front();
  EXPECT_EQ(name, "SIP70.9-4-2SR1-1S.loads");
  EXPECT_EQ(bytes.rfind("STEPUP-FAKE-FIRMWARE/1 test fixture", 0), 0u);
  auto img = ParseFakeImage(bytes);
  ASSERT_TRUE(img);
  EXPECT_EQ(img->load, "SIP70.9-4-2SR1-1S");
  EXPECT_EQ(img->signed_with, "79xx-new");
  EXPECT_EQ(img->images.size(), 5u);
  EXPECT_EQ(files->at(1).second.size(), 16u * 1024);
  EXPECT_NE(files->at(1).second, files->at(2).second);
}

TEST(FakeImage, MisSignedAndUnknownSelectionsAndCorruptHeaders) {
  auto mis = FakeFirmware(Cat(), {.model = "SPA504G", .load = "7.5.2b", .signed_with = "79xx-new"});
  ASSERT_TRUE(mis);
  ASSERT_EQ(mis->size(), 1u);
  EXPECT_EQ(ParseFakeImage(mis->front().second)->signed_with, "79xx-new");
  EXPECT_EQ(FakeFirmware(Cat(), {.model = "CP-9999"}).error().kind, ErrorKind::kUnknown);
  EXPECT_FALSE(FakeFirmware(Cat(), {.model = "SPA504G", .load = "SIP70.8-2-1S"}));
  for (std::string bad : {"", "MZ\x90\x00 a real binary", "STEPUP-FAKE-FIRMWARE/1 x\nload: a\n",
                          "STEPUP-FAKE-FIRMWARE/1 x\nload a\n\n",
                          "STEPUP-FAKE-FIRMWARE/1 x\nload: a b\n\n",
                          "STEPUP-FAKE-FIRMWARE/1 x\nload: a\nfamily: f\n\n",
                          "STEPUP-FAKE-FIRMWARE/1 x\nweird: a\n\n"}) {
    EXPECT_FALSE(ParseFakeImage(bad)) << bad;
  }
}

TEST(SimPhone, FleetCsvErrorsNameRowAndColumn) {
  auto bad = [](const std::string& csv) {
    auto r = FleetFromCsv(Cat(), csv, "fleet.csv");
    EXPECT_FALSE(r) << csv;
    return r ? std::string() : r.error().message;
  };
  EXPECT_NE(bad("mac,model\n1,2\n").find("\"firmware\" column"), std::string::npos);
  EXPECT_NE(bad("mac,model,firmware\nzz,SPA504G,7.3.7\n").find("row 1 (line 2), column \"mac\""),
            std::string::npos);
  EXPECT_NE(bad("mac,model,firmware\n001122334455,SPA999,7.3.7\n").find("column \"model\""),
            std::string::npos);
  EXPECT_NE(bad("mac,model,firmware\n001122334455,SPA504G,7..3\n").find("column \"firmware\""),
            std::string::npos);
  EXPECT_NE(bad("mac,model,firmware,hardware\n001122334455,SPA504G,7.3.7,X1\n").find("\"hardware\""),
            std::string::npos);
  EXPECT_NE(bad("mac,model,firmware\n001122334455,SPA504G,7.3.7\n00:11:22:33:44:55,SPA504G,7.3.7\n")
                .find("appears twice"),
            std::string::npos);
  auto ok = FleetFromCsv(Cat(), "mac,model,firmware,display_name\n00:11:22:33:44:55,7970G,SIP70.8-2-1S,Bob\n", "f");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->at(0).model, "CP-7970G");
  EXPECT_EQ(ok->at(0).protocol, "sip");  // from the load name
}

TEST(SimPhone, UserAgentsAreOnesTheServerIdentifies) {
  for (const std::string row : {"58bfea1104e6,CCQ16380FYH,SPA504G,7.3.7,,,",
                                "00562b043615,,CP-8841-3PCC,sip88xx.11-0-1MPP-376,,,",
                                ",FCH2443D9R4,ATA191-MPP,ATA19x.11-1-0MPP0401-002,,,",
                                ",CBT141100HR,SPA122,1.4.1(SR5),,,"}) {
    PhoneState p = Phone(row);
    Identity id = IdentifyUserAgent(UserAgent(p), &Cat());
    EXPECT_EQ(id.model, p.spec.model) << UserAgent(p);
    EXPECT_TRUE(id.mac == p.spec.mac || id.serial == p.spec.serial) << UserAgent(p);
  }
  EXPECT_EQ(UserAgent(Phone("58bfea1104e6,CCQ16380FYH,SPA504G,7.3.7,,,")),
            "Cisco/SPA504G-7.3.7 (58BFEA1104E6)(CCQ16380FYH)");
  EXPECT_EQ(UserAgent(Phone("00562b043615,,CP-8841-3PCC,sip88xx.11-0-1MPP-376,,,")),
            "Cisco-CP-8841-3PCC/11.0 (00562b043615)");
}

TEST(SimPhone, ExpandsProfileMacros) {
  PhoneState p = Phone("58bfea1104e6,CCQ16380FYH,SPA504G,7.3.7,,,");
  p.gpp_p = "stepup";
  EXPECT_EQ(ExpandMacros("http://h/cfg/$MA.xml?sn=$SN&sw=$SWVER&p=$P&u=$MAU&x=$$", p),
            "http://h/cfg/58bfea1104e6.xml?sn=CCQ16380FYH&sw=7.3.7&p=stepup&u=58BFEA1104E6&x=$$");
  EXPECT_EQ(ExpandMacros("/spa$PSN.cfg", p), "/spa504G.cfg");
}

TEST(SimPhone, InstallsOnlyWhatTheRunningReleaseAccepts) {
  PhoneState spa = Phone("58bfea1104e6,,SPA504G,7.3.7,,,");
  EXPECT_NE(InstallRefusal(spa, ImageOf("spa50x-30x-7-6-1.bin")).find("installs only from 7.5.2b"),
            std::string::npos);
  EXPECT_EQ(InstallRefusal(spa, ImageOf("spa50x-30x-7-5-2b.bin")), "");
  Install(spa, ImageOf("spa50x-30x-7-5-2b.bin"));
  EXPECT_EQ(spa.running, "7.5.2b");
  EXPECT_EQ(InstallRefusal(spa, ImageOf("spa50x-30x-7-6-1.bin")), "");
  EXPECT_NE(InstallRefusal(spa, ImageOf("SCCP70.8-5-2S.loads")).find("family"), std::string::npos);

  PhoneState p7970 = Phone("001122334455,,CP-7970G,SIP70.8-2-1S,,,");
  EXPECT_NE(InstallRefusal(p7970, ImageOf("SIP70.9-4-2SR1-1S.loads")).find("AUTH FAIL"),
            std::string::npos);
  EXPECT_EQ(InstallRefusal(p7970, ImageOf("SCCP70.8-5-2S.loads")), "");

  PhoneState picky = Phone("58bfea1104e6,,SPA504G,7.5.2b,,,other-key");
  EXPECT_NE(InstallRefusal(picky, ImageOf("spa50x-30x-7-6-1.bin")).find("AUTH FAIL"),
            std::string::npos);
  PhoneState v15 = Phone("00562b043699,,CP-8841,sip88xx.12-8-1-0001-455,sip,V15,");
  EXPECT_EQ(InstallRefusal(v15, ImageOf("sip88xx.14-4-1-0001-36.loads")), "");
}

TEST(SimPhone, ReadsProfilesAndEnterpriseConfigurations) {
  auto f = ParseFlatProfile(
      "<flat-profile><Profile_Rule ua=\"na\">http://h/$MA.xml</Profile_Rule>"
      "<Upgrade_Enable>Yes</Upgrade_Enable><Upgrade_Rule>http://h/f.bin</Upgrade_Rule></flat-profile>");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->profile_rule, "http://h/$MA.xml");
  EXPECT_EQ(f->upgrade_rule, "http://h/f.bin");
  EXPECT_FALSE(ParseFlatProfile("<device/>"));
  EXPECT_FALSE(ParseFlatProfile("<flat-profile>"));
  EXPECT_EQ(ParseLoadInformation("<device><loadInformation>SCCP70.8-5-2S</loadInformation></device>", 0).value(),
            "SCCP70.8-5-2S");
  EXPECT_EQ(ParseLoadInformation("<Default><loadInformation30006 model=\"x\">L1</loadInformation30006></Default>",
                                 30006).value(),
            "L1");
  EXPECT_FALSE(ParseLoadInformation("not xml <", 0));
}

}  // namespace
}  // namespace stepup::sim
