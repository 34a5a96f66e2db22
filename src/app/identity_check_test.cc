#include "app/identity_check.h"

#include <gtest/gtest.h>

#include "core/catalog_loader.h"

namespace stepup {
namespace {

const Catalog& Cat() {
  static const Catalog c = LoadCatalog(BundledCatalog()).value();
  return c;
}

struct Asked {
  std::string transport = "http", target, ua;
  bool boot_followed = false;
  TftpSecrets tftp = TftpSecrets::kFollowed;
  std::string cert;  // a verified client certificate's subject (HTTPS), "" none
};

IdentityVerdict Check(const Device& d, const Asked& a) {
  Request req;
  req.transport = a.transport;
  req.target = a.target;
  req.user_agent = a.ua;
  std::vector<Observation> obs;
  if (!a.ua.empty()) obs.push_back({"user-agent", IdentifyUserAgent(a.ua, &Cat())});
  obs.push_back({"path", IdentifyPath(a.target, &Cat())});
  if (!a.cert.empty()) obs.push_back({"cert", IdentifyCertSubject(a.cert, &Cat())});
  MergedIdentity merged = MergeIdentities(obs);
  IdentityFacts f;
  f.request = &req;
  f.user_agent = a.ua.empty() ? nullptr : &obs[0].identity;
  f.cert = a.cert.empty() ? nullptr : &obs.back().identity;
  f.merged = &merged;
  f.device = &d;
  f.model = Cat().FindModel(d.model);
  f.family = Cat().FindFamily(f.model->family);
  f.boot_followed = a.boot_followed;
  f.tftp_secrets = a.tftp;
  return CheckIdentity(f);
}

Device Dev(const std::string& model, const std::string& mac, const std::string& serial) {
  Device d;
  d.model = model;
  d.mac = mac;
  d.serial = serial;
  return d;
}

TEST(IdentityCheck, EachRequestGetsTheClearanceItsIdentityEarns) {
  const Device spa = Dev("SPA504G", "58bfea1104e6", "CCQ16380FYH");
  const Device spa_no_serial = Dev("SPA504G", "58bfea1104e6", "");
  const Device mpp = Dev("CP-8841-3PCC", "00562b043615", "FCH1932A3BC");
  const Device ata = Dev("SPA122", "", "CBT141400UK");
  const Device ent = Dev("CP-7970G", "00270dc01c92", "");
  const std::string spa_ua = "Cisco/SPA504G-7.3.7 (58BFEA1104E6)(CCQ16380FYH)";
  struct Row {
    const char* what;
    const Device* d;
    Asked a;
    Clearance want;
    bool contradicted;
  } rows[] = {
      {"the SPA itself", &spa, {"http", "/spa504G.cfg", spa_ua}, Clearance::kSecrets, false},
      {"the SPA on its personal URL", &spa,
       {"http", "/cfg/58bfea1104e6.xml?sn=CCQ16380FYH&sw=7.5.2b", spa_ua}, Clearance::kSecrets,
       false},
      {"a browser", &spa, {"http", "/cfg/58bfea1104e6.xml", "Mozilla/5.0"}, Clearance::kBootstrap,
       false},
      {"no User-Agent", &spa, {"http", "/cfg/58bfea1104e6.xml", ""}, Clearance::kBootstrap, false},
      {"an invented serial", &spa,
       {"http", "/cfg/58bfea1104e6.xml", "Cisco/SPA504G-7.3.7 (58BFEA1104E6)(CCQ00000000)"},
       Clearance::kBootstrap, true},
      {"another model", &spa,
       {"http", "/cfg/58bfea1104e6.xml", "Cisco/SPA509G-7.3.7 (58BFEA1104E6)(CCQ16380FYH)"},
       Clearance::kBootstrap, true},
      {"an enterprise file name", &spa, {"http", "/SEP58BFEA1104E6.cnf.xml", spa_ua},
       Clearance::kBootstrap, true},
      {"the SPA over TFTP", &spa, {"tftp", "/cfg/58bfea1104e6.xml", ""}, Clearance::kBootstrap,
       false},
      {"a serial to learn", &spa_no_serial, {"http", "/spa504G.cfg", spa_ua}, Clearance::kSecrets,
       false},
      {"MPP on its model file (no serial yet)", &mpp,
       {"http", "/8841-3PCC.xml", "Cisco-CP-8841-3PCC/11.0 (00562b043615)"},
       Clearance::kBootstrap, false},
      {"MPP with $SN", &mpp,
       {"http", "/cfg/00562b043615.xml?sn=FCH1932A3BC", "Cisco-CP-8841-3PCC/11.0 (00562b043615)"},
       Clearance::kSecrets, false},
      {"an ATA by serial", &ata,
       {"http", "/spa122.cfg", "Cisco/SPA122-1.4.1(SR5) (CBT141400UK)"}, Clearance::kSecrets,
       false},
      {"enterprise, boot followed", &ent,
       {"tftp", "/SEP00270DC01C92.cnf.xml", "", true}, Clearance::kSecrets, false},
      {"enterprise, no boot followed", &ent, {"tftp", "/SEP00270DC01C92.cnf.xml", ""},
       Clearance::kWalkOnly, false},
      {"enterprise, TFTP secrets off", &ent,
       {"tftp", "/SEP00270DC01C92.cnf.xml", "", true, TftpSecrets::kOff}, Clearance::kWalkOnly,
       false},
      {"enterprise, TFTP secrets any", &ent,
       {"tftp", "/SEP00270DC01C92.cnf.xml", "", false, TftpSecrets::kAny}, Clearance::kSecrets,
       false},
      {"enterprise over HTTP, no boot", &ent, {"http", "/SEP00270DC01C92.cnf.xml", ""},
       Clearance::kRefuse, false},
      {"enterprise asked for a flat profile", &ent, {"tftp", "/00270dc01c92.cfg", "", true},
       Clearance::kRefuse, true},
  };
  for (const auto& r : rows) {
    IdentityVerdict v = Check(*r.d, r.a);
    EXPECT_EQ(v.clearance, r.want) << r.what << ": " << v.Describe();
    EXPECT_EQ(v.contradicted, r.contradicted) << r.what << ": " << v.Describe();
    EXPECT_EQ(v.disagreements.empty(),
              r.want == Clearance::kSecrets ||
                  (r.a.tftp == TftpSecrets::kOff && r.want == Clearance::kWalkOnly))
        << r.what << ": " << v.Describe();
  }
  EXPECT_EQ(Check(spa_no_serial, {"http", "/spa504G.cfg", spa_ua}).learn_serial, "CCQ16380FYH");
  EXPECT_EQ(Check(spa, {"http", "/spa504G.cfg", spa_ua}).learn_serial, "");
}

TEST(IdentityCheck, AVerifiedCertificateNamingTheDeviceIsItsStrongestProof) {
  Device mpp = Dev("CP-8841-3PCC", "00562b043615", "FCH1932A3BC");
  Device ent = Dev("CP-8861", "001122334455", "");
  const std::string ua = "Cisco-CP-8841-3PCC/11.0 (00562b043615)";
  const std::string cert = "C=US, O=Cisco Systems Inc., OU=CP-8841-3PCC, L=FCH1932A3BC, "
                           "ST=00562b043615, CN=CP-8841-3PCC-SEP00562B043615";
  const std::string path = "/cfg/00562b043615.xml";
  // Its certificate alone (no User-Agent) names model, serial and MAC.
  EXPECT_EQ(Check(mpp, {"https", path, "", false, TftpSecrets::kFollowed, cert}).clearance,
            Clearance::kSecrets);
  // An enterprise phone over HTTPS with its certificate needs no followed TFTP boot.
  const std::string ent_cert = "CN=CP-8861-SEP001122334455";
  EXPECT_EQ(Check(ent, {"https", "/SEP001122334455.cnf.xml", "", false}).clearance,
            Clearance::kRefuse);
  EXPECT_EQ(
      Check(ent, {"https", "/SEP001122334455.cnf.xml", "", false, TftpSecrets::kFollowed, ent_cert})
          .clearance,
      Clearance::kSecrets);
  // client_cert=required: without the certificate, the walk but not the secrets.
  mpp.settings[kClientCertSetting] = "required";
  EXPECT_TRUE(RequiresClientCert(mpp));
  IdentityVerdict ua_only = Check(mpp, {"https", path + "?sn=FCH1932A3BC", ua});
  EXPECT_EQ(ua_only.clearance, Clearance::kWalkOnly);
  EXPECT_TRUE(ua_only.disagreements.empty()) << ua_only.Describe();  // policy, not a mismatch
  EXPECT_EQ(Check(mpp, {"https", path, ua, false, TftpSecrets::kFollowed, cert}).clearance,
            Clearance::kSecrets);
  mpp.settings[kClientCertSetting] = "no";
  EXPECT_EQ(Check(mpp, {"https", path + "?sn=FCH1932A3BC", ua}).clearance, Clearance::kSecrets);
}

TEST(IdentityCheck, SecretSettingsAreTheOnesThatAuthenticate) {
  for (const char* k : {"sip_password", "admin_password", "Admin_Passwd", "line2_secret",
                        "api_token", "voicemail_pin", "profile_key"})
    EXPECT_TRUE(SecretSetting(k)) << k;
  for (const char* k : {"display_name", "sip_user", "sip_proxy", "timezone", "keypad_mode"})
    EXPECT_FALSE(SecretSetting(k)) << k;
  Settings s = WithoutSecrets({{"sip_user", "1001"}, {"sip_password", "x"}});
  EXPECT_EQ(s, (Settings{{"sip_user", "1001"}}));
}

TEST(IdentityCheck, FileNamesSortByFamily) {
  EXPECT_TRUE(EnterpriseFileName("SEP001B2A893698.cnf.xml"));
  EXPECT_TRUE(EnterpriseFileName("sep001b2a893698.cnf.xml.sgn"));
  EXPECT_TRUE(EnterpriseFileName("CTLSEP001B2A893698.tlv"));
  EXPECT_TRUE(EnterpriseFileName("SIP001B2A893698.cnf"));
  EXPECT_FALSE(EnterpriseFileName("spa504G.cfg"));
  EXPECT_FALSE(EnterpriseFileName("001b2a893698.xml"));
  EXPECT_TRUE(TrustListFileName("ITLSEP001B2A893698.tlv"));
  EXPECT_FALSE(TrustListFileName("SEP001B2A893698.cnf.xml"));
}

}  // namespace
}  // namespace stepup
