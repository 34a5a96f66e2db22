#include "core/identify.h"

#include <gtest/gtest.h>

#include "core/catalog_loader.h"

namespace stepup {
namespace {

const Catalog& Cat() {
  static Catalog* c = [] {
    auto r = LoadCatalog(BundledCatalog());
    EXPECT_TRUE(r.ok());
    return new Catalog(std::move(r).value());
  }();
  return *c;
}

enum class Kind { kUa, kPath, kVendorClass, kCert };

struct Case {
  Kind kind;
  std::string input;
  std::string vendor, model, mac, serial, firmware;
  const char* source;  // where the string was seen
};

Identity Identify(const Case& c) {
  switch (c.kind) {
    case Kind::kUa:
      return IdentifyUserAgent(c.input, &Cat());
    case Kind::kPath:
      return IdentifyPath(c.input, &Cat());
    case Kind::kVendorClass:
      return IdentifyVendorClass(c.input, &Cat());
    case Kind::kCert:
      return IdentifyCertSubject(c.input, &Cat());
  }
  return {};
}

// Real identification strings, each from the seed or public source named beside it.
const std::vector<Case>& Cases() {
  static const std::vector<Case> kCases = {
      // Cisco/Linksys SPA and ATA User-Agents: (MAC)(serial), or a serial alone by family.
      {Kind::kUa, "Cisco/SPA504G-7.4.3a (1EDF0F4A6C48)(CXT199006KD)", "cisco", "SPA504G",
       "1edf0f4a6c48", "CXT199006KD", "7.4.3a", "seed 003"},
      {Kind::kUa, "Linksys/SPA504G-7.4.3a (1EDF0F4A6C48)(CXT199006KD)", "linksys", "SPA504G",
       "1edf0f4a6c48", "CXT199006KD", "7.4.3a", "seed 003"},
      {Kind::kUa, "Linksys/SPA504G-7.3.7 (58BFEA1104E6)(CCQ16380FYH)", "linksys", "SPA504G",
       "58bfea1104e6", "CCQ16380FYH", "7.3.7", "seed 003 access log"},
      {Kind::kUa, "Cisco/SPA504G-7.5.2b (58BFEA1104E6)(CCQ16380FYH)", "cisco", "SPA504G",
       "58bfea1104e6", "CCQ16380FYH", "7.5.2b", "seed 003 access log"},
      {Kind::kUa, "Cisco/SPA504G-7.6.1 (58BFEA1104E6)(CCQ16380FYH)", "cisco", "SPA504G",
       "58bfea1104e6", "CCQ16380FYH", "7.6.1", "seed 003 access log"},
      {Kind::kUa, "Cisco/SPA501G-7.4.4 (8843E157DDCC)(CBT141100HR)", "cisco", "SPA501G",
       "8843e157ddcc", "CBT141100HR", "7.4.4", "wazo cisco_spa common.py"},
      {Kind::kUa, "Cisco/SPA508G-7.4.8a (0002FDFF2103)(CBT141400UK)", "cisco", "SPA508G",
       "0002fdff2103", "CBT141400UK", "7.4.8a", "wazo cisco_spa common.py"},
      {Kind::kUa, "Cisco/SPA504G-7.4.9c (649EF3788E6A)(CCQ162306EA)", "cisco", "SPA504G",
       "649ef3788e6a", "CCQ162306EA", "7.4.9c", "provisioner.net process.php"},
      {Kind::kUa, "Cisco/SPA525G-7.4.7 (CBT141900G7)", "cisco", "SPA525G", "", "CBT141900G7",
       "7.4.7", "wazo cisco_spa common.py"},
      {Kind::kUa, "Cisco/SPA525G-7.4.4 (CBT141900G7)", "cisco", "SPA525G", "", "CBT141900G7",
       "7.4.4", "spa-ata-mpp.md 4.1"},
      {Kind::kUa, "Linksys/SPA-942-6.1.5(a) (88019FA42805)", "linksys", "SPA-942", "",
       "88019FA42805", "6.1.5(a)", "wazo cisco_spa common.py"},
      {Kind::kUa, "Linksys/SPA-962-6.1.5(a) (4MM00F903042)", "linksys", "SPA-962", "",
       "4MM00F903042", "6.1.5(a)", "wazo cisco_spa common.py"},
      {Kind::kUa, "Linksys/SPA-921-5.1.8 (4MJ00HC02158)", "linksys", "SPA-921", "", "4MJ00HC02158",
       "5.1.8", "provisioner.net process.php"},
      {Kind::kUa, "Cisco/SPA525G2-7.6.1(ES_RC01)", "cisco", "SPA525G2", "", "", "7.6.1(ES_RC01)",
       "spa-ata-mpp.md 1.2 (SIP UA)"},
      {Kind::kUa, "Cisco/SPA122-1.4.1(SR5)", "cisco", "SPA122", "", "", "1.4.1(SR5)",
       "spa-ata-mpp.md 4.1 (SIP banner)"},
      {Kind::kUa, "Cisco/ATA191-MPP-11-1-0-MSR4 (FCH2443D9R4)", "cisco", "ATA191-MPP", "",
       "FCH2443D9R4", "11-1-0-MSR4", "wazo cisco_sip v11_1_0"},
      // MPP and enterprise 78xx/88xx.
      {Kind::kUa, "Cisco-CP-8841-3PCC/11.0 (00562b043615)", "cisco", "CP-8841-3PCC", "00562b043615",
       "", "11.0", "Cisco 8800 MPP provisioning guide p.56"},
      {Kind::kUa, "Cisco-CP-7832-3PCC/11.0.1 (00562b043615)", "cisco", "CP-7832-3PCC",
       "00562b043615", "", "11.0.1", "wazo cisco_sip v12_0_1"},
      {Kind::kUa, "Cisco-CP8851/12.1.1", "cisco", "CP-8851", "", "", "12.1.1", "TAC214535"},
      {Kind::kUa, "Cisco-CP7821/10.3.1", "cisco", "CP-7821", "", "", "10.3.1", "TAC214535"},
      {Kind::kUa, "Cisco-CP8865NR/14.2.1", "cisco", "CP-8865NR", "", "", "14.2.1",
       "78xx-88xx-enterprise.md 7"},
      // Yealink.
      {Kind::kUa, "Yealink SIP-T20P 9.72.0.30 00:15:65:5e:16:7c", "yealink", "SIP-T20P",
       "0015655e167c", "", "9.72.0.30", "wazo yealink common.py"},
      {Kind::kUa, "yealink SIP-T28P 2.70.0.140 00:15:65:13:ae:0b", "yealink", "SIP-T28P",
       "00156513ae0b", "", "2.70.0.140", "wazo yealink common.py"},
      {Kind::kUa, "Yealink SIP-T38G  38.70.0.125 00:15:65:2f:c3:5e", "yealink", "SIP-T38G",
       "0015652fc35e", "", "38.70.0.125", "wazo yealink common.py"},
      {Kind::kUa, "Yealink SIP VP-T49G 51.80.0.10 00:15:65:9b:5a:44", "yealink", "SIP VP-T49G",
       "0015659b5a44", "", "51.80.0.10", "wazo yealink common.py"},
      {Kind::kUa, "Yealink SIP-T31G 124.85.257.55 80:5e:c0:d5:7d:72", "yealink", "SIP-T31G",
       "805ec0d57d72", "", "124.85.257.55", "wazo yealink v85"},
      {Kind::kUa, "Yealink SIP-T46U 180.85.0.54 80:5E:C0:78:29:65", "yealink", "SIP-T46U",
       "805ec0782965", "", "180.85.0.54", "wazo yealink v85 history"},
      {Kind::kUa, "Yealink W90DM 130.87.0.10 80:5e:c0:d9:c7:44", "yealink", "W90DM", "805ec0d9c744",
       "", "130.87.0.10", "wazo yealink v87"},
      {Kind::kUa, "W52P 25.30.0.2 00:15:65:44:b3:7c", "yealink", "W52P", "00156544b37c", "",
       "25.30.0.2", "wazo yealink common.py"},
      {Kind::kUa, "Yealink-T46G 28.71.0.81 28.1.0.128.0.0.0", "yealink", "T46G", "", "",
       "28.71.0.81", "wazo yealink common.py"},
      {Kind::kUa, "Yealink SIP-T56A  58.80.0.25 001565f429a4", "yealink", "SIP-T56A",
       "001565f429a4", "", "58.80.0.25", "fusionpbx provision/index.php"},
      // Polycom (the MAC comes from the path unless the UA carries SN).
      {Kind::kUa, "FileTransport PolycomSoundPointIP-SPIP_335-UA/4.2.1.0275", "polycom", "SPIP335",
       "", "", "4.2.1.0275", "wazo polycom common.py"},
      {Kind::kUa, "FileTransport PolycomSoundStationIP-SSIP_6000-UA/5.0.3.1667 Type/Updater",
       "polycom", "SSIP6000", "", "", "5.0.3.1667", "wazo polycom common.py"},
      {Kind::kUa, "FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 Type/Application", "polycom",
       "VVX400", "", "", "4.1.4.7430", "wazo polycom common.py"},
      {Kind::kUa, "FileTransport PolycomVVX-VVX_500-UA/5.9.7.4477 Type/Application", "polycom",
       "VVX500", "", "", "5.9.7.4477", "freepbx-oryk-provisioner"},
      {Kind::kUa,
       "FileTransport PolycomSoundStationIP-SSIP_5000-UA/4.0.3.7562 (SN:0004f2e765da) "
       "Type/Application",
       "polycom", "SSIP5000", "0004f2e765da", "0004f2e765da", "4.0.3.7562",
       "provisioner.net process.php"},
      {Kind::kUa, "FileTransport PolyEdge-Edge_E450-UA/8.0.0.15602 Type/Application", "polycom",
       "EdgeE450", "", "", "8.0.0.15602", "polycomphones exten.php"},
      // Grandstream.
      {Kind::kUa, "Grandstream Model HW GXP2200 V2.2A SW 1.0.1.33 DevId 000b82462d97",
       "grandstream", "GXP2200", "000b82462d97", "", "1.0.1.33", "wazo grandstream common.py"},
      {Kind::kUa, "Grandstream Model HW GXP1628 SW 1.0.4.138 DevId c074ad2bd859", "grandstream",
       "GXP1628", "c074ad2bd859", "", "1.0.4.138", "wazo grandstream common.py"},
      {Kind::kUa, "Grandstream Model HW GXV3350  V1.3A SW 1.0.1.8 DevId c074ad150b88",
       "grandstream", "GXV3350", "c074ad150b88", "", "1.0.1.8", "wazo grandstream common.py"},
      {Kind::kUa, "Grandstream Model HW GXP2135 SW 1.0.7.97 DevId 000b828aa872", "grandstream",
       "GXP2135", "000b828aa872", "", "1.0.7.97", "fusionpbx provision/index.php"},
      {Kind::kUa,
       "Grandstream GXP2000 (gxp2000e.bin:1.2.5.3/boot55e.bin:1.1.6.9) DevId 000b822726c8",
       "grandstream", "GXP2000", "000b822726c8", "", "1.2.5.3", "wazo grandstream common.py"},
      {Kind::kUa, "Grandstream HT287 1.1.0.31", "grandstream", "HT287", "", "", "1.1.0.31",
       "amooma GS3 grandstream settings.php"},
      // Requested paths.
      {Kind::kPath, "SEP00270DC01C92.cnf.xml", "cisco", "", "00270dc01c92", "", "",
       "79xx-enterprise.md 6 (7962 tcpdump)"},
      {Kind::kPath, "CTLSEP00270DC01C92.tlv", "cisco", "", "00270dc01c92", "", "",
       "79xx-enterprise.md 6"},
      {Kind::kPath, "ITLSEP00270DC01C92.tlv", "cisco", "", "00270dc01c92", "", "",
       "79xx-enterprise.md 6"},
      {Kind::kPath, "/SEP001B2A893698.cnf.xml.sgn", "cisco", "", "001b2a893698", "", "",
       "79xx-enterprise.md 6 (secure config)"},
      {Kind::kPath, "SIP001B2A893698.cnf", "cisco", "", "001b2a893698", "", "",
       "79xx-enterprise.md 6 (79x0 SIP)"},
      {Kind::kPath, "MGC001B2A893698.cnf", "cisco", "", "001b2a893698", "", "",
       "79xx-enterprise.md 6 (79x0 universal loader, JHEAD tftplog)"},
      {Kind::kPath, "/SEP001B2A893698.cnf.xml", "cisco", "", "001b2a893698", "", "",
       "79xx-enterprise.md 6 (79x0 universal loader, JHEAD tftplog)"},
      {Kind::kVendorClass, "CISCO ATA190", "cisco", "ATA190", "", "", "",
       "spa-ata-mpp.md 2/4.1 (WZ ciscosmb.conf VCI, now a catalogued model)"},
      {Kind::kPath, "ATA0002FDFF2103.cnf.xml", "cisco", "", "0002fdff2103", "", "",
       "issue 4 (ATA<MAC>.cnf.xml)"},
      {Kind::kPath, "/spa504G.cfg", "cisco", "SPA504G", "", "", "", "seed 003"},
      {Kind::kPath, "/spa508G.cfg", "cisco", "SPA508G", "", "", "", "seed 003"},
      {Kind::kPath, "/8851-3PCC.xml", "cisco", "CP-8851-3PCC", "", "", "",
       "spa-ata-mpp.md 4.1 ($PSN.xml)"},
      {Kind::kPath, "/Cisco/CP-8851-3PCC/001234ab45de.cfg", "cisco", "CP-8851-3PCC", "001234ab45de",
       "", "", "spa-ata-mpp.md 4.1"},
      {Kind::kPath, "/0004f282e824.cfg", "", "", "0004f282e824", "", "",
       "freepbx-oryk-provisioner (Polycom)"},
      {Kind::kPath, "/init.cfg", "linksys", "PAP2T", "", "", "", "issue 4 (PAP2T)"},
      {Kind::kPath, "/cfg/58bfea1104e6.xml?sn=CCQ16380FYH&sw=7.5.2b&p=stepup", "", "",
       "58bfea1104e6", "CCQ16380FYH", "7.5.2b", "stepup's own Profile_Rule"},
      // DHCP option 60.
      {Kind::kVendorClass, "Cisco SPA504G", "cisco", "SPA504G", "", "", "", "domain.md"},
      {Kind::kVendorClass, "Cisco SPA525G2", "cisco", "SPA525G2", "", "", "",
       "wazo cisco_spa common.py"},
      {Kind::kVendorClass, "CISCO SPA122", "cisco", "SPA122", "", "", "",
       "wazo cisco_spa common.py"},
      {Kind::kVendorClass, "LINKSYS SPA-942", "linksys", "SPA-942", "", "", "",
       "wazo cisco_spa common.py"},
      {Kind::kVendorClass, "Cisco Systems, Inc. IP Phone SPA512G", "cisco", "SPA512G", "", "", "",
       "wazo dhcpd ciscosmb.conf"},
      {Kind::kVendorClass, std::string("CP-8851-3PCC\0", 13), "cisco", "CP-8851-3PCC", "", "", "",
       "domain.md (NUL-terminated)"},
      {Kind::kVendorClass, "CP-7841-3PCC", "cisco", "CP-7841-3PCC", "", "", "",
       "wazo cisco_sip v12_0_1"},
      {Kind::kVendorClass, "Cisco Systems, Inc. IP Phone CP-7941G", "cisco", "CP-7941G", "", "", "",
       "domain.md"},
      {Kind::kVendorClass, "CISCO ATA191-MPP", "cisco", "ATA191-MPP", "", "", "",
       "wazo dhcpd cisco.conf"},
      {Kind::kVendorClass, "CISCO ATA190", "cisco", "ATA190", "", "", "",
       "wazo cisco_spa common.py"},
      // Client-certificate subjects.
      {Kind::kCert, "OU=CP-8841-3PCC, L=FCH1932A3BC, S=00562b043615", "cisco", "CP-8841-3PCC",
       "00562b043615", "FCH1932A3BC", "", "domain.md (OU, L, S)"},
      {Kind::kCert, "serialNumber=PID:CP-8861 SN:FCH18198CNQ, CN=CP-8861-SEP001B2A893698", "cisco",
       "CP-8861", "001b2a893698", "FCH18198CNQ", "", "TAC213407"},
  };
  return kCases;
}

TEST(Identify, RealStringsAcrossEveryFamily) {
  ASSERT_GE(Cases().size(), 40u);
  for (const auto& c : Cases()) {
    Identity id = Identify(c);
    EXPECT_EQ(id.vendor, c.vendor) << c.input << " (" << c.source << ")";
    EXPECT_EQ(id.model, c.model) << c.input << " (" << c.source << ")";
    EXPECT_EQ(id.mac, c.mac) << c.input << " (" << c.source << ")";
    EXPECT_EQ(id.serial, c.serial) << c.input << " (" << c.source << ")";
    EXPECT_EQ(id.firmware, c.firmware) << c.input << " (" << c.source << ")";
  }
}

TEST(Identify, ProtocolFollowsTheFamily) {
  EXPECT_EQ(IdentifyUserAgent("Cisco-CP-8841-3PCC/11.0 (00562b043615)", &Cat()).protocol,
            Protocol::kMpp);
  EXPECT_EQ(IdentifyUserAgent("Cisco/ATA191-MPP-11-1-0-MSR4 (FCH2443D9R4)", &Cat()).protocol,
            Protocol::kMpp);
  EXPECT_EQ(IdentifyUserAgent("Cisco/SPA504G-7.4.3a (1EDF0F4A6C48)(CXT199006KD)", &Cat()).protocol,
            Protocol::kSip);
  EXPECT_EQ(IdentifyPath("SEP00270DC01C92.cnf.xml", &Cat()).protocol,
            Protocol::kNone);  // SCCP or SIP
}

TEST(Identify, NothingRecognisableGivesAnEmptyIdentity) {
  for (const std::string& s : std::vector<std::string>{
           "", "curl/7.88.1", "Mozilla/5.0", "Cisco/", "Cisco/SPA504G", "Linksys/-7.3.7",
           "Cisco/SPA504G-7.3.7 (", "Cisco-CP", "Yealink", "FileTransport PolycomVVX",
           "Grandstream", std::string(5000, '(')}) {
    Identity id = IdentifyUserAgent(s, &Cat());
    EXPECT_TRUE(id.mac.empty() && id.serial.empty()) << s;
  }
  for (const std::string& p :
       std::vector<std::string>{"/", "../../etc/passwd", "SEP.cnf.xml", "SEPZZZZZZZZZZZZ.cnf.xml",
                                "spa.cfg", "/firmware/spa50x-30x-7-5-2b.bin", "XMLDefault.cnf.xml",
                                "OS79XX.TXT", "MGC.cnf", "P0S3-8-12-00.loads"}) {
    EXPECT_FALSE(IdentifyPath(p, &Cat()).identified()) << p;
  }
  EXPECT_TRUE(IdentifyVendorClass("MSFT 5.0", &Cat()).empty());
  EXPECT_EQ(NormalizeMac("00:15:65:5e:16:7"), "");
  EXPECT_EQ(NormalizeMac("0015.655e.167c"), "0015655e167c");
}

TEST(Identify, SourcesMergeAndConflictsAreReportedNotResolved) {
  MergedIdentity agree = MergeIdentities(
      {{"user-agent", IdentifyUserAgent("Cisco-CP-8841-3PCC/11.0 (00562b043615)", &Cat())},
       {"cert", IdentifyCertSubject("OU=CP-8841-3PCC, L=FCH1932A3BC, S=00562b043615", &Cat())},
       {"path",
        IdentifyPath("/cfg/00562b043615.xml?sn=FCH1932A3BC&sw=sip88xx.12-0-7MPP0201-66", &Cat())}});
  EXPECT_TRUE(agree.conflicts.empty());
  EXPECT_EQ(agree.identity.mac, "00562b043615");
  EXPECT_EQ(agree.identity.serial, "FCH1932A3BC");
  EXPECT_EQ(agree.identity.model, "CP-8841-3PCC");
  EXPECT_EQ(agree.identity.firmware, "sip88xx.12-0-7MPP0201-66");  // $SWVER beats the UA's "11.0"

  MergedIdentity clash = MergeIdentities(
      {{"user-agent", IdentifyUserAgent("Cisco-CP-8841-3PCC/11.0 (00562b043615)", &Cat())},
       {"cert", IdentifyCertSubject("OU=CP-8841-3PCC, L=FCH1932A3BC, S=00562b043616", &Cat())}});
  ASSERT_EQ(clash.conflicts.size(), 1u);
  EXPECT_EQ(clash.conflicts[0].field, "mac");
  EXPECT_TRUE(clash.identity.mac.empty());  // never silently resolved
  EXPECT_NE(clash.conflicts[0].Describe().find("00562b043616"), std::string::npos);
  EXPECT_EQ(clash.identity.model, "CP-8841-3PCC");  // what agrees is kept

  MergedIdentity models =
      MergeIdentities({{"vendor-class", IdentifyVendorClass("CP-8851-3PCC", &Cat())},
                       {"user-agent", IdentifyUserAgent("Cisco-CP8851/12.1.1", &Cat())}});
  ASSERT_EQ(models.conflicts.size(), 2u);  // model and protocol: MPP vs enterprise
}

}  // namespace
}  // namespace stepup
