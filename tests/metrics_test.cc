// /metrics (issue 18, item 3): the exposition is parsed by Prometheus's own Python parser
// (python3-prometheus-client), and its counters move as simulated phones walk their chains.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/server_process.h"

namespace stepup {
namespace {
namespace fs = std::filesystem;
using testing::Cli;
using testing::Curl;
using testing::Server;

// Every sample as {"name{labels as JSON}": value}, or a parse error from the real parser.
constexpr const char* kParse = R"py(
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = {}
for family in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in family.samples:
        out[s.name + json.dumps(s.labels, sort_keys=True)] = s.value
print(json.dumps(out))
)py";

// The Debian package installs the parser for the system's Python (/usr/bin/python3), which a
// python3 earlier in PATH (pyenv, a venv) may not see.
std::string Python() { return fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3"; }

class MetricsE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::Sh(Python() + " -c \"import prometheus_client\"") != 0)
      GTEST_SKIP() << "python3-prometheus-client is not installed (scripts/bootstrap installs it)";
    dir_ = testing::FreshTestDir("metrics");
    fs::create_directories(dir_ / "data" / "firmware");
    for (const char* load : {"7.5.2b", "7.6.1"}) {
      ASSERT_EQ(Cli({"firmware", "fake", "--out", (dir_ / "data" / "firmware").string(), "--model",
                     "SPA504G", "--load", load, "--size", "20000"}),
                0);
    }
    std::string csv = "mac,serial,model,firmware,target\n";
    for (int i = 0; i < 4; ++i) {
      char mac[16];
      std::snprintf(mac, sizeof mac, "58bfea1104%02x", i);
      csv += std::string(mac) + ",CCQ1638000" + std::to_string(i) + ",SPA504G,7.3.7,7.6.1\n";
    }
    std::ofstream(dir_ / "fleet.csv") << csv;
    std::ofstream(dir_ / "enrol.csv") << testing::WithoutFirmware(csv);
    std::ofstream(dir_ / "parse.py") << kParse;
    ASSERT_EQ(Cli({"device", "import", (dir_ / "enrol.csv").string(), "--data", Data()}), 0);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  std::string Data() const { return (dir_ / "data").string(); }
  // Scrapes and parses; fails the test on a parse error.
  nlohmann::json Scrape(Server& s) {
    auto f = Curl(s.url("/metrics"));
    EXPECT_EQ(f.status, 200);
    std::ofstream(dir_ / "scrape.txt") << f.body;
    std::string parsed = testing::ShOut(Python() + " " + (dir_ / "parse.py").string() + " " +
                                        (dir_ / "scrape.txt").string() + " 2>&1");
    auto j = nlohmann::json::parse(parsed, nullptr, false);
    EXPECT_TRUE(j.is_object()) << "the Prometheus parser refused it: " << parsed << "\n" << f.body;
    return j.is_object() ? j : nlohmann::json::object();
  }
  static double At(const nlohmann::json& m, const std::string& key) {
    return m.contains(key) ? m[key].get<double>() : 0;
  }
  fs::path dir_;
};

TEST_F(MetricsE2E, CountersMoveAsPhonesWalkAndAgreeWithEachOther) {
  Server s(Data());
  nlohmann::json before = Scrape(s);
  EXPECT_EQ(At(before, R"(stepup_devices{"state": "new"})"), 4);
  EXPECT_EQ(At(before, R"(stepup_events_total{"kind": "hop-offered"})"), 0);
  std::string out;
  ASSERT_EQ(Cli(s.SimulateArgs((dir_ / "fleet.csv").string(), 22000 + ::getpid() % 1000), &out),
            0)
      << out;
  auto report = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << out;
  EXPECT_EQ(report["totals"]["by_status"]["current"], 4) << out;
  nlohmann::json after = Scrape(s);
  // Every phone took two hops: 7.5.2b, then 7.6.1.
  EXPECT_GE(At(after, R"(stepup_events_total{"kind": "hop-offered"})"), 8);
  EXPECT_EQ(At(after, R"(stepup_events_total{"kind": "hop-completed"})"), 8);
  EXPECT_EQ(At(after, R"(stepup_devices{"state": "current"})"), 4);
  EXPECT_EQ(At(after, R"(stepup_devices{"state": "new"})"), 0);
  // HTTP answers: profiles and images; the factory-fresh phones' first file came over TFTP.
  const double http_ok = At(after, R"(stepup_requests_total{"status": "200", "transport": "http"})");
  EXPECT_GE(http_ok, 4 * 3);
  EXPECT_GE(At(after, R"(stepup_requests_total{"status": "200", "transport": "tftp"})"), 4);
  // Bytes: at least the eight images of 20,000 bytes.
  EXPECT_GE(At(after, R"(stepup_response_bytes_total{"transport": "http"})"), 8 * 20000);
  // The histogram counts every HTTP request once: its count is the sum of the statuses (the
  // scrape before this one is in it too, and this scrape itself is counted after it answers).
  double http_all = 0;
  for (const auto& [k, v] : after.items()) {
    if (k.starts_with("stepup_requests_total") && k.find(R"("transport": "http")") != std::string::npos)
      http_all += v.get<double>();
  }
  EXPECT_EQ(At(after, R"(stepup_request_duration_seconds_count{"transport": "http"})"), http_all);
  EXPECT_EQ(At(after, R"(stepup_request_duration_seconds_bucket{"le": "+Inf", "transport": "http"})"),
            http_all);
  EXPECT_EQ(At(after, "stepup_transfers_in_flight{}"), 0);  // all done
}

// Issue 18, item 4: with --max-downloads 1, four phones that each need two hops still all get
// there, and the server's own gauge says no two transfers were ever in flight at once.
TEST_F(MetricsE2E, ADownloadCapHoldsAndEveryPhoneStillGetsThere) {
  Server s(Data(), {"--max-downloads", "1"});
  std::string out;
  ASSERT_EQ(Cli(s.SimulateArgs((dir_ / "fleet.csv").string(), 22500 + ::getpid() % 500), &out),
            0)
      << out;
  auto report = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << out;
  EXPECT_EQ(report["totals"]["by_status"]["current"], 4) << out;
  nlohmann::json after = Scrape(s);
  EXPECT_EQ(At(after, R"(stepup_events_total{"kind": "hop-completed"})"), 8);
  EXPECT_EQ(At(after, "stepup_transfers_in_flight_max{}"), 1);
}

}  // namespace
}  // namespace stepup
