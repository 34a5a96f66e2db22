// The provisioner learning what an enterprise phone runs (provisioner_learning.cc).
#include <gtest/gtest.h>

#include <functional>

#include "app/provisioner_fixture.h"
#include "core/text.h"

namespace stepup {
namespace {

class LearningBase : public ProvisionerTest {
 protected:
  // A 7970G enrolled with MAC, model and target only.
  Device AddUnknown(const std::string& protocol = "") {
    Device d;
    d.mac = "00270dc01c92";
    d.model = "CP-7970G";
    d.protocol = protocol;
    d.target = "SIP70.9-4-2SR1-1S";
    return *inv_->Add(d);
  }
  // Phones' pages as the hook answers them: the body, or nullopt (off).
  void Pages(std::optional<std::string> body) {
    Make({}, [this, body](ProvisionerConfig& c) {
      c.probe_phone = [this, body](const std::string& ip,
                                   std::function<void(std::optional<std::string>)> done) {
        probed_.push_back(ip);
        answers_.push_back([done, body] { done(body); });  // later, as a page answers
      };
    });
  }
  // The pages being read answer now (on this thread, no lock of the provisioner held).
  void Settle() {
    auto now = std::move(answers_);
    answers_.clear();
    for (auto& a : now) a();
  }
  void TearDown() override {
    Settle();
    ProvisionerTest::TearDown();
  }
  std::vector<std::string> probed_;
  std::vector<std::function<void()>> answers_;
};
using LearningTest = OneAndTwoNodes<LearningBase>;
INSTANTIATE_TEST_SUITE_P(Nodes, LearningTest, ::testing::Values(1, 2), NodesName);

TEST_P(LearningTest, ThePhonesOwnPageSaysWhatItRunsBeforeItsConfigIsAnswered) {
  Pages(
      "<DeviceInformation><MACAddress>00270DC01C92</MACAddress>"
      "<versionID>SCCP70.8-5-2S</versionID></DeviceInformation>");
  AddUnknown();
  Tftp("CTLSEP00270DC01C92.tlv", "127.0.0.30");  // the boot starts: its page is read
  Settle();
  ASSERT_EQ(probed_, std::vector<std::string>{"127.0.0.30"});
  EXPECT_EQ(Stored("00270dc01c92").firmware, "SCCP70.8-5-2S");
  EXPECT_EQ(Stored("00270dc01c92").firmware_source, "phone-page");
  Response r = Tftp("SEP00270DC01C92.cnf.xml", "127.0.0.30");
  EXPECT_EQ(r.ready, 0u);
  EXPECT_NE(r.body.find("<loadInformation>SIP70.9-4-2SR1-1S</loadInformation>"), std::string::npos)
      << r.body;
  EXPECT_EQ(probed_.size(), 1u);  // known now: not read again
}

TEST_P(LearningTest, AnotherPhonesPageTeachesNothing) {
  Pages(
      "<DeviceInformation><MACAddress>001122334455</MACAddress>"
      "<versionID>SCCP70.8-5-2S</versionID></DeviceInformation>");
  AddUnknown();
  Tftp("CTLSEP00270DC01C92.tlv", "127.0.0.30");
  EXPECT_EQ(Stored("00270dc01c92").state, kStateProbing);  // while its page is read
  Settle();
  EXPECT_EQ(Stored("00270dc01c92").firmware, "");
  EXPECT_EQ(Stored("00270dc01c92").state, kStateUnknownFirmware);
  auto kinds = Kinds(Stored("00270dc01c92"));
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "probe"), kinds.end());
}

TEST_P(LearningTest, WithNothingSafeToOfferAndNothingLearnedItIsStuckSayingWhatWasTried) {
  Pages(std::nullopt);  // web page off
  AddUnknown("sccp");   // SCCP candidates reach 9.4(2)SR3: the SIP 9.4(2)SR1 target is below
  for (int i = 0; i < 3; ++i) {
    Tftp("CTLSEP00270DC01C92.tlv", "127.0.0.31");
    Settle();
    Response r = Tftp("SEP00270DC01C92.cnf.xml", "127.0.0.31");
    EXPECT_EQ(r.status, 200);
  }
  Device d = Stored("00270dc01c92");
  EXPECT_EQ(d.state, kStateStuck) << d.state_detail;
  EXPECT_NE(d.state_detail.find("stayed unknown"), std::string::npos) << d.state_detail;
  EXPECT_NE(d.state_detail.find("its web page: none"), std::string::npos) << d.state_detail;
  EXPECT_FALSE(d.candidates.empty());
  EXPECT_TRUE(d.pending_load.empty());
}

