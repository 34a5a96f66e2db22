// The staging bench end to end (issue 19): 50 mixed phones boot against `stepup serve
// --bench`; the SPA and MPP phones join the bench by themselves, the two enterprise phones are
// enrolled with MAC, model and target. They reach their targets and are handed off (the
// simulated phones then ask the production URL, served here by another process, and never come
// back); the enterprise phone's hand-off names the DHCP change; a phone stuck on a mis-signed
// image and one without a path are reported with their reasons; a phone reset after its
// hand-off is reported as returned; and the report (CSV, JSON, HTML in headless Chromium)
// agrees with what the simulator saw.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "tests/server_process.h"

namespace stepup {
namespace {
namespace fs = std::filesystem;
using testing::Cli;
using testing::Curl;
using testing::Server;

// A production provisioning server: serves a directory, logs "GET <client ip> <path>" to a file
// (not to the pipe the test reads its port from: nothing reads that pipe afterwards).
constexpr const char* kProduction = R"py(
import functools, http.server, sys
log = open(sys.argv[2], "a")
http.server.ThreadingHTTPServer.request_queue_size = 256  # 47 phones at once (default: 5)
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, fmt, *args):
        log.write("GET %s %s\n" % (self.client_address[0], self.path)); log.flush()
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(H, directory=sys.argv[1]))
sys.stderr.write("port %d\n" % srv.server_address[1]); sys.stderr.flush()
srv.serve_forever()
)py";

std::string ProductionPython() {
  return fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

class BenchE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::FreshTestDir("bench");
    fs::create_directories(dir_ / "data" / "firmware");
    fs::create_directories(dir_ / "prod");
    fs::create_directories("test-output");
    const std::string fw = (dir_ / "data" / "firmware").string();
    auto fake = [&](const std::string& model, const std::string& load, const std::string& key) {
      std::vector<std::string> args = {"firmware", "fake", "--out", fw, "--model", model,
                                       "--size", "3000"};
      if (!load.empty()) args.insert(args.end(), {"--load", load});
      if (!key.empty()) args.insert(args.end(), {"--signed-with", key});
      ASSERT_EQ(Cli(args), 0) << model << " " << load;
    };
    fake("SPA504G", "7.5.2b", "");
    fake("SPA504G", "7.6.1", "");
    fake("CP-8841-3PCC", "", "");
    fake("CP-7941G", "", "");
    fake("CP-7970G", "SIP70.9-4-2SR1-1S", "79xx-old");  // mis-signed: AUTH FAIL on 8.5(3)
    // The fleet's truth: 26 SPA504G and 21 MPP 8841 (they join the bench by themselves), a
    // SPA525G whose images the operator lacks, a 7941G and a 7970G enrolled by MAC and model.
    std::string csv = "mac,serial,model,firmware,protocol,target\n";
    for (int i = 0; i < 26; ++i) {
      char mac[16];
      std::snprintf(mac, sizeof mac, "58bfea12%04x", i);
      csv += std::string(mac) + ",CCQ1640" + std::to_string(1000 + i) + ",SPA504G,7.3.7,,7.6.1\n";
    }
    for (int i = 0; i < 21; ++i) {
      char mac[16];
      std::snprintf(mac, sizeof mac, "00562b05%04x", i);
      csv += std::string(mac) + ",FCH1940" + std::to_string(1000 + i) +
             ",CP-8841-3PCC,sip88xx.11-0-1MPP-376,mpp,latest\n";
    }
    csv += "e05fb9000001,CBT1500ABC1,SPA525G,7.4.4,,latest\n";
    csv += "001b2a893698,,CP-7941G,8.3(2),sccp,latest\n";
    csv += "00270dc01c92,,CP-7970G,SCCP70.8-5-3S,sip,SIP70.9-4-2SR1-1S\n";
    std::ofstream(dir_ / "fleet.csv") << csv;
    std::ofstream(dir_ / "production.py") << kProduction;
    prod_ = std::make_unique<testing::Child>(std::vector<std::string>{
        ProductionPython(), "-u", (dir_ / "production.py").string(), (dir_ / "prod").string(),
        (dir_ / "production.log").string()});
    const std::string up = prod_->WaitFor("\n");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(up, m, std::regex("port ([0-9]+)"))) << up;
    prod_url_ = "http://127.0.0.1:" + m[1].str() + "/production.xml";
    // Production's profile: no upgrade, its own rule.
    std::ofstream(dir_ / "prod" / "production.xml")
        << "<flat-profile>\n<Profile_Rule ua=\"na\">" << prod_url_
        << "</Profile_Rule>\n<Upgrade_Enable ua=\"na\">No</Upgrade_Enable>\n</flat-profile>\n";
    // The bench's group: the SPA target, and where its phones go next.
    ASSERT_EQ(Cli({"rollout", "create", "--data", Data(), "bench", "--target", "7.6.1", "--set",
                   "handoff_url=" + prod_url_, "--set", "handoff_call_control=cucm.example.net",
                   "--set", "handoff_tftp=10.1.1.5"}),
              0);
    for (const auto& [mac, model, target] :
         std::vector<std::tuple<std::string, std::string, std::string>>{
             {"001b2a893698", "CP-7941G", "latest"},
             {"00270dc01c92", "CP-7970G", "SIP70.9-4-2SR1-1S"}}) {
      std::vector<std::string> add = {"device", "add", "--data", Data(), "--mac", mac, "--model",
                                      model, "--target", target, "--set", "group=bench"};
      if (model == "CP-7970G") add.insert(add.end(), {"--protocol", "sip"});
      ASSERT_EQ(Cli(add), 0) << mac;
    }
  }
  void TearDown() override {
    prod_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  std::string Data() const { return (dir_ / "data").string(); }
  nlohmann::json Report(const std::string& format) {
    std::string out;
    EXPECT_EQ(Cli({"report", "--data", Data(), "--group", "bench", "--format", format}, &out), 0);
    return format == "json" ? nlohmann::json::parse(out, nullptr, false) : nlohmann::json(out);
  }
  fs::path dir_;
  std::unique_ptr<testing::Child> prod_;
  std::string prod_url_;
};

