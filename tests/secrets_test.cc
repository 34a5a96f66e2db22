// A known MAC is all it took: `stepup serve` as a real process, curl and tftp-hpa as the
// clients. Only a request whose identity agrees with the inventory gets a device's secrets;
// an address that probes is slowed, then refused, while phones elsewhere keep their latency.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/server_process.h"

namespace stepup {
namespace {
namespace fs = std::filesystem;
using testing::Cli;
using testing::Curl;
using testing::Fetched;
using testing::Have;
using testing::Server;
using testing::ShOut;
using testing::Slurp;
using testing::WaitFor;

constexpr const char* kSpaSecret = "s3cret-spa-line";
constexpr const char* kEntSecret = "s3cret-7970-admin";  // its phonePassword
constexpr const char* kSpaUa = "Cisco/SPA504G-7.3.7 (58BFEA1104E6)(CCQ16380FYH)";

class SecretsE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Have("curl") || !Have("tftp"))
      GTEST_SKIP() << "curl or tftp-hpa is not installed (scripts/bootstrap installs them)";
    dir_ = fs::temp_directory_path() /
           ("stepup-secrets-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    // Enrolled as an operator does: MAC, model, target, the line's secret.
    ASSERT_EQ(
        Cli({"device", "add", "--data", Data(), "--mac", "58:BF:EA:11:04:E6", "--model", "SPA-504G",
             "--target", "7.6.1", "--set", std::string("sip_password=") + kSpaSecret}),
        0);
    ASSERT_EQ(Cli({"device", "add", "--data", Data(), "--mac", "00270dc01c92", "--model",
                   "CP-7970G", "--firmware", "SCCP70.8-5-2S", "--target", "SIP70.9-4-2SR1-1S",
                   "--set", std::string("admin_password=") + kEntSecret}),
              0);
    for (const char* model : {"SPA504G", "CP-7970G"}) {  // test images under the real names
      ASSERT_EQ(Cli({"firmware", "fake", "--out", Data() + "/firmware", "--model", model}), 0);
    }
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Data() const { return (dir_ / "data").string(); }
  nlohmann::json Events(const std::string& key) {
    std::string out;
    EXPECT_EQ(Cli({"device", "show", key, "--json", "--data", Data()}, &out), 0);
    auto j = nlohmann::json::parse(out, nullptr, false);
    return j.is_object() ? j["events"] : nlohmann::json::array();
  }
  // Events of a kind, each with its repeats.
  static size_t Count(const nlohmann::json& events, const std::string& kind) {
    size_t n = 0;
    for (const auto& e : events) {
      if (e.value("kind", "") == kind) n += 1 + e.value("repeats", 0);
    }
    return n;
  }
  // tftp-hpa's get; the file's content, or what the client printed when it failed.
  std::string TftpGet(const Server& s, const std::string& name) {
    std::string local = "got-" + name;
    std::replace(local.begin(), local.end(), '/', '_');
    fs::path out = dir_ / local;
    std::string said = ShOut("tftp 127.0.0.1 " + std::to_string(s.tftp_port()) +
                             " -m binary -c get " + name + " " + out.string());
    return fs::exists(out) ? Slurp(out) : said;
  }
  fs::path dir_;
};

TEST_F(SecretsE2E, OnlyThePhoneItselfGetsItsSecretsOverHttpAndTftp) {
  Server s(Data());
  ASSERT_GT(s.port(), 0);
  const std::string cfg = s.url("/cfg/58bfea1104e6.xml");
  // The SPA boots first: its User-Agent agrees, and its serial is learned (the operator
  // enrolled it without one).
  Fetched spa = Curl(s.url("/spa504G.cfg"), kSpaUa);
  EXPECT_EQ(spa.status, 200);
  EXPECT_NE(spa.body.find(kSpaSecret), std::string::npos) << spa.body;
  EXPECT_NE(spa.body.find("spa50x-30x-7-5-2b.bin"), std::string::npos) << spa.body;
  struct Probe {
    const char* what;
    std::string got;
  } probes[] = {
      {"a browser", Curl(cfg, "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Firefox/128.0").body},
      {"no User-Agent at all", Curl(cfg, "", "-H User-Agent:").body},
      {"the right model and MAC, an invented serial",
       Curl(cfg, "Cisco/SPA504G-7.3.7 (58BFEA1104E6)(CCQ99999XYZ)").body},
      {"TFTP, the SPA's personal file", TftpGet(s, "cfg/58bfea1104e6.xml")},
      {"TFTP, an enterprise file name for the SPA", TftpGet(s, "SEP58BFEA1104E6.cnf.xml")},
      {"TFTP, the 7970G's config with no boot before it", TftpGet(s, "SEP00270DC01C92.cnf.xml")},
  };
  for (const auto& p : probes) {
    SCOPED_TRACE(p.what);
    EXPECT_EQ(p.got.find(kSpaSecret), std::string::npos) << p.got;
    EXPECT_EQ(p.got.find(kEntSecret), std::string::npos) << p.got;
  }
  // The 7970G's walk goes on without its secrets: its next load is named.
  EXPECT_NE(probes[5].got.find("<loadInformation"), std::string::npos) << probes[5].got;

  // The phones themselves, still served: the SPA on its personal URL, the 7970G's boot
  // (trust lists first).
  Fetched again = Curl(cfg + "?sn=CCQ16380FYH&sw=7.3.7", kSpaUa);
  EXPECT_NE(again.body.find(kSpaSecret), std::string::npos) << again.body;
  TftpGet(s, "CTLSEP00270DC01C92.tlv");
  TftpGet(s, "ITLSEP00270DC01C92.tlv");
  std::string sep = TftpGet(s, "SEP00270DC01C92.cnf.xml");
  EXPECT_NE(sep.find(kEntSecret), std::string::npos) << sep;

  // Each probe is in the history of the device it named, with what disagreed and from where.
  s.process().Kill(SIGTERM);
  ASSERT_EQ(s.process().Wait(15000), 0);
  auto spa_events = Events("58bfea1104e6");
  EXPECT_EQ(Count(spa_events, "identity-mismatch"), 5u) << spa_events.dump(1);
  for (const auto& e : spa_events) {
    if (e.value("kind", "") != "identity-mismatch") continue;
    EXPECT_NE(e.value("detail", "").find("from 127.0.0.1"), std::string::npos) << e.dump();
  }
  auto ent_events = Events("00270dc01c92");
  EXPECT_EQ(Count(ent_events, "identity-mismatch"), 1u) << ent_events.dump(1);
  EXPECT_GE(Count(ent_events, "hop-offered"), 1u);
}

TEST_F(SecretsE2E, DataDirectoryAndInventoryArePrivate) {
  struct stat st {};
  ASSERT_EQ(::stat(Data().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  for (const char* f : {"stepup.db", "stepup.db-wal", "stepup.db-shm"}) {
    fs::path p = fs::path(Data()) / f;
    if (!fs::exists(p)) continue;  // -wal/-shm exist only while a connection is open
    ASSERT_EQ(::stat(p.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
  }
  // A world-readable inventory is made private when the server starts, and it says so.
  ::chmod((fs::path(Data()) / "stepup.db").c_str(), 0644);
  Server s(Data());
  std::string err = s.process().WaitFor("serving");
  EXPECT_NE(err.find("stepup.db\" holds device secrets and was readable by others (mode 0644)"),
            std::string::npos)
      << err;
  ASSERT_EQ(::stat((fs::path(Data()) / "stepup.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

// Milliseconds each of `n` requests for the known SPA's profile took, from 127.0.0.2.
std::vector<double> KnownPhoneLatencies(const Server& s, int n) {
  std::vector<double> ms;
  for (int i = 0; i < n; ++i) {
    std::string got = ShOut(
        "curl -s -m 10 -o /dev/null -w \"%{http_code} %{time_total}\" "
        "--interface 127.0.0.2 -A \"" +
        std::string(kSpaUa) + "\" " + s.url("/spa504G.cfg"));
    EXPECT_EQ(got.substr(0, 4), "200 ") << got;
    ms.push_back(std::atof(got.c_str() + std::min<size_t>(4, got.size())) * 1000);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::sort(ms.begin(), ms.end());
  return ms;
}

TEST_F(SecretsE2E, TenThousandGuessedMacsFromOneAddressAreRefusedWhileAPhoneElsewhereIsServed) {
  Server s(Data());
  ASSERT_GT(s.port(), 0);
  auto before = KnownPhoneLatencies(s, 20);
  // 10,000 MACs of Cisco's 00:1B:2A block, asked for 50 at a time from 127.0.0.3, with a
  // phone's User-Agent; the known SPA's own MAC among them.
  fs::path urls = dir_ / "urls.txt";
  {
    std::ofstream out(urls);
    for (int i = 0; i < 10000; ++i) {
      char mac[13];
      std::snprintf(mac, sizeof mac, "001b2a%06x", (i * 2654435761u) & 0xffffff);
      out << "url = \"" << s.url("/cfg/" + std::string(i == 5000 ? "58bfea1104e6" : mac) + ".xml")
          << "\"\noutput = \"/dev/null\"\n";
    }
  }
  std::string statuses;
  std::atomic<bool> storm_over{false};
  std::thread storm([&] {
    statuses = ShOut("curl -s --parallel --parallel-max 50 --interface 127.0.0.3 -A " +
                     std::string("Cisco/SPA504G-7.3.7 -w \"%{http_code}\\n\" -K ") + urls.string() +
                     " 2>/dev/null");
    storm_over = true;
  });
  // "During" means during: the storm is under way (its requests reach the access log) before
  // the phone's latencies are taken, and not over when they start.
  const fs::path log = fs::path(Data()) / "access.log";
  auto storm_requests = [&] {
    const std::string text = Slurp(log);
    size_t n = 0;
    for (size_t at = 0; (at = text.find(" peer=127.0.0.3:", at)) != std::string::npos; ++at) ++n;
    return n;
  };
  EXPECT_TRUE(WaitFor([&] { return storm_requests() >= 200 || storm_over; },
                      std::chrono::seconds(20), std::chrono::milliseconds(10)));
  const bool measured_during = !storm_over;
  auto during = KnownPhoneLatencies(s, 20);
  storm.join();
  EXPECT_TRUE(measured_during) << "the storm was over before the phone's requests";
  size_t n200 = 0, n403 = 0, n429 = 0;
  std::string other;
  for (size_t at = 0; at < statuses.size();) {
    size_t nl = statuses.find('\n', at);
    std::string code = statuses.substr(at, nl - at);
    n200 += code == "200";
    n403 += code == "403";
    n429 += code == "429";
    if (code != "200" && code != "403" && code != "429" && other.size() < 400)
      other += "[" + code + "]";
    at = nl == std::string::npos ? statuses.size() : nl + 1;
  }
  EXPECT_EQ(other, "");
  std::printf(
      "probe storm: %zu answered 403, %zu refused 429, %zu 200 (bootstrap); known phone "
      "from another address: median %.2f ms, max %.2f ms before; median %.2f ms, max "
      "%.2f ms during\n",
      n403, n429, n200, before[10], before.back(), during[10], during.back());
  EXPECT_EQ(n200 + n403 + n429, 10000u);
  EXPECT_LE(n200, 1u);          // the one known MAC: its bootstrap profile, no secret
  EXPECT_LE(n403, 200u + 50u);  // refused from the 200th failure on (50 were in flight)
  EXPECT_GE(n429, 9700u);
  EXPECT_LT(during[10], std::max(50.0, 5 * before[10]));

  // The log is bounded: 20 attempts recorded one by one, then summaries; the address is listed.
  std::string out;
  ASSERT_EQ(Cli({"device", "list", "--suspicious", "--json", "--data", Data()}, &out), 0);
  auto j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(j.is_array() && !j.empty()) << out;
  EXPECT_EQ(j[0]["address"], "127.0.0.3");
  EXPECT_EQ(j[0]["unknown"], 20);
  EXPECT_GE(j[0]["failures"].get<int>(), 200);
  EXPECT_GE(j[0]["refused"].get<int>(), 4096);
  EXPECT_GT(j[0]["refused_until"].get<int64_t>(), 0);
  // The phone at its own address was never counted.
  for (const auto& a : j) EXPECT_NE(a["address"], "127.0.0.2");
}

}  // namespace
}  // namespace stepup
