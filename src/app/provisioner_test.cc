#include "app/provisioner.h"

#include <gtest/gtest.h>

#include "app/provisioner_fixture.h"

namespace stepup {
namespace {

using WalkTest = OneAndTwoNodes<ProvisionerTest>;
INSTANTIATE_TEST_SUITE_P(Nodes, WalkTest, ::testing::Values(1, 2), NodesName);

TEST_P(WalkTest, Spa504GWalksSeed003ChainHopByHop) {
  AddSpa();
  Response r1 = Get("/spa504G.cfg", Spa("7.3.7"));
  ASSERT_EQ(r1.status, 200) << r1.reason;
  EXPECT_NE(r1.body.find("/firmware/spa50x-30x-7-5-2b.bin</Upgrade_Rule>"), std::string::npos)
      << r1.body;
  EXPECT_NE(r1.body.find("pw-58bfea1104e6"), std::string::npos);
  EXPECT_EQ(Stored().state, kStateUpgrading);
  EXPECT_EQ(Stored().pending_load, "7.5.2b");

  Response r2 = Get("/cfg/58bfea1104e6.xml?sn=CCQ16380FYH&sw=7.5.2b&p=stepup", Spa("7.5.2b"));
  EXPECT_NE(r2.body.find("/firmware/spa50x-30x-7-6-1.bin</Upgrade_Rule>"), std::string::npos)
      << r2.body;
  EXPECT_EQ(Stored().pending_load, "7.6.1");
  EXPECT_EQ(Stored().firmware, "7.5.2b");

  Response r3 = Get("/cfg/58bfea1104e6.xml?sn=CCQ16380FYH&sw=7.6.1&p=stepup", Spa("7.6.1"));
  EXPECT_NE(r3.body.find("<Upgrade_Enable ua=\"na\">No</Upgrade_Enable>"), std::string::npos);
  Device d = Stored();
  EXPECT_EQ(d.state, kStateCurrent);
  EXPECT_EQ(d.firmware, "7.6.1");
  auto kinds = Kinds(d);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "hop-offered"), 2);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "hop-completed"), 2);
  // Nothing more to offer: a fourth request changes nothing but the history.
  Get("/cfg/58bfea1104e6.xml?sw=7.6.1", Spa("7.6.1"));
  EXPECT_EQ(Stored().state, kStateCurrent);
}

TEST_P(WalkTest, UnknownDeviceGetsForbiddenAndNothingElseAndIsRecorded) {
  AddSpa();
  Response r = Get("/cfg/0002fdff2103.xml", "Cisco/SPA504G-7.3.7 (0002FDFF2103)(CBT141400UK)");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body.find("pw-"), std::string::npos);
  EXPECT_EQ(r.body.find("58bfea1104e6"), std::string::npos);
  auto u = inv_->UnknownAttempts();
  ASSERT_EQ(u->size(), 1u);
  EXPECT_NE((*u)[0].claimed.find("0002fdff2103"), std::string::npos);
  EXPECT_EQ((*u)[0].event.peer, "127.0.0.10:5060");
  // A guessed MAC with another device's serial is a conflict, not a login.
  Response clash = Get("/cfg/58bfea1104e6.xml", "Cisco/SPA504G-7.3.7 (0002FDFF2103)(CCQ16380FYH)");
  EXPECT_EQ(clash.status, 403);
  EXPECT_EQ(clash.body.find("pw-"), std::string::npos);
}

