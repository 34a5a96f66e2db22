// Issue 20 in the fast tier: PostgreSQL, three stepup nodes and nginx (the deploy example) on
// loopback, and a small zero-touch storm through it (enrolled with MAC, model and target only;
// the 7970s over TFTP to node 1, SPA and MPP phones over HTTP through nginx). Node 3 is killed
// while the phones walk: every phone still reaches its target, and every hop a phone installed
// is a hop-completed event in the database. bench/storm-nodes runs the same with 5,000 phones.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "tests/nginx_lb.h"
#include "tests/postgres_server.h"
#include "tests/server_process.h"

namespace stepup {
namespace {
namespace fs = std::filesystem;

TEST(FleetNodesE2E, PhonesWalkThroughThreeNodesAndLoseNothingWhenOneDies) {
  if (!testing::Have("nginx")) GTEST_SKIP() << "nginx is not installed (scripts/bootstrap)";
  std::string db;
  STEPUP_PG_DATABASE(db);
  const fs::path dir = testing::FreshTestDir("stepup-fleet-nodes");
  fs::permissions(dir, fs::perms::all, fs::perm_options::add);  // nginx's worker is nobody
  // The fleet as the phones are, and as the operator enrols them (no firmware).
  std::ofstream fleet(dir / "fleet.csv"), enrol(dir / "enrol.csv");
  fleet << "mac,serial,model,firmware,protocol,target\n";
  enrol << "mac,serial,model,protocol,target\n";
  const int n = 45;
  for (int i = 0; i < n; ++i) {
    char mac[16];
    std::snprintf(mac, sizeof mac, "0203%08x", i);
    const std::string serial = i % 3 == 1   ? "CCQ" + std::to_string(10000000 + i)
                               : i % 3 == 2 ? "FCH" + std::to_string(10000000 + i)
                                            : "";
    const char* model = i % 3 == 0 ? "CP-7970G" : i % 3 == 1 ? "SPA504G" : "CP-8841-3PCC";
    const char* firmware = i % 3 == 0   ? "SIP70.8-2-1S"
                           : i % 3 == 1 ? "7.3.7"
                                        : "sip88xx.11-0-1MPP-376";
    const char* protocol = i % 3 == 0 ? "sip" : i % 3 == 1 ? "" : "mpp";
    const char* target = i % 3 == 0 ? "SIP70.9-4-2SR1-1S" : i % 3 == 1 ? "7.6.1" : "latest";
    fleet << mac << "," << serial << "," << model << "," << firmware << "," << protocol << ","
          << target << "\n";
    enrol << mac << "," << serial << "," << model << "," << protocol << "," << target << "\n";
  }
  fleet.close();
  enrol.close();
  ASSERT_EQ(testing::Cli({"device", "import", (dir / "enrol.csv").string(), "--db", db}), 0);
  const fs::path images = dir / "firmware";
  for (const char* m : {"CP-7970G", "SPA504G", "CP-8841-3PCC"})
    ASSERT_EQ(testing::Cli({"firmware", "fake", "--out", images.string(), "--model", m, "--size",
                            "16384"}),
              0);
  // Three nodes on the database, behind nginx: profiles send the phones back through it.
  const int lb_port = testing::FreeLoopbackPort(), web_port = testing::FreeLoopbackPort();
  std::vector<std::unique_ptr<testing::Server>> nodes;
  std::vector<int> ports;
  for (int i = 1; i <= 3; ++i) {
    const fs::path data = dir / ("node" + std::to_string(i));
    fs::create_directories(data);
    fs::copy(images, data / "firmware", fs::copy_options::recursive);
    nodes.push_back(std::make_unique<testing::Server>(
        data.string(),
        std::vector<std::string>{"--db", db, "--public-url",
                                 "http://127.0.0.1:" + std::to_string(lb_port), "--trusted-proxy",
                                 "127.0.0.1", "--accel-redirect", "/_stepup_firmware/",
                                 "--probe-port", std::to_string(web_port), "--threads", "2"}));
    ASSERT_GT(nodes.back()->port(), 0);
    ports.push_back(nodes.back()->port());
  }
  testing::NginxLb lb(dir, ports, images, lb_port);
  ASSERT_EQ(lb.why(), "");

  std::string out;
  int code = -1;
  std::thread storm([&] {
    code = testing::Cli({"simulate", "--fleet", (dir / "fleet.csv").string(), "--http",
                         lb.url(""), "--tftp", "127.0.0.1:" + std::to_string(nodes[0]->tftp_port()),
                         "--web-port", std::to_string(web_port), "--web-off-share", "0.25",
                         "--concurrency", std::to_string(n), "--json"},
                        &out);
  });
  // Node 3 dies once it has answered phones (its access log is written every 200 ms).
  const fs::path log3 = dir / "node3" / "access.log";
  const bool served = testing::WaitFor(
      [&] { return testing::Slurp(log3).find("device=02") != std::string::npos; },
      std::chrono::seconds(30));
  nodes[2]->process().Kill(SIGKILL);
  storm.join();
  EXPECT_TRUE(served) << "node 3 answered no phone before it was killed";
  ASSERT_EQ(code, 0) << out.substr(0, 3000);
  auto sim = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(sim.is_object()) << out.substr(0, 2000);
  std::map<std::string, int> installed;
  for (const auto& d : sim["devices"]) {
    EXPECT_EQ(d["status"], "current") << d.dump();
    installed[d["mac"].get<std::string>()] = static_cast<int>(d["hops"].size());
  }
  ASSERT_EQ(installed.size(), static_cast<size_t>(n));
  // Every hop a phone installed is in the database (nothing acknowledged was lost).
  const fs::path dump = dir / "fleet.jsonl";
  ASSERT_EQ(testing::Cli({"db", "export", "--db", db, "--out", dump.string()}), 0);
  std::map<int64_t, std::string> macs;
  std::map<std::string, int> recorded;
  std::ifstream in(dump);
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.value("type", "") == "device") macs[j["id"].get<int64_t>()] = j["mac"];
    if (j.value("type", "") == "event" && j.value("kind", "") == "hop-completed")
      ++recorded[macs[j["device"].get<int64_t>()]];
  }
  int total = 0;
  for (const auto& [mac, hops] : installed) {
    EXPECT_GE(recorded[mac], hops) << mac;
    total += hops;
  }
  EXPECT_GE(total, n);  // the phones did walk (two hops for most)
  fs::remove_all(dir);
}

}  // namespace
}  // namespace stepup
