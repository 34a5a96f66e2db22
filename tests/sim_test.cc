// End-to-end zero-touch tests: `stepup serve` and `stepup simulate` as real processes on
// loopback, with fake images from `stepup firmware fake`. The phones move only on what the
// server tells them, and install only what their own behaviour table lets them.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sim/sim_nat.h"
#include "tests/server_process.h"

namespace stepup {
namespace {
namespace fs = std::filesystem;
using testing::Cli;
using testing::Server;
using testing::WithoutFirmware;

class SimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("stepup-sim-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "data" / "firmware");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Data() const { return (dir_ / "data").string(); }
  std::string Firmware() const { return (dir_ / "data" / "firmware").string(); }

  // Fleet file handed to the simulator (its `firmware` column is what each phone really
  // runs); the operator enrols the same phones zero-touch: MAC, model and target, the
  // firmware column left empty, so enterprise phones are learned, never told.
  std::string Fleet(const std::string& csv) {
    std::string path = (dir_ / "fleet.csv").string();
    std::ofstream(path) << csv;
    std::string enrol = (dir_ / "enrol.csv").string();
    std::ofstream(enrol) << WithoutFirmware(csv);
    EXPECT_EQ(Cli({"device", "import", enrol, "--data", Data()}), 0);
    return path;
  }
  void Fake(const std::string& model, const std::string& load, const std::string& key = "") {
    std::vector<std::string> args = {"firmware", "fake", "--out",  Firmware(),
                                     "--model",  model,  "--size", "3000"};
    if (!load.empty()) args.insert(args.end(), {"--load", load});
    if (!key.empty()) args.insert(args.end(), {"--signed-with", key});
    ASSERT_EQ(Cli(args), 0) << model << " " << load;
  }
  // Runs the fleet against a fresh server; returns the simulator's JSON and its exit code.
  nlohmann::json Simulate(const std::string& fleet, int* exit_code,
                          std::vector<std::string> extra = {}) {
    // The phones' web pages are on (the factory default), where the server learns what an
    // enterprise phone runs.
    const int web_port = 21000 + ::getpid() % 1000;
    Server srv(Data(), {"--stuck-after", "3", "--probe-port", std::to_string(web_port)});
    EXPECT_GT(srv.port(), 0) << srv.process().WaitFor("never");
    std::vector<std::string> args = srv.SimulateArgs(fleet, web_port);
    args.insert(args.end(), extra.begin(), extra.end());
    std::string out;
    *exit_code = Cli(args, &out);
    srv.process().Kill(SIGTERM);  // drains: the access log and batched events are written
    EXPECT_EQ(srv.process().Wait(15000), 0);
    auto j = nlohmann::json::parse(out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << out;
    return j;
  }
  nlohmann::json Show(const std::string& key) {
    std::string out;
    EXPECT_EQ(Cli({"device", "show", key, "--json", "--data", Data()}, &out), 0);
    return nlohmann::json::parse(out, nullptr, false);
  }
  static std::vector<std::string> Hops(const nlohmann::json& d) {
    std::vector<std::string> out;
    for (const auto& h : d["hops"]) out.push_back(h["load"]);
    return out;
  }
  fs::path dir_;
};

TEST_F(SimTest, SeventyNineSeventyWalksSeed000ChainOverTftp) {
  // Seed 000: the operator has the 8.5(2) and 8.5(3) SCCP images and the SIP 9.4(2)SR1 one.
  for (const char* load : {"SCCP70.8-5-2S", "SCCP70.8-5-3S", "SIP70.9-4-2SR1-1S"})
    Fake("CP-7970G", load);
  std::string fleet = Fleet(
      "mac,model,firmware,protocol,target\n00270dc01c92,CP-7970G,SIP70.8-2-1S,sip,SIP70.9-4-2SR1-"
      "1S\n");
  int code = -1;
  auto j = Simulate(fleet, &code);
  ASSERT_EQ(j["devices"].size(), 1u) << j.dump();
  const auto& d = j["devices"][0];
  EXPECT_EQ(code, 0) << j.dump(2);
  EXPECT_EQ(d["status"], "current") << d.dump(2);
  EXPECT_EQ(d["final"], "SIP70.9-4-2SR1-1S");
  // Through the old-key bridge: a factory SIP 8.2(1) phone refuses new-key images.
  ASSERT_FALSE(d["hops"].empty());
  EXPECT_EQ(d["hops"][0]["load"], "SCCP70.8-5-2S");
  EXPECT_EQ(Hops(d).back(), "SIP70.9-4-2SR1-1S");
  nlohmann::json shown = Show("00270dc01c92");
  EXPECT_EQ(shown["state"], "current");
  EXPECT_EQ(shown["firmware"], "SIP70.9-4-2SR1-1S");
}

TEST_F(SimTest, FactoryFreshSpa504GBootstrapsOverTftpThenWalks737To761OverHttp) {
  Fake("SPA504G", "7.5.2b");
  Fake("SPA504G", "7.6.1");
  std::string fleet =
      Fleet("mac,serial,model,firmware,target\n58bfea1104e6,CCQ16380FYH,SPA504G,7.3.7,7.6.1\n");
  int code = -1;
  auto j = Simulate(fleet, &code);
  const auto& d = j["devices"][0];
  EXPECT_EQ(code, 0) << j.dump(2);
  EXPECT_EQ(d["status"], "current");
  EXPECT_EQ(Hops(d), (std::vector<std::string>{"7.5.2b", "7.6.1"}));
  nlohmann::json shown = Show("58bfea1104e6");
  EXPECT_EQ(shown["state"], "current");
  bool bootstrap_over_tftp = false, identified_over_http = false;
  for (const auto& e : shown["events"]) {
    std::string detail = e["detail"];
    if (e["kind"] == "request" && e["transport"] == "http" &&
        detail.find("/cfg/58bfea1104e6.xml") != std::string::npos)
      identified_over_http = true;
  }
  // The model-only request carries no identity, so it is in the access log, not the history.
  std::ifstream log(dir_ / "data" / "access.log");
  std::string line;
  while (std::getline(log, line)) {
    if (line.find("tftp") != std::string::npos && line.find("spa504G.cfg") != std::string::npos &&
        line.find("status=200") != std::string::npos)
      bootstrap_over_tftp = true;
  }
  EXPECT_TRUE(bootstrap_over_tftp);
  EXPECT_TRUE(identified_over_http);
}

TEST_F(SimTest, SeventyNineFortyOneFromFactory832ReachesTheLatestLoad) {
  Fake("CP-7941G", "");
  std::string fleet = Fleet("mac,model,firmware,protocol\n001b2a893698,CP-7941G,8.3(2),sccp\n");
  int code = -1;
  auto j = Simulate(fleet, &code);
  const auto& d = j["devices"][0];
  EXPECT_EQ(code, 0) << j.dump(2);
  EXPECT_EQ(d["status"], "current");
  EXPECT_EQ(d["final"], d["target"]);
  ASSERT_GE(d["hops"].size(), 2u);  // no new-key image installs from 8.3(2)
  EXPECT_EQ(Show("001b2a893698")["state"], "current");
}

TEST_F(SimTest, WithoutTheBridgeImageThePhoneStaysAndTheServerSaysNoPath) {
  Fake("CP-7970G", "SIP70.9-4-2SR1-1S");  // the target, but no old-key bridge
  std::string fleet = Fleet(
      "mac,model,firmware,protocol,target\n00270dc01c92,CP-7970G,SIP70.8-2-1S,sip,SIP70.9-4-2SR1-"
      "1S\n");
  int code = -1;
  auto j = Simulate(fleet, &code);
  const auto& d = j["devices"][0];
  EXPECT_EQ(code, 1);
  EXPECT_EQ(d["status"], "no-path");
  EXPECT_EQ(d["final"], "SIP70.8-2-1S");
  EXPECT_TRUE(d["hops"].empty());
  nlohmann::json shown = Show("00270dc01c92");
  EXPECT_EQ(shown["state"], "no-path");
  std::string why = shown["state_detail"];
  EXPECT_NE(why.find("is a needed bridge"), std::string::npos) << why;  // names one to add
  EXPECT_NE(why.find("accepts only images signed with 79xx-old"), std::string::npos) << why;
}

TEST_F(SimTest, AnImageSignedWithARejectedKeyEndsStuckWithinNAttempts) {
  // The operator's SIP 9.4(2)SR1 image carries the old key, which a phone on 8.5(3) no longer
  // accepts: it refuses the .loads (AUTH FAIL) and never fetches the images.
  Fake("CP-7970G", "SIP70.9-4-2SR1-1S", "79xx-old");
  std::string fleet = Fleet(
      "mac,model,firmware,protocol,target\n00270dc01c92,CP-7970G,SCCP70.8-5-3S,sip,SIP70.9-4-2SR1-"
      "1S\n");
  int code = -1;
  auto j = Simulate(fleet, &code);
  const auto& d = j["devices"][0];
  EXPECT_EQ(code, 1);
  EXPECT_EQ(d["status"], "stuck") << d.dump(2);
  EXPECT_NE(d["reason"].get<std::string>().find("AUTH FAIL"), std::string::npos);
  EXPECT_TRUE(d["hops"].empty());
  nlohmann::json shown = Show("00270dc01c92");
  EXPECT_EQ(shown["state"], "stuck");
  EXPECT_NE(shown["state_detail"].get<std::string>().find("AUTH FAIL signature"), std::string::npos)
      << shown["state_detail"];
  int offers = 0;
  for (const auto& e : shown["events"]) offers += e["kind"] == "hop-offered";
  EXPECT_EQ(offers, 3);  // --stuck-after 3: detected on the fourth boot, never offered again
}

TEST_F(SimTest, MppPhoneAndLossyTftpAndUnknownPhoneInOneFleet) {
  Fake("CP-8841-3PCC", "");
  Fake("CP-7941G", "");
  std::string path = (dir_ / "fleet.csv").string();
  Fleet(
      "mac,serial,model,firmware,protocol\n00562b043615,FCH1932A3BC,CP-8841-3PCC,sip88xx.11-0-1MPP-"
      "376,mpp\n"
      "001b2a893698,,CP-7941G,8.3(2),sccp\n");
  std::ofstream(path, std::ios::app) << "0002fdff2103,,SPA504G,7.3.7,\n";  // not imported
  int code = -1;
  auto j = Simulate(path, &code, {"--loss", "0.1", "--seed", "7"});
  ASSERT_EQ(j["devices"].size(), 3u);
  EXPECT_EQ(code, 1);
  EXPECT_EQ(j["devices"][0]["status"], "current") << j["devices"][0].dump(2);
  EXPECT_EQ(j["devices"][1]["status"], "current") << j["devices"][1].dump(2);
  EXPECT_EQ(j["devices"][2]["status"], "failed");
  EXPECT_NE(j["devices"][2]["reason"].get<std::string>().find("refused"), std::string::npos);
  EXPECT_EQ(j["totals"]["phones"], 3);
  EXPECT_EQ(j["totals"]["by_status"]["current"], 2);
  EXPECT_GT(j["totals"]["requests"].get<int>(), 10);
}

TEST_F(SimTest, AFleetBehindOneNatAddressWithRecycledPortsReachesItsTargets) {
  // A site behind one NAT address: the server sees one address for every phone, and the NAT
  // hands a TFTP port another phone used a moment ago to the next transfer (16 ports here).
  Fake("SPA504G", "7.5.2b");
  Fake("SPA504G", "7.6.1");
  Fake("CP-8841-3PCC", "");
  std::string csv = "mac,serial,model,firmware,protocol,target\n";
  // (Enterprise phones behind NAT, whose image downloads name no device, are walked in
  // ZeroTouchTest's "behind NAT" run.)
  for (int i = 10; i < 30; ++i)
    csv += "58bfea1104" + std::to_string(i) + ",CCQ163800" + std::to_string(i) +
           ",SPA504G,7.3.7,,7.6.1\n";
  csv += "00562b043615,FCH1932A3BC,CP-8841-3PCC,sip88xx.11-0-1MPP-376,mpp,\n";
  int code = -1;
  auto j = Simulate(Fleet(csv), &code, {"--nat", "1", "--nat-ports", "16", "--concurrency", "8"});
  EXPECT_EQ(code, 0) << j.dump(2);
  EXPECT_EQ(j["totals"]["by_status"]["current"], 21) << j.dump(2);
  // Every request came from 127.3.0.1; TFTP from ports of the NAT's pool, some twice.
  std::ifstream log(dir_ / "data" / "access.log");
  std::string line;
  std::map<std::string, int> tftp_ports;
  int lines = 0, other = 0;
  while (std::getline(log, line)) {
    const size_t at = line.find("peer=");
    if (at == std::string::npos) continue;
    ++lines;
    if (line.compare(at + 5, 10, "127.3.0.1:") != 0) ++other;
    if (line.find(" tftp ") != std::string::npos)
      ++tftp_ports[line.substr(at + 15, line.find(' ', at) - at - 15)];
  }
  EXPECT_GT(lines, 20);
  EXPECT_EQ(other, 0);
  int reused = 0;
  for (const auto& [port, n] : tftp_ports) {
    EXPECT_GE(std::atoi(port.c_str()), sim::kNatFirstPort) << port;
    EXPECT_LT(std::atoi(port.c_str()), sim::kNatFirstPort + 16) << port;
    reused += n > 1;
  }
  EXPECT_GT(reused, 0);
}

TEST_F(SimTest, APhoneReusingItsTftpPortsAfterEachRebootStillWalksItsChain) {
  // Each boot's first TFTP transfer comes from port 40000 again, for the same trust-list file.
  Fake("CP-7941G", "");
  std::string fleet = Fleet("mac,model,firmware,protocol\n001b2a893698,CP-7941G,8.3(2),sccp\n");
  int code = -1;
  auto j = Simulate(fleet, &code, {"--reuse-ports"});
  const auto& d = j["devices"][0];
  EXPECT_EQ(code, 0) << j.dump(2);
  EXPECT_EQ(d["status"], "current") << d.dump(2);
  ASSERT_GE(d["hops"].size(), 2u);
  std::ifstream log(dir_ / "data" / "access.log");
  std::string line;
  int first_port = 0;
  while (std::getline(log, line))
    first_port += line.find(" tftp peer=127.1.0.1:40000 ") != std::string::npos;
  EXPECT_GE(first_port, 3) << "one a boot";
}

}  // namespace
}  // namespace stepup