TEST_F(BenchE2E, FiftyPhonesReachTargetAreHandedOffAndTheReportSaysWhatTheSimulatorSaw) {
  const int web_port = 26000 + ::getpid() % 1000;
  std::map<std::string, nlohmann::json> sim;
  {
    Server s(Data(), {"--bench", "bench", "--probe-port", std::to_string(web_port)});
    std::string out;
    Cli(s.SimulateArgs((dir_ / "fleet.csv").string(), web_port), &out);
    auto report = nlohmann::json::parse(out, nullptr, false);
    ASSERT_TRUE(report.is_object()) << out;
    for (const auto& d : report["devices"]) sim[d["mac"]] = d;
    ASSERT_EQ(sim.size(), 50u);
    EXPECT_EQ(report["totals"]["by_status"]["current"], 48) << report["totals"];
    for (const auto& [mac, d] : sim) EXPECT_NE(d["status"], "failed") << d;
    EXPECT_EQ(sim["00270dc01c92"]["status"], "stuck") << sim["00270dc01c92"];
    EXPECT_EQ(sim["e05fb9000001"]["status"], "no-path") << sim["e05fb9000001"];
    // Every SPA/MPP phone's last profile came from production, not from the bench.
    int from_production = 0;
    for (const auto& [mac, d] : sim) {
      if (d["status"] == "current" && d["model"] != "CP-7941G") {
        EXPECT_EQ(d["profile_from"], prod_url_) << d;
        ++from_production;
      }
    }
    EXPECT_EQ(from_production, 47);
    // ...and production saw each of them ask, from its own address.
    const std::string log = testing::Slurp(dir_ / "production.log");
    std::set<std::string> askers;
    std::regex get("GET (127\\.[0-9.]+) /production\\.xml");
    for (std::sregex_iterator it(log.begin(), log.end(), get), end; it != end; ++it)
      askers.insert((*it)[1].str());
    EXPECT_EQ(askers.size(), 47u) << log.substr(0, 2000);
    // No secret went out on the bench: the auto-enrolled phones have none, the enrolled ones'
    // were withheld.
    auto audit = nlohmann::json::parse(Curl(s.url("/api/v1/audit")).body, nullptr, false);
    for (const auto& d : audit["devices"]) {
      for (const auto& f : d["findings"]) EXPECT_NE(f["id"], "secrets-plain") << d;
    }
  }
  // The report, as CSV and JSON, against the simulator's account.
  const std::string csv = Report("csv").get<std::string>();
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "mac,serial,model,hardware,start,final,hops,result,seconds,first_seen,finished,group,"
            "reason");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 51);
  nlohmann::json rep = Report("json");
  ASSERT_TRUE(rep.is_object());
  ASSERT_EQ(rep["devices"].size(), 50u);
  for (const auto& r : rep["devices"]) {
    const std::string mac = r["mac"];
    ASSERT_TRUE(sim.count(mac)) << mac;
    const auto& d = sim[mac];
    EXPECT_EQ(r["final"], d["final"]) << mac;
    EXPECT_EQ(r["hops"].size(), d["hops"].size()) << mac << " " << r << " " << d;
    EXPECT_EQ(r["start"], d["start"]) << mac;
    if (d["status"] == "current") {
      EXPECT_EQ(r["result"], "handed-off") << r;
      EXPECT_GT(r["seconds"].get<double>(), 0) << r;
    }
    // The simulated phone's csv line says the same.
    EXPECT_NE(csv.find(mac + ","), std::string::npos) << mac;
  }
  EXPECT_EQ(rep["totals"]["by_result"]["handed-off"], 48);
  auto row = [&](const std::string& mac) {
    for (const auto& r : rep["devices"])
      if (r["mac"] == mac) return r;
    return nlohmann::json();
  };
  EXPECT_EQ(row("00270dc01c92")["result"], "stuck");
  EXPECT_NE(row("00270dc01c92")["reason"].get<std::string>().find("AUTH FAIL"), std::string::npos);
  EXPECT_EQ(row("e05fb9000001")["result"], "no-path");
  EXPECT_NE(row("e05fb9000001")["reason"].get<std::string>().find("firmware repository"),
            std::string::npos)
      << row("e05fb9000001");
  // The enterprise phone's hand-off names its call control and the DHCP change to make.
  EXPECT_NE(row("001b2a893698")["reason"].get<std::string>().find("DHCP option 150"),
            std::string::npos);
  EXPECT_NE(row("001b2a893698")["reason"].get<std::string>().find("10.1.1.5"), std::string::npos);

  // What to obtain: the SPA525G's images, for that one phone.
  std::string needed;
  ASSERT_EQ(Cli({"firmware", "needed", "--data", Data(), "--json"}, &needed), 0);
  auto need = nlohmann::json::parse(needed, nullptr, false);
  ASSERT_TRUE(need.is_array()) << needed;
  bool spa525 = false;
  for (const auto& n : need) {
    if (n["model"] != "SPA525G") continue;
    spa525 = true;
    EXPECT_EQ(n["unblocks"], nlohmann::json::array({"e05fb9000001"})) << n;
    EXPECT_FALSE(n["files"].empty()) << n;
  }
  EXPECT_TRUE(spa525) << needed;
  // A buyer's lot, before any phone is on the bench: SPA504Gs on 7.3.7 need the 7.5.2b bridge
  // only if it is missing; here it is on hand, so only the lot's 7970G on SIP 8.2(1) needs
  // its old-key bridge.
  std::ofstream(dir_ / "lot.csv") << "mac,model,firmware,protocol,target\n"
                                  << "58bfea12ffff,SPA504G,7.3.7,,7.6.1\n"
                                  << "00270dc0ffff,CP-7970G,SIP70.8-2-1S,sip,SIP70.9-4-2SR1-1S\n";
  ASSERT_EQ(Cli({"firmware", "needed", "--data", Data(), "--fleet", (dir_ / "lot.csv").string(),
                 "--json"},
                &needed),
            0);
  need = nlohmann::json::parse(needed, nullptr, false);
  ASSERT_TRUE(need.is_array()) << needed;
  std::set<std::string> models;
  for (const auto& n : need) {
    models.insert(n["model"].get<std::string>());
    EXPECT_EQ(n["unblocks"].size(), 1u) << n;
  }
  EXPECT_EQ(models, std::set<std::string>{"CP-7970G"}) << needed;

  // A phone reset after its hand-off asks the bench again: reported as returned.
  {
    Server s(Data(), {"--bench", "bench"});
    std::ofstream(dir_ / "reset.csv") << "mac,serial,model,firmware,target\n"
                                      << "58bfea120003,CCQ16401003,SPA504G,7.6.1,7.6.1\n";
    std::string out;
    Cli(s.SimulateArgs((dir_ / "reset.csv").string(), web_port + 1), &out);
  }
  rep = Report("json");
  ASSERT_TRUE(rep.is_object());
  EXPECT_EQ(row("58bfea120003")["result"], "returned") << row("58bfea120003");
  EXPECT_EQ(rep["totals"]["by_result"]["handed-off"], 47);

  // The printable page, in a real browser.
  const std::string html = Report("html").get<std::string>();
  const fs::path page = dir_ / "report.html";
  std::ofstream(page) << html;
  std::string browser;
  for (const char* b : {"chromium", "chromium-browser", "google-chrome"})
    if (browser.empty() && testing::Have(b)) browser = b;
  if (browser.empty()) GTEST_SKIP() << "no chromium (scripts/bootstrap installs it)";
  // A profile of its own: another test's Chromium (ctest -j2) must not hold this one's lock.
  const std::string flags = " --headless --no-sandbox --disable-gpu --disable-dev-shm-usage "
                            "--user-data-dir=" + (dir_ / "chromium").string() +
                            " --virtual-time-budget=5000 ";
  const std::string dom =
      testing::ShOut(browser + flags + "--dump-dom file://" + page.string() + " 2>/dev/null");
  EXPECT_NE(dom.find("data-phones=\"50\""), std::string::npos) << dom.substr(0, 2000);
  EXPECT_NE(dom.find("data-key=\"handed-off\" data-count=\"47\""), std::string::npos);
  EXPECT_NE(dom.find("data-key=\"returned\" data-count=\"1\""), std::string::npos);
  EXPECT_NE(dom.find("data-key=\"CP-8841-3PCC\" data-count=\"21\""), std::string::npos);
  const fs::path shot = fs::current_path() / "test-output" / "bench-report.png";
  fs::remove(shot);
  testing::Sh(browser + flags + "--hide-scrollbars --window-size=1280,1600 --screenshot=" +
              shot.string() + " file://" + page.string() + " >/dev/null 2>&1");
  EXPECT_TRUE(fs::exists(shot) && fs::file_size(shot) > 10000) << shot;
}

}  // namespace
}  // namespace stepup
