// A known MAC is not enough: the provisioner's identity check and probe guard, end to end
// through Handle (app/identity_check.h, app/probe_guard.h).
#include <gtest/gtest.h>

#include "app/provisioner_fixture.h"

namespace stepup {
namespace {

bool HasSecret(const Response& r, const std::string& mac) {
  return r.body.find("pw-" + mac) != std::string::npos ||
         r.body.find("adm-" + mac) != std::string::npos;
}

class SecretsTest : public ProvisionerTest {
 protected:
  std::vector<Event> Mismatches(const Device& d) {
    std::vector<Event> out;
    auto events = inv_->Events(d.id);
    for (const auto& e : *events) {
      if (e.kind == "identity-mismatch") out.push_back(e);
    }
    return out;
  }
  // A device with a line password "pw-<mac>", targeting the latest release.
  Device Enrol(const std::string& mac, const std::string& serial, const std::string& model) {
    Device d;
    d.mac = mac;
    d.serial = serial;
    d.model = model;
    d.settings = {{"sip_password", "pw-" + mac}};
    return *inv_->Add(d);
  }
  void Limits(int slow, int refuse) {
    Make({}, [slow, refuse](ProvisionerConfig& c) {
      c.probe_limits.slow_after = slow;
      c.probe_limits.block_after = refuse;
    });
  }
};

TEST_F(SecretsTest, RequestsThatOnlyKnowTheMacGetNoSecretAndEachLeavesAMismatchEvent) {
  const Device d = AddSpa();
  const std::string mac = d.mac;
  struct Case {
    const char* what;
    Response r;
  } cases[] = {
      {"browser", Get("/cfg/58bfea1104e6.xml", "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0")},
      {"no User-Agent", Get("/cfg/58bfea1104e6.xml", "", "127.0.0.14")},
      {"invented serial", Get("/cfg/58bfea1104e6.xml",
                              "Cisco/SPA504G-7.3.7 (58BFEA1104E6)(CCQ99999XYZ)", "127.0.0.11")},
      {"another model's User-Agent",
       Get("/cfg/58bfea1104e6.xml", "Cisco/SPA525G-7.4.9 (58BFEA1104E6)(CCQ16380FYH)")},
      {"TFTP flat profile", Tftp("cfg/58bfea1104e6.xml", "127.0.0.12")},
      {"TFTP enterprise file name for an SPA", Tftp("SEP58BFEA1104E6.cnf.xml", "127.0.0.13")},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_FALSE(HasSecret(c.r, mac)) << c.r.body;
    EXPECT_NE(c.r.reason.find("identity mismatch"), std::string::npos) << c.r.reason;
  }
  // A flat-profile phone gets the bootstrap profile that brings it back identified.
  EXPECT_EQ(cases[0].r.status, 200);
  EXPECT_NE(cases[0].r.body.find("<Profile_Rule"), std::string::npos);
  auto ev = Mismatches(d);
  ASSERT_EQ(ev.size(), std::size(cases));
  // A browser's User-Agent names no phone: the same as none (from one address, one event
  // with repeats; here they came from two).
  EXPECT_NE(ev[0].detail.find("no User-Agent naming the phone"), std::string::npos) << ev[0].detail;
  EXPECT_NE(ev[1].detail.find("no User-Agent naming the phone"), std::string::npos) << ev[1].detail;
  EXPECT_NE(ev[2].detail.find("does not match the inventory's"), std::string::npos) << ev[2].detail;
  EXPECT_NE(ev[2].detail.find("from 127.0.0.11"), std::string::npos) << ev[2].detail;
  EXPECT_NE(ev[3].detail.find("names model SPA525G"), std::string::npos) << ev[3].detail;
  EXPECT_NE(ev[5].detail.find("is not one a SPA504G asks for"), std::string::npos) << ev[5].detail;
  // None of them moved the device, nor tied their address to it.
  EXPECT_EQ(Stored().state, kStateNew);
  EXPECT_TRUE(Stored().pending_load.empty());

  // The phone itself still gets its secrets and its hop.
  Response real = Get("/spa504G.cfg", Spa("7.3.7"));
  EXPECT_TRUE(HasSecret(real, mac)) << real.body;
  EXPECT_EQ(Stored().pending_load, "7.5.2b");
}

TEST_F(SecretsTest, ASerialIsLearnedFromTheFirstAgreeingRequestAndRequiredAfter) {
  const Device d = Enrol("58bfea1104e7", "", "SPA504G");
  Response first = Get("/spa504G.cfg", "Cisco/SPA504G-7.3.7 (58BFEA1104E7)(CCQ1638AAAA)");
  EXPECT_TRUE(HasSecret(first, d.mac)) << first.body;
  EXPECT_EQ(Stored(d.mac).serial, "CCQ1638AAAA");
  auto kinds = Kinds(d);
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "serial-learned"), kinds.end());
  Response other = Get("/spa504G.cfg", "Cisco/SPA504G-7.3.7 (58BFEA1104E7)(CCQ1638BBBB)");
  EXPECT_FALSE(HasSecret(other, d.mac)) << other.body;
  EXPECT_EQ(Stored(d.mac).serial, "CCQ1638AAAA");
}