TEST_P(LearningTest, AStalledHopAfterACreditAtASharedAddressReopensWhatItRuns) {
  // Behind NAT the hop to SCCP 8.5(2) was credited from downloads others there made too; the
  // phone then never takes the next hop. With a credit of its own the same phone is stuck.
  Pages(std::nullopt);
  for (const char* source : {"site-downloads", "installed"}) {
    Device d;
    d.mac = source[0] == 's' ? "00270dc01c92" : "00270dc01c93";
    d.model = "CP-7970G";
    d.target = "SIP70.9-4-2SR1-1S";
    d.firmware = "SCCP70.8-5-2S";
    d.firmware_source = source;
    ASSERT_TRUE(inv_->Add(d).ok());
    const std::string sep = "SEP" + ToUpper(d.mac) + ".cnf.xml";
    for (int i = 0; i < 4; ++i) {  // offered stuck_after (3) times, then once more
      Response r = Tftp(sep, "127.0.0.40");
      ASSERT_EQ(r.status, 200);
    }
    Device now = Stored(d.mac);
    auto kinds = Kinds(now);
    const bool doubted = std::find(kinds.begin(), kinds.end(), "firmware-doubted") != kinds.end();
    if (source[0] == 's') {
      EXPECT_TRUE(doubted);
      EXPECT_EQ(now.firmware, "");
      EXPECT_EQ(now.state, kStateUnknownFirmware) << now.state_detail;
      EXPECT_FALSE(now.candidates.empty());  // the loads that reject the stalled hop's key
      EXPECT_EQ(std::find(now.candidates.begin(), now.candidates.end(), "SCCP70.8-5-2S"),
                now.candidates.end());
      EXPECT_FALSE(now.pending_load.empty());  // walked on: an offer from what it may run
    } else {
      EXPECT_FALSE(doubted);
      EXPECT_EQ(now.firmware, "SCCP70.8-5-2S");
      EXPECT_EQ(now.state, kStateStuck) << now.state_detail;
    }
  }
}

TEST_P(LearningTest, BehindASharedAddressATargetOfferedAgainAndMetWithSilenceIsItsLoad) {
  // Two 7970s behind one address; the first is offered its target twice (its downloads were
  // credited to its neighbour) and then never asks again: it runs it. At an address of its
  // own the same silence teaches nothing.
  Pages(std::nullopt);
  auto add = [&](const std::string& mac) {
    Device d;
    d.mac = mac;
    d.model = "CP-7970G";
    d.target = "SIP70.9-4-2SR1-1S";
    d.firmware = "SCCP70.8-5-3S";
    d.firmware_source = "installed";
    EXPECT_TRUE(inv_->Add(d).ok());
  };
  add("00270dc01c92");
  add("00270dc01c93");
  add("00270dc01c94");
  Tftp("SEP00270DC01C93.cnf.xml", "127.0.0.41");  // the neighbour, at the same address
  for (int i = 0; i < 2; ++i) {
    Tftp("SEP00270DC01C92.cnf.xml", "127.0.0.41");
    Tftp("SEP00270DC01C94.cnf.xml", "127.0.0.42");  // alone at its address
  }
  ASSERT_EQ(Stored("00270dc01c92").pending_load, "SIP70.9-4-2SR1-1S");
  ASSERT_EQ(Stored("00270dc01c92").pending_offers, 2);
  now_ms_ += 27000;  // 28 s after its offer (each request above moved the clock 1 s)
  prov_->Sweep();
  EXPECT_EQ(Stored("00270dc01c92").state, kStateUpgrading);  // not yet: 30 s of silence
  now_ms_ += 3000;
  prov_->Sweep();
  Device shared = Stored("00270dc01c92");
  EXPECT_EQ(shared.state, kStateCurrent) << shared.state_detail;
  EXPECT_EQ(shared.firmware, "SIP70.9-4-2SR1-1S");
  EXPECT_EQ(shared.firmware_source, "site-downloads");
  EXPECT_TRUE(shared.pending_load.empty());
  auto kinds = Kinds(shared);
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "hop-completed"), kinds.end());
  Device alone = Stored("00270dc01c94");
  EXPECT_EQ(alone.state, kStateUpgrading);
  EXPECT_EQ(alone.firmware, "SCCP70.8-5-3S");
}

TEST_P(LearningTest, ASameBootRetryOfItsConfigurationIsNotAnAnswerToTheOffer) {
  // A busy server: the phone's TFTP client asks for its configuration again in the same boot
  // (no trust lists asked since the offer). It gets the same offer, counted once, and "it
  // asked again without fetching" is not inferred until it really booted again.
  Pages(std::nullopt);
  AddUnknown();
  Tftp("CTLSEP00270DC01C92.tlv");  // its boot is followed
  Settle();                        // (its page is off)
  Tftp("SEP00270DC01C92.cnf.xml");
  Device offered = Stored("00270dc01c92");
  ASSERT_FALSE(offered.pending_load.empty()) << offered.state_detail;
  ASSERT_EQ(offered.pending_offers, 1);
  now_ms_ += 20000;  // the retry comes 20 s later, as one did in a capped storm
  Tftp("SEP00270DC01C92.cnf.xml");
  Device retried = Stored("00270dc01c92");
  EXPECT_TRUE(retried.firmware.empty()) << "inferred from a retry: " << retried.firmware;
  EXPECT_EQ(retried.pending_load, offered.pending_load);
  EXPECT_EQ(retried.pending_offers, 1);
  // A new boot (trust lists first), still without fetching anything: now it runs the offer.
  Tftp("CTLSEP00270DC01C92.tlv");
  Tftp("SEP00270DC01C92.cnf.xml");
  Device rebooted = Stored("00270dc01c92");
  EXPECT_EQ(rebooted.firmware, offered.pending_load);
  EXPECT_EQ(rebooted.firmware_source, "inferred");
}

}  // namespace
}  // namespace stepup