TEST_P(WalkTest, PhoneThatKeepsComingBackOnItsOldReleaseIsStuck) {
  AddSpa();
  for (int i = 0; i < 3; ++i) {
    Response r = Get("/cfg/58bfea1104e6.xml?sw=7.3.7", Spa("7.3.7"));
    // Each attempt gets a distinct URL (a SPA does not retry an unchanged one for an hour).
    std::string expect = i == 0 ? "/firmware/spa50x-30x-7-5-2b.bin"
                                : "/firmware/retry" + std::to_string(i) + "/spa50x-30x-7-5-2b.bin";
    EXPECT_NE(r.body.find(expect + "</Upgrade_Rule>"), std::string::npos) << i << r.body;
  }
  EXPECT_EQ(Stored().pending_offers, 3);
  Response r = Get("/cfg/58bfea1104e6.xml?sw=7.3.7", Spa("7.3.7"));
  Device d = Stored();
  EXPECT_EQ(d.state, kStateStuck);
  EXPECT_EQ(d.excluded, std::vector<std::string>{"7.5.2b"});
  EXPECT_NE(d.state_detail.find("rule evaluation"), std::string::npos) << d.state_detail;
  EXPECT_NE(r.body.find("<Upgrade_Enable ua=\"na\">No</Upgrade_Enable>"),
            std::string::npos);  // stops offering
  auto kinds = Kinds(d);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "stuck"), 1);
}

TEST_P(WalkTest, StuckReasonSaysTheImageWasRejectedWhenItWasDownloaded) {
  AddSpa();
  for (int i = 0; i < 3; ++i) {
    Get("/cfg/58bfea1104e6.xml?sw=7.3.7", Spa("7.3.7"));
    Request fw;
    fw.target = "/firmware/spa50x-30x-7-5-2b.bin";
    fw.peer_ip = "127.0.0.10";
    Response f = prov_->Handle(fw);
    ASSERT_EQ(f.status, 200);
    EXPECT_EQ(f.device, "58bfea1104e6");  // tied by address
    prov_->TransferDone(fw, f.file, true);
  }
  Get("/cfg/58bfea1104e6.xml?sw=7.3.7", Spa("7.3.7"));
  EXPECT_NE(Stored().state_detail.find("downloaded the image but still runs 7.3.7"),
            std::string::npos)
      << Stored().state_detail;
}

TEST_P(WalkTest, ServesFirmwareSafelyAndBootstrapsModelOnlyRequests) {
  Response f = Get("/firmware/spa50x-30x-7-6-1.bin");
  EXPECT_EQ(f.status, 200);
  EXPECT_EQ(fs::path(f.file).filename(), "spa50x-30x-7-6-1.bin");
  EXPECT_EQ(Get("/firmware/retry2/spa50x-30x-7-6-1.bin").status, 200);
  EXPECT_EQ(Get("/firmware/../stepup.db").status, 400);
  EXPECT_EQ(Get("/firmware/%2e%2e%2fpasswd").status, 400);
  EXPECT_EQ(Get("/firmware/nope.bin").status, 404);
  EXPECT_EQ(Get("/firmware/a/b/c.bin").status, 404);
  fs::create_symlink("/etc/hostname", dir_ / "firmware" / "escape.bin");
  EXPECT_NE(Get("/firmware/escape.bin").status, 200);
  EXPECT_EQ(Get("/SCCP70.8-5-2S.loads").status,
            200);  // bare name, as enterprise phones ask on 6970
  Response boot = Get("/spa504G.cfg");
  ASSERT_EQ(boot.status, 200);
  EXPECT_NE(boot.body.find("/cfg/$MA.xml?sn=$SN&amp;sw=$SWVER"), std::string::npos) << boot.body;
  EXPECT_EQ(boot.body.find("Password"), std::string::npos);
  EXPECT_EQ(Get("/healthz").body, "ok\n");
  EXPECT_EQ(Get("/nothing-here").status, 404);
}