TEST_F(SecretsTest, MppPhoneWithARecordedSerialComesBackWithItBeforeItsSecretsGoOut) {
  const Device d = Enrol("00562b043615", "FCH1932A3BC", "CP-8841-3PCC");
  const std::string ua = "Cisco-CP-8841-3PCC/11.0 (00562b043615)";
  // The model file first: its User-Agent carries no serial, so the bootstrap profile...
  Response boot = Get("/8841-3PCC.xml", ua);
  EXPECT_FALSE(HasSecret(boot, d.mac));
  EXPECT_NE(boot.body.find("$SN"), std::string::npos) << boot.body;
  // ...brings it back with $SN in the URL.
  Response full = Get("/cfg/00562b043615.xml?sn=FCH1932A3BC&sw=11-0-1MPP-376", ua);
  EXPECT_TRUE(HasSecret(full, d.mac)) << full.body;
}

TEST_F(SecretsTest, EnterprisePhoneGetsSecretsOverTftpOnlyWhenItsBootWasFollowed) {
  const Device d = AddEnterprise();
  const std::string sep = "SEP00270DC01C92.cnf.xml";
  // Straight to the config from an address that asked for no trust list: the walk goes on
  // (the next load is named) but without secrets, and the history says why.
  Response cold = Tftp(sep, "127.0.0.20");
  ASSERT_EQ(cold.status, 200) << cold.reason;
  EXPECT_FALSE(HasSecret(cold, d.mac)) << cold.body;
  EXPECT_NE(cold.body.find("<loadInformation"), std::string::npos) << cold.body;
  ASSERT_EQ(Mismatches(d).size(), 1u);
  EXPECT_NE(Mismatches(d)[0].detail.find("no boot followed"), std::string::npos);
  // The phone's own boot: trust lists, then its config, from one address.
  EXPECT_EQ(Tftp("CTLSEP00270DC01C92.tlv", "127.0.0.21").status, 404);
  EXPECT_EQ(Tftp("ITLSEP00270DC01C92.tlv", "127.0.0.21").status, 404);
  Response warm = Tftp(sep, "127.0.0.21");
  EXPECT_TRUE(HasSecret(warm, d.mac)) << warm.body;
  // Another address naming the same file still gets none.
  EXPECT_FALSE(HasSecret(Tftp(sep, "127.0.0.22"), d.mac));
  // Over HTTP, without a followed boot, an enterprise config is refused outright.
  Response browser = Get("/" + sep, "Mozilla/5.0", "127.0.0.23");
  EXPECT_EQ(browser.status, 403);
  EXPECT_FALSE(HasSecret(browser, d.mac));
}

TEST_F(SecretsTest, TftpSecretsOffWithholdsThemEvenFromAFollowedBootWithoutCallingItAMismatch) {
  Make({}, [](ProvisionerConfig& c) { c.tftp_secrets = TftpSecrets::kOff; });
  const Device d = AddEnterprise();
  Tftp("CTLSEP00270DC01C92.tlv", "127.0.0.21");
  Response r = Tftp("SEP00270DC01C92.cnf.xml", "127.0.0.21");
  ASSERT_EQ(r.status, 200);
  EXPECT_FALSE(HasSecret(r, d.mac)) << r.body;
  EXPECT_NE(r.body.find("<loadInformation"), std::string::npos);
  EXPECT_TRUE(Mismatches(d).empty());
}

TEST_F(SecretsTest, AProberIsSlowedThenRefusedWhileOtherAddressesAreServed) {
  Limits(5, 20);
  AddSpa();
  std::vector<Response> answers;
  for (int i = 0; i < 40; ++i) {
    char mac[13];
    std::snprintf(mac, sizeof mac, "001b2a%06x", 0x100000 + i * 7919);
    answers.push_back(Get("/cfg/" + std::string(mac) + ".xml", "", "127.0.0.66"));
  }
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(answers[i].status, 403);
    EXPECT_EQ(answers[i].delay_ms, 0) << i;
  }
  for (int i = 5; i < 19; ++i) {
    EXPECT_EQ(answers[i].status, 403);
    EXPECT_GT(answers[i].delay_ms, answers[i - 1].delay_ms) << i;
  }
  for (int i = 20; i < 40; ++i) EXPECT_EQ(answers[i].status, 429) << i;
  // Refused means everything, even a request that would pass the identity check...
  EXPECT_EQ(Get("/spa504G.cfg", Spa("7.3.7"), "127.0.0.66").status, 429);
  // ...while the phone at its own address is served as ever.
  Response real = Get("/spa504G.cfg", Spa("7.3.7"), "127.0.0.10");
  EXPECT_EQ(real.status, 200);
  EXPECT_EQ(real.delay_ms, 0);
  EXPECT_TRUE(HasSecret(real, "58bfea1104e6"));
  // The log holds the first five one by one, then summaries: bounded.
  auto unknown = *inv_->UnknownAttempts();
  size_t one_by_one = 0, summaries = 0;
  for (const auto& a : unknown) (a.event.kind == "throttled" ? summaries : one_by_one)++;
  EXPECT_EQ(one_by_one, 5u);
  EXPECT_GE(summaries, 1u);
  EXPECT_LE(summaries, 7u);  // refused at the 20th, then powers of two of 21 refusals
  // After the refusal ends the address starts afresh.
  now_ms_ += 11 * 60 * 1000;
  EXPECT_EQ(Get("/spa504G.cfg", Spa("7.3.7"), "127.0.0.66").status, 200);
}

}  // namespace
}  // namespace stepup
