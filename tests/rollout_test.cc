// Rollout control end to end (issue 18, item 4): simulated SPA phones enrolled zero-touch in a
// paused group get their configuration and no upgrade; `stepup rollout resume` makes the
// running server ask each of them to resync (GET /admin/resync on its own address, as admin
// with the password its profile set), and they walk to their target at once.
#include <gtest/gtest.h>

#include <ctime>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>

#include "tests/server_process.h"

namespace stepup {
namespace {
namespace fs = std::filesystem;
using testing::Cli;
using testing::Curl;
using testing::Server;

class RolloutE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::FreshTestDir("rollout");
    fs::create_directories(dir_ / "data" / "firmware");
    for (const char* load : {"7.5.2b", "7.6.1"}) {
      ASSERT_EQ(Cli({"firmware", "fake", "--out", (dir_ / "data" / "firmware").string(), "--model",
                     "SPA504G", "--load", load, "--size", "4000"}),
                0);
    }
    std::string csv = "mac,serial,model,firmware,target\n";
    for (int i = 0; i < 3; ++i) {
      char mac[16];
      std::snprintf(mac, sizeof mac, "58bfea1105%02x", i);
      csv += std::string(mac) + ",CCQ1638100" + std::to_string(i) + ",SPA504G,7.3.7,7.6.1\n";
    }
    std::ofstream(dir_ / "fleet.csv") << csv;
    std::ofstream(dir_ / "enrol.csv") << testing::WithoutFirmware(csv);
    ASSERT_EQ(Cli({"device", "import", (dir_ / "enrol.csv").string(), "--data", Data()}), 0);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  std::string Data() const { return (dir_ / "data").string(); }
  nlohmann::json Group(Server& s, const std::string& name) {
    return nlohmann::json::parse(Curl(s.url("/api/v1/groups/" + name)).body, nullptr, false);
  }
  std::vector<nlohmann::json> Events(Server& s, const std::string& mac) {
    auto j = nlohmann::json::parse(Curl(s.url("/api/v1/devices/" + mac + "/history")).body,
                                   nullptr, false);
    return j.is_array() ? std::vector<nlohmann::json>(j.begin(), j.end())
                        : std::vector<nlohmann::json>{};
  }
  fs::path dir_;
};

TEST_F(RolloutE2E, APausedGroupWaitsAndResumingItBringsItsPhonesAtOnce) {
  ASSERT_EQ(Cli({"rollout", "create", "--data", Data(), "pilot", "--paused"}), 0);
  ASSERT_EQ(Cli({"rollout", "add", "--data", Data(), "pilot", "58bfea110500", "58bfea110501",
                 "58bfea110502"}),
            0);
  const int web_port = 23000 + ::getpid() % 1000;
  Server s(Data(), {"--probe-port", std::to_string(web_port)});
  auto args = s.SimulateArgs((dir_ / "fleet.csv").string(), web_port);
  args.insert(args.end(), {"--linger", "60"});
  auto sim = std::async(std::launch::async, [args] {
    std::string out;
    int rc = Cli(args, &out);
    return std::make_pair(rc, out);
  });
  // All three asked and were held back: configuration, no hop.
  ASSERT_TRUE(testing::WaitFor([&] { return Group(s, "pilot").value("held", 0) == 3; },
                               std::chrono::seconds(20)))
      << Group(s, "pilot");
  for (const char* mac : {"58bfea110500", "58bfea110501", "58bfea110502"}) {
    for (const auto& e : Events(s, mac)) EXPECT_NE(e["kind"], "hop-offered") << mac;
  }
  ASSERT_EQ(Cli({"rollout", "resume", "--data", Data(), "pilot"}), 0);
  auto [rc, out] = sim.get();  // they settle within the 60 s they linger, or fail
  auto report = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << out;
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(report["totals"]["by_status"]["current"], 3) << out;
  for (const auto& d : report["devices"]) {
    EXPECT_GE(d["resyncs"].get<int>(), 1) << d;  // woken by the server, not by a timer
    EXPECT_EQ(d["hops"].size(), 2u) << d;
  }
  for (const char* mac : {"58bfea110500", "58bfea110501", "58bfea110502"}) {
    auto events = Events(s, mac);
    int64_t sent = 0, first_offer = 0;
    for (const auto& e : events) {
      if (e["kind"] == "resync-sent" && !sent) sent = e["time"].get<int64_t>();
      if (e["kind"] == "hop-offered" && !first_offer) first_offer = e["time"].get<int64_t>();
    }
    EXPECT_GT(sent, 0) << mac;
    EXPECT_GE(first_offer, sent) << mac << ": a hop was offered before the group was resumed";
  }
  auto g = Group(s, "pilot");
  EXPECT_EQ(g["by_state"]["current"], 3) << g;
  const std::string metrics = Curl(s.url("/metrics")).body;
  EXPECT_NE(metrics.find("stepup_events_total{kind=\"resync-sent\"} 3\n"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("stepup_events_total{kind=\"rollout-held\"} 3\n"), std::string::npos)
      << metrics;
  EXPECT_EQ(g["held"], 0) << g;
}

TEST_F(RolloutE2E, AGroupTargetStopsItsPhonesThereAndCatalogUpdateSaysItIsBehind) {
  ASSERT_EQ(Cli({"rollout", "create", "--data", Data(), "stage", "--target", "7.5.2b"}), 0);
  ASSERT_EQ(Cli({"rollout", "add", "--data", Data(), "stage", "58bfea110500"}), 0);
  // The simulated phone's own goal is 7.5.2b; it would fail as "current" only if it got there.
  std::ofstream(dir_ / "one.csv") << "mac,serial,model,firmware,target\n"
                                  << "58bfea110500,CCQ16381000,SPA504G,7.3.7,7.5.2b\n";
  // The device's own target is latest: only the group's target stops it at 7.5.2b.
  ASSERT_EQ(Cli({"device", "set", "--data", Data(), "58bfea110500", "--target", "latest"}), 0);
  {
    Server s(Data());
    std::string out;
    auto args = s.SimulateArgs((dir_ / "one.csv").string(), 24000 + ::getpid() % 1000);
    ASSERT_EQ(Cli(args, &out), 0) << out;
    auto report = nlohmann::json::parse(out, nullptr, false);
    ASSERT_EQ(report["devices"][0]["final"], "7.5.2b") << out;
    EXPECT_EQ(report["devices"][0]["hops"].size(), 1u) << out;
  }
  // A newer catalog file with a release after 7.6.1 (a made-up test release, in a test file).
  std::ofstream(dir_ / "newer.toml") << testing::kInventedSpaRelease;
  std::string out;
  ASSERT_EQ(Cli({"catalog", "update", (dir_ / "newer.toml").string(), "--data", Data(), "--json"},
                &out),
            0)
      << out;
  auto j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << out;
  ASSERT_EQ(j["added"].size(), 1u) << out;
  EXPECT_EQ(j["added"][0]["load"], "7.6.9");
  ASSERT_EQ(j["groups_behind"].size(), 1u) << out;
  EXPECT_EQ(j["groups_behind"][0]["name"], "stage");
  EXPECT_EQ(j["groups_behind"][0]["behind"][0]["newest"], "7.6.9") << out;
  EXPECT_TRUE(fs::exists(dir_ / "data" / "catalog.d" / "newer.toml"));
  // The data directory's commands now see it.
  ASSERT_EQ(Cli({"rollout", "list", "--data", Data(), "--json"}, &out), 0);
  EXPECT_NE(out.find("7.6.9"), std::string::npos) << out;
  // A file that does not merge changes nothing and says why.
  std::ofstream(dir_ / "broken.toml") << "[[load]]\nfamily = \"spa50x-30x\"\nload = \"x\"\n";
  EXPECT_EQ(Cli({"catalog", "update", (dir_ / "broken.toml").string(), "--data", Data()}), 2);
  EXPECT_FALSE(fs::exists(dir_ / "data" / "catalog.d" / "broken.toml"));
}

}  // namespace
}  // namespace stepup