TEST_P(WalkTest, EnterprisePhoneIsWalkedByDownloadsAndLoadInformation) {
  Device d;
  d.mac = "001b2a893698";
  d.model = "CP-7970G";
  d.firmware = "SIP70.8-2-1S";
  d.target = "SIP70.9-4-2SR1-1S";
  ASSERT_TRUE(inv_->Add(d).ok());
  ASSERT_EQ(Get("/CTLSEP001B2A893698.tlv", "", "127.0.0.20").status, 404);  // never a trust list
  Response cfg = Get("/SEP001B2A893698.cnf.xml", "", "127.0.0.20");
  ASSERT_EQ(cfg.status, 200);
  EXPECT_NE(cfg.body.find("<loadInformation>SCCP70.8-5-2S</loadInformation>"), std::string::npos)
      << cfg.body;
  // The phone fetches the bundle's files by bare name; then asks for its config again.
  Request fw;
  fw.target = "/SCCP70.8-5-2S.loads";
  fw.peer_ip = "127.0.0.20";
  Response f = prov_->Handle(fw);
  ASSERT_EQ(f.status, 200);
  prov_->TransferDone(fw, f.file, true);
  Response next = Get("/SEP001B2A893698.cnf.xml", "", "127.0.0.20");
  EXPECT_NE(next.body.find("<loadInformation>SIP70.9-4-2SR1-1S</loadInformation>"),
            std::string::npos)
      << next.body;
  EXPECT_EQ(Stored("001b2a893698").firmware, "SCCP70.8-5-2S");
}

TEST_P(WalkTest, HeldDevicesGetNoUpgradeAndAutoEnrolledOnesNoSecrets) {
  Device d = AddSpa();
  d.hold = true;
  ASSERT_TRUE(inv_->Update(d).ok());
  Response r = Get("/cfg/58bfea1104e6.xml?sw=7.3.7", Spa("7.3.7"));
  EXPECT_NE(r.body.find("<Upgrade_Enable ua=\"na\">No</Upgrade_Enable>"), std::string::npos);
  EXPECT_TRUE(Stored().pending_load.empty());

  Make({"SPA5*"});
  Response q = Get("/cfg/0002fdff2103.xml", "Cisco/SPA508G-7.4.8a (0002FDFF2103)(CBT141400UK)",
                   "127.0.0.30");
  EXPECT_EQ(q.status, 200);
  Device enrolled = Stored("0002fdff2103");
  EXPECT_EQ(enrolled.state, kStateQuarantine);
  EXPECT_EQ(q.body.find("Password"), std::string::npos);
  EXPECT_EQ(Get("/cfg/001122334455.xml", "Cisco-CP-8841-3PCC/11.0 (001122334455)").status,
            403);  // not matched
}

TEST_P(WalkTest, SettledAnswerIsReusedUntilTheDeviceOrTheFirmwareChanges) {
  fs::remove(dir_ / "firmware" / "spa50x-30x-7-6-1.bin");
  RescanFirmware();
  Device d = AddSpa();
  const std::string path = "/cfg/58bfea1104e6.xml?sn=CCQ16380FYH&sw=7.5.2b";
  // 7.6.1 is not on hand: no-path, settled from the second request on.
  Response first = Get(path, Spa("7.5.2b"));
  Response second = Get(path, Spa("7.5.2b"));
  Response third = Get(path, Spa("7.5.2b"));
  EXPECT_EQ(Stored().state, kStateNoPath);
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(third.body, first.body);
  EXPECT_NE(third.body.find("<Upgrade_Enable ua=\"na\">No</Upgrade_Enable>"), std::string::npos);
  // Every request is in the history: repeats are counted on the first of them.
  auto events = inv_->Events(d.id);
  int64_t requests = 0;
  for (const auto& e : *events)
    if (e.kind == "request") requests += 1 + e.repeats;
  EXPECT_EQ(requests, 3);

  // An operator's change (here, a setting) is in the very next answer.
  Device changed = Stored();
  changed.settings["sip_password"] = "new-secret";
  ASSERT_TRUE(inv_->Update(changed).ok());
  Response after_edit = Get(path, Spa("7.5.2b"));
  EXPECT_NE(after_edit.body.find("new-secret"), std::string::npos);

  // The missing image arrives: the next answer offers it.
  std::ofstream(dir_ / "firmware" / "spa50x-30x-7-6-1.bin") << "image";
  RescanFirmware();
  Response offered = Get(path, Spa("7.5.2b"));
  EXPECT_NE(offered.body.find("/firmware/spa50x-30x-7-6-1.bin</Upgrade_Rule>"), std::string::npos)
      << offered.body;
  EXPECT_FALSE(Stored().pending_load.empty());
}

}  // namespace
}  // namespace stepup
