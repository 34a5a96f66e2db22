// Transport escalation end to end (issue 17, seed 003's bootstrap problem): factory-fresh
// simulated phones reach the server over plain TFTP/HTTP first; `stepup serve --https` moves
// them to HTTPS and sends their secrets only there. Asserted on the server's own record of
// every answer that carried secrets (secrets-sent events), not on the simulator's word.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/server_process.h"
#include "tests/test_certs.h"

namespace stepup {
namespace {
namespace fs = std::filesystem;
using testing::Cert;
using testing::Cli;
using testing::Issue;
using testing::IssueNamed;
using testing::Key;
using testing::NewKey;
using testing::Pem;
using testing::Server;
using testing::WithoutFirmware;

constexpr const char* kSpa = "58bfea1104e6";
constexpr const char* kMpp = "00562b043615";

class EscalationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::FreshTestDir("escalation");
    fs::create_directories(dir_ / "data" / "firmware");
    const std::time_t now = std::time(nullptr), day = 86400;
    Key ca_k = NewKey(), srv_k = NewKey();
    Cert ca = Issue("Test Provisioning CA", ca_k, nullptr, ca_k, now - day, now + 365 * day, true);
    Cert srv = IssueNamed({{"CN", "127.0.0.1"}}, srv_k, ca.get(), ca_k, now - day,
                          now + 365 * day, false, "IP:127.0.0.1");
    Write("ca.pem", Pem({ca.get()}));
    Write("server.pem", Pem({srv.get()}));
    Write("server.key", testing::KeyPem(srv_k));
    for (auto [model, load] : {std::pair{"SPA504G", "7.5.2b"}, std::pair{"SPA504G", "7.6.1"},
                               std::pair{"CP-8841-3PCC", ""}}) {
      std::vector<std::string> args = {"firmware", "fake", "--out", (dir_ / "data" / "firmware").string(),
                                       "--model", model, "--size", "3000"};
      if (*load) args.insert(args.end(), {"--load", load});
      ASSERT_EQ(Cli(args), 0) << model;
    }
    // The phones' truth for the simulator; the operator enrols MAC, model and target only.
    const std::string csv =
        "mac,serial,model,firmware,protocol,target,sip_password\n"
        "58bfea1104e6,CCQ16380FYH,SPA504G,7.3.7,,7.6.1,s3cret-spa\n"
        "00562b043615,FCH1932A3BC,CP-8841-3PCC,sip88xx.11-0-1MPP-376,mpp,,s3cret-mpp\n";
    Write("fleet.csv", csv);
    Write("enrol.csv", WithoutFirmware(csv));
    ASSERT_EQ(Cli({"device", "import", File("enrol.csv"), "--data", Data()}), 0);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }
  std::string File(const std::string& name) const { return (dir_ / name).string(); }
  std::string Data() const { return (dir_ / "data").string(); }

  // Serves with HTTPS, runs the fleet; the simulator's report. `tls_ca`: the server hands
  // its CA out (/ca.pem, Custom_CA_Rule: MPP phones install it); `factory_ca`: the phones
  // trust the server's CA from the factory (as SPA phones trust Cisco's server CA).
  nlohmann::json Run(bool tls_ca, bool factory_ca) {
    std::vector<std::string> args = {"--https", "127.0.0.1:0", "--tls-cert", File("server.pem"),
                                     "--tls-key", File("server.key")};
    if (tls_ca) args.insert(args.end(), {"--tls-ca", File("ca.pem")});
    Server srv(Data(), args);
    EXPECT_GT(srv.https_port(), 0);
    std::string out;
    std::vector<std::string> sim = srv.SimulateArgs(File("fleet.csv"), 21000 + ::getpid() % 1000);
    if (factory_ca) sim.insert(sim.end(), {"--phone-ca", File("ca.pem")});
    EXPECT_EQ(Cli(sim, &out), 0) << out;
    srv.process().Kill(SIGTERM);
    EXPECT_EQ(srv.process().Wait(15000), 0);
    return nlohmann::json::parse(out, nullptr, false);
  }
  // A device that ended on HTTPS: every answer with its secrets went there.
  void EndedOnHttps(const char* mac) {
    SCOPED_TRACE(mac);
    auto shown = Show(mac);
    EXPECT_EQ(shown.value("transport", ""), "https");
    EXPECT_EQ(Transports(shown, "transport-escalated").size(), 1u) << shown["events"].dump(1);
    EXPECT_EQ(Transports(shown, "transport-https"), std::vector<std::string>{"https"});
    EXPECT_EQ(Transports(shown, "secrets-sent"), std::vector<std::string>{"https"})
        << shown["events"].dump(1);
    // Its first requests were plain (the bootstrap problem), its last over HTTPS.
    std::vector<std::string> requests = Transports(shown, "request");
    ASSERT_FALSE(requests.empty());
    EXPECT_NE(requests.front(), "https");
    EXPECT_EQ(requests.back(), "https");
  }
  // A device that could not verify the server: walked, offered HTTPS, never given its secrets.
  void StayedOffered(const char* mac) {
    SCOPED_TRACE(mac);
    auto shown = Show(mac);
    EXPECT_EQ(shown.value("transport", ""), "https-offered");
    EXPECT_TRUE(Transports(shown, "secrets-sent").empty()) << shown["events"].dump(1);
    EXPECT_TRUE(Transports(shown, "transport-https").empty());
  }
  nlohmann::json Show(const std::string& mac) {
    std::string out;
    EXPECT_EQ(Cli({"device", "show", mac, "--json", "--data", Data()}, &out), 0);
    return nlohmann::json::parse(out, nullptr, false);
  }
  // The transports of a kind of event in a device's history.
  std::vector<std::string> Transports(const nlohmann::json& shown, const std::string& kind) {
    std::vector<std::string> out;
    for (const auto& e : shown["events"]) {
      if (e.value("kind", "") == kind) out.push_back(e.value("transport", ""));
    }
    return out;
  }
  fs::path dir_;
};

TEST_F(EscalationTest, AnMppPhoneInstallsTheServersCaAndEndsOnHttps) {
  auto report = Run(/*tls_ca=*/true, /*factory_ca=*/false);
  ASSERT_TRUE(report.is_object());
  EXPECT_EQ(report["totals"]["by_status"]["current"], 2) << report.dump(1);
  EndedOnHttps(kMpp);
  StayedOffered(kSpa);  // SPA profiles carry no Custom_CA_Rule: no source gives SPA one
}

TEST_F(EscalationTest, PhonesThatTrustTheServersCaFromTheFactoryEndOnHttps) {
  auto report = Run(/*tls_ca=*/false, /*factory_ca=*/true);
  ASSERT_TRUE(report.is_object());
  EXPECT_EQ(report["totals"]["by_status"]["current"], 2) << report.dump(1);
  EndedOnHttps(kSpa);
  EndedOnHttps(kMpp);
}

TEST_F(EscalationTest, PhonesThatCannotVerifyTheServerWalkOnWithoutTheirSecrets) {
  auto report = Run(/*tls_ca=*/false, /*factory_ca=*/false);
  ASSERT_TRUE(report.is_object());
  EXPECT_EQ(report["totals"]["by_status"]["current"], 2) << report.dump(1);
  StayedOffered(kSpa);
  StayedOffered(kMpp);
}

}  // namespace
}  // namespace stepup
