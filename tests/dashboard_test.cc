// The dashboard (/ui/, issue 18 item 2) in headless Chromium against a server with a simulated
// fleet in the middle of its migration: the counts the page shows are the API's, the phone
// without a path is listed with its missing bridge, and a device page shows its timeline.
// Screenshots go to test-output/ in the build directory.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "tests/server_process.h"

namespace stepup {
namespace {
namespace fs = std::filesystem;
using testing::Cli;
using testing::Curl;
using testing::Quote;
using testing::Server;

std::string Browser() {
  for (const char* b : {"chromium", "chromium-browser", "google-chrome"}) {
    if (testing::Have(b)) return b;
  }
  return "";
}

class DashboardE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    browser_ = Browser();
    if (browser_.empty()) GTEST_SKIP() << "no chromium (scripts/bootstrap installs it)";
    dir_ = testing::FreshTestDir("dashboard");
    fs::create_directories(dir_ / "data" / "firmware");
    fs::create_directories("test-output");
    // Images for the SPA chain's last hop only: a phone on 7.3.7 has no path (the bridge
    // 7.5.2b is missing).
    ASSERT_EQ(Cli({"firmware", "fake", "--out", (dir_ / "data" / "firmware").string(), "--model",
                   "SPA504G", "--load", "7.6.1", "--size", "5000"}),
              0);
    // The walked part of the fleet: three phones on 7.5.2b go to 7.6.1, one on 7.3.7 cannot.
    std::string walked = "mac,serial,model,firmware,target\n";
    for (int i = 0; i < 3; ++i) {
      walked += "58bfea11040" + std::to_string(i) + ",CCQ163800" + std::to_string(i) +
                "0,SPA504G,7.5.2b,7.6.1\n";
    }
    walked += "58bfea110409,CCQ16380090,SPA504G,7.3.7,7.6.1\n";
    std::ofstream(dir_ / "walked.csv") << walked;
    // Enrolled too, never booted yet: two more SPA phones and an MPP phone.
    std::string all = testing::WithoutFirmware(walked) + "58bfea110410,CCQ1638010X,SPA504G,,7.6.1\n" +
                      "58bfea110411,CCQ1638011X,SPA504G,,7.6.1\n" +
                      "00562b043615,FCH1932A3BC,CP-8841-3PCC,,latest\n";
    std::ofstream(dir_ / "enrol.csv") << all;
    ASSERT_EQ(Cli({"device", "import", (dir_ / "enrol.csv").string(), "--data", Data()}), 0);
    // Two rollout groups: the walked phones, and the ones not booted yet, paused.
    ASSERT_EQ(Cli({"rollout", "create", "--data", Data(), "walked"}), 0);
    ASSERT_EQ(Cli({"rollout", "add", "--data", Data(), "walked", "58bfea110400", "58bfea110401",
                   "58bfea110402", "58bfea110409"}),
              0);
    ASSERT_EQ(Cli({"rollout", "create", "--data", Data(), "later", "--paused", "--target", "7.5.2b"}),
              0);
    ASSERT_EQ(Cli({"rollout", "add", "--data", Data(), "later", "58bfea110410", "58bfea110411"}), 0);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  std::string Data() const { return (dir_ / "data").string(); }
  // The page's DOM once its script has drawn it (Chromium's virtual time lets the fetches end).
  std::string Dom(const std::string& url) {
    return testing::ShOut(browser_ +
                          " --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --user-data-dir=" +
                          (dir_ / "chromium").string() + " "
                          "--virtual-time-budget=8000 --dump-dom " +
                          Quote(url) + " 2>/dev/null");
  }
  void Screenshot(const std::string& url, const std::string& name) {
    const std::string out = (fs::current_path() / "test-output" / name).string();
    fs::remove(out);
    testing::Sh(browser_ +
                " --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --user-data-dir=" +
                          (dir_ / "chromium").string() + " "
                "--virtual-time-budget=8000 --hide-scrollbars --window-size=1280,1400 "
                "--screenshot=" +
                Quote(out) + " " + Quote(url) + " >/dev/null 2>&1");
    EXPECT_TRUE(fs::exists(out) && fs::file_size(out) > 10000) << "no screenshot " << out;
  }
  // data-count of the element with this id in the DOM, -1 if absent.
  static int CountOf(const std::string& dom, const std::string& id) {
    std::smatch m;
    std::regex re("id=\"" + id + "\"[^>]*data-count=\"([0-9]+)\"");
    if (!std::regex_search(dom, m, re)) return -1;
    return std::stoi(m[1]);
  }
  std::string browser_;
  fs::path dir_;
};

TEST_F(DashboardE2E, ShowsTheFleetAsTheApiSeesItMidMigration) {
  Server s(Data());
  std::string out;
  Cli(s.SimulateArgs((dir_ / "walked.csv").string(), 23000 + ::getpid() % 1000), &out);
  auto report = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << out;
  EXPECT_EQ(report["totals"]["by_status"].value("current", 0), 3) << out;
  auto devices = nlohmann::json::parse(Curl(s.url("/api/v1/devices")).body, nullptr, false);
  ASSERT_TRUE(devices.is_array());
  std::map<std::string, int> by_state;
  for (const auto& d : devices) ++by_state[d.value("state", "")];
  ASSERT_EQ(by_state["current"], 3) << devices.dump(1);
  ASSERT_EQ(by_state["no-path"], 1) << devices.dump(1);

  const std::string dom = Dom(s.url("/ui/"));
  ASSERT_NE(dom.find("data-ready=\"yes\""), std::string::npos) << dom.substr(0, 3000);
  EXPECT_EQ(CountOf(dom, "count-devices"), static_cast<int>(devices.size()));
  EXPECT_EQ(CountOf(dom, "count-current"), 3);
  for (const auto& [state, n] : by_state) EXPECT_EQ(CountOf(dom, "state-" + state), n) << state;
  EXPECT_EQ(CountOf(dom, "count-attention"), 1);
  // The phone without a path, with the reason naming the missing bridge.
  std::smatch row;
  ASSERT_TRUE(std::regex_search(dom, row, std::regex("<tr data-device=\"58bfea110409\">.*?</tr>")))
      << dom.substr(0, 3000);
  EXPECT_NE(row.str().find("no-path"), std::string::npos) << row.str();
  EXPECT_NE(row.str().find("7.5.2b"), std::string::npos) << row.str();
  EXPECT_EQ(CountOf(dom, "model-SPA504G"), 6);
  EXPECT_EQ(CountOf(dom, "model-CP-8841-3PCC"), 1);
  EXPECT_EQ(CountOf(dom, "firmware-7.6.1"), 3);
  auto audit = nlohmann::json::parse(Curl(s.url("/api/v1/audit")).body, nullptr, false);
  EXPECT_EQ(CountOf(dom, "count-findings"), audit["totals"].value("findings", -1));
  // Every enrolled device has its row, linked to its page.
  for (const auto& d : devices)
    EXPECT_NE(dom.find("#/device/" + d.value("mac", "")), std::string::npos) << d.dump();
  // The rollout groups as the API reports them, with their controls.
  auto groups = nlohmann::json::parse(Curl(s.url("/api/v1/groups")).body, nullptr, false);
  ASSERT_TRUE(groups.is_object());
  for (const auto& g : groups["groups"]) {
    std::smatch grow;
    const std::string name = g["name"];
    ASSERT_TRUE(std::regex_search(dom, grow, std::regex("<tr id=\"group-" + name + "\"[^>]*>.*?</tr>")))
        << name << dom.substr(0, 3000);
    const std::string r = grow.str();
    EXPECT_NE(r.find("data-members=\"" + std::to_string(g["members"].get<int>()) + "\""), std::string::npos) << r;
    EXPECT_NE(r.find("data-current=\"" + std::to_string(g["by_state"].value("current", 0)) + "\""),
              std::string::npos) << r;
    EXPECT_NE(r.find("data-action=\"resync\""), std::string::npos) << r;
    if (name == "walked") {
      EXPECT_EQ(g["members"], 4);
      EXPECT_NE(r.find("data-current=\"3\""), std::string::npos) << r;
      EXPECT_NE(r.find("data-action=\"pause\""), std::string::npos) << r;
    } else {
      EXPECT_NE(r.find("data-status=\"paused\""), std::string::npos) << r;
      EXPECT_NE(r.find("data-action=\"resume\""), std::string::npos) << r;
    }
    EXPECT_NE(r.find("data-behind=\"" + std::to_string(g["behind"].size()) + "\""),
              std::string::npos) << r;
  }
  Screenshot(s.url("/ui/"), "dashboard-overview.png");

  // A device page: its facts and its timeline, from the walk just done.
  const std::string page = Dom(s.url("/ui/#/device/58bfea110400"));
  ASSERT_NE(page.find("data-ready=\"yes\""), std::string::npos) << page.substr(0, 3000);
  EXPECT_NE(page.find("data-kind=\"hop-completed\""), std::string::npos);
  EXPECT_NE(page.find("data-field=\"firmware\">7.6.1<"), std::string::npos);
  // The audit's findings for it (issue 17: the dashboard shows the same findings): every SPA500
  // release is under cisco-sa-spa-http-vulns-RJZmX2Xz.
  EXPECT_NE(page.find("data-finding=\"firmware-advisory\""), std::string::npos);
  EXPECT_NE(dom.find("id=\"finding-firmware-advisory (high)\""), std::string::npos);
  Screenshot(s.url("/ui/#/device/58bfea110400"), "dashboard-device.png");
}

}  // namespace
}  // namespace stepup
