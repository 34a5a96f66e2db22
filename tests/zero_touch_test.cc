// Zero touch as an operator with a thousand phones does it: MAC, model and target, nothing
// else. `stepup serve` and `stepup simulate` as real processes on loopback; the simulated
// enterprise phones never say what they run over TFTP, and the server learns it from their web
// pages, their syslog, or what they do with what it offers.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/version.h"
#include "tests/server_process.h"

namespace stepup {
namespace {
namespace fs = std::filesystem;
using testing::Cli;
using testing::Server;
using testing::WithoutFirmware;

// The seed scenarios: what each phone really runs (the simulator's truth) and its target.
constexpr const char* kFleet =
    "mac,serial,model,firmware,protocol,target\n"
    "00270dc01c92,,CP-7970G,SIP70.8-2-1S,sip,SIP70.9-4-2SR1-1S\n"  // seed 000
    "00270dc01c93,,CP-7970G,8.2(1),sip,SIP70.9-4-2SR1-1S\n"        // seed 000, by version
    "001b2a893698,,CP-7941G,8.3(2),sccp,latest\n"                  // seed 001
    "001b2a893699,,CP-7961G,8.3(2),sccp,latest\n"                  // seed 001
    "001b2a89369a,,CP-7945G,SCCP45.8-3-2S,sccp,latest\n"           // seed 001's family
    "58bfea1104e6,CCQ16380FYH,SPA504G,7.3.7,,7.6.1\n"              // seed 003
    "00562b043615,FCH1932A3BC,CP-8841-3PCC,sip88xx.11-0-1MPP-376,mpp,latest\n";

// kSite: the whole fleet behind one NAT address whose TFTP ports are recycled (16 here), so
// image downloads, which name no phone, come from the one address every phone shares, and the
// phones' pages cannot be reached through it.
enum class Mode { kFirmwareKnown, kWebOn, kWebOff, kWebOffSyslog, kSite };
const char* Name(Mode m) {
  switch (m) {
    case Mode::kFirmwareKnown:
      return "firmware known";
    case Mode::kWebOn:
      return "web on";
    case Mode::kWebOff:
      return "web off";
    case Mode::kWebOffSyslog:
      return "web off, syslog";
    case Mode::kSite:
      return "behind NAT";
  }
  return "";
}

constexpr Mode kModes[] = {Mode::kFirmwareKnown, Mode::kWebOn, Mode::kWebOff, Mode::kWebOffSyslog,
                           Mode::kSite};

struct Outcome {
  nlohmann::json sim;                            // the simulator's report
  std::map<std::string, nlohmann::json> server;  // device show, by MAC
};

class ZeroTouchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() /
            ("stepup-zt-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
    fs::create_directories(base_);
    std::ofstream(base_ / "fleet.csv") << kFleet;
    // What the operator enrols: the same file, the firmware column empty.
    std::ofstream(base_ / "enrol.csv") << WithoutFirmware(kFleet);
  }
  void TearDown() override { fs::remove_all(base_); }

  Outcome Run(Mode mode) {
    const fs::path data = base_ / Name(mode);
    fs::create_directories(data / "firmware");
    const bool known = mode == Mode::kFirmwareKnown;
    EXPECT_EQ(Cli({"device", "import", (base_ / (known ? "fleet.csv" : "enrol.csv")).string(),
                   "--data", data.string()}),
              0);
    for (const char* m :
         {"CP-7970G", "CP-7941G", "CP-7961G", "CP-7945G", "SPA504G", "CP-8841-3PCC"}) {
      EXPECT_EQ(Cli({"firmware", "fake", "--out", (data / "firmware").string(), "--model", m,
                     "--size", "2000"}),
                0);
    }
    const int web_port = 18000 + static_cast<int>(::getpid() % 1000);
    const int syslog_port = 19000 + static_cast<int>(::getpid() % 1000);
    std::vector<std::string> serve = {"--probe-port", std::to_string(web_port), "--learn-after",
                                      "1"};
    if (mode == Mode::kWebOffSyslog)
      serve.insert(serve.end(), {"--syslog", "127.0.0.1:" + std::to_string(syslog_port)});
    Server srv(data.string(), serve);
    EXPECT_GT(srv.port(), 0) << srv.process().WaitFor("never");
    std::vector<std::string> args = srv.SimulateArgs((base_ / "fleet.csv").string(), web_port);
    if (mode == Mode::kWebOff || mode == Mode::kWebOffSyslog)
      args.insert(args.end(), {"--web-off-share", "1"});
    if (mode == Mode::kWebOffSyslog)
      args.insert(args.end(), {"--syslog", "127.0.0.1:" + std::to_string(syslog_port)});
    if (mode == Mode::kSite) args.insert(args.end(), {"--nat", "1", "--nat-ports", "16"});
    std::string out;
    Outcome o;
    EXPECT_EQ(Cli(args, &out), 0) << Name(mode) << ": " << out;
    o.sim = nlohmann::json::parse(out, nullptr, false);
    srv.process().Kill(SIGTERM);
    EXPECT_EQ(srv.process().Wait(15000), 0);
    for (const auto& d : o.sim["devices"]) {
      std::string show;
      std::string mac = d["mac"];
      EXPECT_EQ(Cli({"device", "show", mac, "--json", "--data", data.string()}, &show), 0);
      o.server[mac] = nlohmann::json::parse(show, nullptr, false);
    }
    return o;
  }
  fs::path base_;
};

// Every load the server offered a phone, each with what the phone ran then (its start, then
// each hop it completed).
std::vector<std::pair<std::string, std::string>> Offered(const nlohmann::json& device,
                                                         std::string running) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& e : device["events"]) {
    std::string d = e["detail"];
    if (e["kind"] == "hop-completed") running = d;
    if (e["kind"] == "hop-offered") out.emplace_back(d.substr(0, d.find(' ')), running);
  }
  return out;
}

TEST_F(ZeroTouchTest, SeedPhonesEnrolledWithModelAndTargetOnlyReachTheirTargets) {
  std::map<Mode, Outcome> runs;
  for (Mode m : kModes) runs[m] = Run(m);
  std::printf("%-14s %-14s %-22s %6s %6s %6s %6s %6s\n", "mac", "model", "start", "known", "web",
              "no web", "syslog", "NAT");
  for (size_t i = 0; i < runs[Mode::kFirmwareKnown].sim["devices"].size(); ++i) {
    const auto& known = runs[Mode::kFirmwareKnown].sim["devices"][i];
    const std::string mac = known["mac"];
    std::vector<int> boots;
    for (Mode m : kModes) {
      SCOPED_TRACE(std::string(Name(m)) + " " + mac);
      const auto& d = runs[m].sim["devices"][i];
      ASSERT_EQ(d["mac"], mac);
      EXPECT_EQ(d["status"], "current") << d.dump();
      boots.push_back(d["boots"]);
      // The server's record agrees with the phone.
      const auto& rec = runs[m].server[mac];
      EXPECT_EQ(rec["state"], "current") << rec.dump(1);
      auto final_v = ParseVersion(d["final"].get<std::string>());
      auto rec_v = ParseVersion(rec["firmware"].is_string() ? rec["firmware"].get<std::string>()
                                                            : std::string("?"));
      ASSERT_TRUE(final_v.ok() && rec_v.ok()) << rec.dump(1);
      EXPECT_EQ(Compare(*final_v, *rec_v), 0) << d["final"] << " vs " << rec["firmware"];
      // Never a downgrade: every offer at least what the phone ran when it was made.
      for (const auto& [load, running] : Offered(rec, d["start"])) {
        auto v = ParseVersion(load);
        auto r = ParseVersion(running);
        ASSERT_TRUE(v.ok() && r.ok()) << load << " / " << running;
        EXPECT_GE(Compare(*v, *r), 0) << load << " offered to a phone on " << running;
      }
    }
    std::printf("%-14s %-14s %-22s %6d %6d %6d %6d %6d\n", mac.c_str(),
                known["model"].get<std::string>().c_str(),
                known["start"].get<std::string>().c_str(), boots[0], boots[1], boots[2], boots[3],
                boots[4]);
    // Reboots: with web access off at most one more than with the firmware known.
    for (size_t m = 1; m < boots.size(); ++m) EXPECT_LE(boots[m], boots[0] + 1) << mac;
  }
  // Learning is recorded with its source.
  const auto& page = runs[Mode::kWebOn].server["001b2a893698"];
  bool from_page = false;
  for (const auto& e : page["events"])
    from_page |= e["kind"] == "firmware-learned" &&
                 e["detail"].get<std::string>().find("phone-page") != std::string::npos;
  EXPECT_TRUE(from_page) << page.dump(1);
  const auto& narrowed = runs[Mode::kWebOff].server["00270dc01c92"];
  bool auth_fail = false;
  for (const auto& e : narrowed["events"]) auth_fail |= e["kind"] == "firmware-narrowed";
  EXPECT_TRUE(auth_fail) << narrowed.dump(1);
}

}  // namespace
}  // namespace stepup
