// End-to-end and fault tests of `stepup serve` as a real process on loopback, driven by curl
// and raw sockets.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "tests/server_process.h"

namespace stepup {
namespace {
namespace fs = std::filesystem;
using testing::Child;
using testing::Cli;
using testing::Curl;
using testing::Fetched;
using testing::Quote;
using testing::RawConnection;
using testing::Server;
using testing::Slurp;
using testing::WaitFor;
using namespace std::chrono_literals;

// A MAC built from a prefix and a number: 0200000 + 5 digits.
std::string FleetMac(const char* prefix, int i) {
  std::string n = std::to_string(i);
  return prefix + std::string(5 - n.size(), '0') + n;
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("command -v curl >/dev/null 2>&1") != 0)
      GTEST_SKIP() << "curl is not installed (scripts/bootstrap installs it)";
    dir_ = fs::temp_directory_path() /
           ("stepup-srv-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "data" / "firmware");
    for (const char* f : {"spa50x-30x-7-5-2b.bin", "spa50x-30x-7-6-1.bin"}) {
      std::ofstream(dir_ / "data" / "firmware" / f) << "test image " << f;
    }
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Data() const { return (dir_ / "data").string(); }
  nlohmann::json Show(const std::string& key) {
    std::string out;
    EXPECT_EQ(Cli({"device", "show", key, "--json", "--data", Data()}, &out), 0);
    return nlohmann::json::parse(out, nullptr, false);
  }
  static std::string Ua(const std::string& mac, const std::string& version) {
    return "Cisco/SPA504G-" + version + " (" + mac + ")(CCQ16380FYH)";
  }
  fs::path dir_;
};

TEST_F(ServerTest, Spa504GIsOfferedEachHopThenNothingAndHistoryShowsIt) {
  ASSERT_EQ(Cli({"device", "add", "--mac", "58bfea1104e6", "--model", "SPA504G", "--target",
                 "7.6.1", "--set", "sip_password=pw-1001", "--data", Data()}),
            0);
  Server srv(Data());
  ASSERT_GT(srv.port(), 0) << srv.process().WaitFor("never");
  Fetched a = Curl(srv.url("/spa504G.cfg"), Ua("58BFEA1104E6", "7.3.7"));
  ASSERT_EQ(a.status, 200);
  EXPECT_NE(a.body.find(srv.url("/firmware/spa50x-30x-7-5-2b.bin") + "</Upgrade_Rule>"),
            std::string::npos)
      << a.body;
  Fetched img = Curl(srv.url("/firmware/spa50x-30x-7-5-2b.bin"), Ua("58BFEA1104E6", "7.3.7"));
  EXPECT_EQ(img.body, "test image spa50x-30x-7-5-2b.bin");
  Fetched b = Curl(srv.url("/cfg/58bfea1104e6.xml?sn=CCQ16380FYH&sw=7.5.2b&p=stepup"),
                   Ua("58BFEA1104E6", "7.5.2b"));
  EXPECT_NE(b.body.find("/firmware/spa50x-30x-7-6-1.bin</Upgrade_Rule>"), std::string::npos)
      << b.body;
  Fetched c = Curl(srv.url("/cfg/58bfea1104e6.xml?sn=CCQ16380FYH&sw=7.6.1&p=stepup"),
                   Ua("58BFEA1104E6", "7.6.1"));
  EXPECT_NE(c.body.find("<Upgrade_Enable ua=\"na\">No</Upgrade_Enable>"), std::string::npos)
      << c.body;

  // An unknown MAC gets 403 and no device data.
  Fetched u = Curl(srv.url("/cfg/0002fdff2103.xml"), Ua("0002FDFF2103", "7.3.7"));
  EXPECT_EQ(u.status, 403);
  EXPECT_EQ(u.body.find("pw-1001"), std::string::npos);
  EXPECT_EQ(u.body.find("58bfea1104e6"), std::string::npos);

  srv.process().Kill(SIGTERM);
  EXPECT_EQ(srv.process().Wait(15000), 0);  // drains and exits 0
  nlohmann::json d = Show("58bfea1104e6");
  EXPECT_EQ(d["state"], "current");
  EXPECT_EQ(d["firmware"], "7.6.1");
  std::vector<std::string> steps;
  for (const auto& e : d["events"]) {
    if (e["kind"] == "hop-offered" || e["kind"] == "hop-completed")
      steps.push_back(e["kind"].get<std::string>() + " " +
                      e["detail"].get<std::string>().substr(0, 6));
  }
  EXPECT_EQ(steps, (std::vector<std::string>{"hop-offered 7.5.2b", "hop-completed 7.5.2b",
                                             "hop-offered 7.6.1 ", "hop-completed 7.6.1"}));
  std::ifstream log(dir_ / "data" / "access.log");
  std::string line, all;
  while (std::getline(log, line)) all += line + "\n";
  EXPECT_NE(
      all.find("device=58bfea1104e6 method=GET path=/firmware/spa50x-30x-7-5-2b.bin status=200"),
      std::string::npos)
      << all;
  EXPECT_NE(all.find("status=403"), std::string::npos);
}

TEST_F(ServerTest, APhoneThatNeverMovesIsStuckAfterThreeOffers) {
  ASSERT_EQ(Cli({"device", "add", "--mac", "58bfea1104e6", "--model", "SPA504G", "--target",
                 "7.6.1", "--data", Data()}),
            0);
  Server srv(Data(), {"--stuck-after", "3"});
  for (int i = 0; i < 4; ++i)
    Curl(srv.url("/cfg/58bfea1104e6.xml?sw=7.3.7"), Ua("58BFEA1104E6", "7.3.7"));
  srv.process().Kill(SIGTERM);
  srv.process().Wait(15000);
  nlohmann::json d = Show("58bfea1104e6");
  EXPECT_EQ(d["state"], "stuck");
  EXPECT_EQ(d["excluded"], nlohmann::json::array({"7.5.2b"}));
  EXPECT_NE(d["state_detail"].get<std::string>().find("offered 7.5.2b 3 times"), std::string::npos)
      << d["state_detail"];
}

// A free UDP port on 127.0.0.1 (bound and released).
int FreeUdpPort() {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

TEST_F(ServerTest, PhonesSyslogLinesJoinTheirHistoryAsEvidence) {
  ASSERT_EQ(Cli({"device", "add", "--mac", "58bfea1104e6", "--model", "SPA504G", "--target",
                 "7.6.1", "--data", Data()}),
            0);
  int port = FreeUdpPort();
  Server srv(Data(), {"--syslog", "127.0.0.1:" + std::to_string(port)});
  ASSERT_EQ(Curl(srv.url("/cfg/58bfea1104e6.xml?sw=7.3.7"), Ua("58BFEA1104E6", "7.3.7")).status,
            200);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::string msg =
      "<14>SPA504G Log_Upgrade_Failure_Msg: upgrade failed: image signature invalid";
  sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  close(fd);
  // Phone events are written in batches (at most 200 ms behind): seen by another process.
  nlohmann::json evidence;
  ASSERT_TRUE(WaitFor(
      [&] {
        const nlohmann::json device = Show("58bfea1104e6");  // alive while iterating
        for (const auto& e : device["events"])
          if (e["kind"] == "evidence") evidence = e;
        return !evidence.is_null();
      },
      10s, 50ms))
      << Show("58bfea1104e6").dump(1);
  EXPECT_NE(evidence.value("detail", "").find("image signature invalid"), std::string::npos)
      << evidence;
  EXPECT_EQ(evidence.value("transport", ""), "syslog");
  srv.process().Kill(SIGTERM);
  EXPECT_EQ(srv.process().Wait(15000), 0);
}

TEST_F(ServerTest, SlowClientIsCutAtTheDeadlineWhileOthersAreServed) {
  Server srv(Data(), {"--read-timeout", "2"});
  RawConnection slow(srv.port());
  ASSERT_TRUE(slow.ok());
  const std::string req = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  auto start = std::chrono::steady_clock::now();
  bool cut = false;
  for (size_t i = 0; i < req.size() && !cut; ++i) {  // one byte every 300 ms
    if (!slow.Send(req.substr(i, 1))) cut = true;
    EXPECT_EQ(Curl(srv.url("/healthz")).status, 200);  // everyone else is served meanwhile
    std::string got = slow.ReadAll(300);
    if (slow.closed()) cut = true;
    EXPECT_EQ(got.find("200 OK"), std::string::npos);
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(cut) << "the slow connection was not closed";
  EXPECT_LT(secs, 6.0);
}

TEST_F(ServerTest, AKeepAliveConnectionIdleAfterALongDownloadIsClosedAtTheReadDeadline) {
  std::ofstream(dir_ / "data" / "firmware" / "big.bin") << std::string(24u << 20, 'f');
  Server srv(Data(), {"--read-timeout", "1"});
  RawConnection c(srv.port());
  ASSERT_TRUE(c.Send("GET /firmware/big.bin HTTP/1.1\r\nHost: x\r\n\r\n"));
  // Read slowly (about 8 MiB a second) so the answer takes longer than the read deadline.
  size_t got = 0;
  const size_t want = (24u << 20) + 100;  // body and a head of under 300 bytes
  std::string head;
  auto start = std::chrono::steady_clock::now();
  while (!c.closed() && std::chrono::steady_clock::now() - start < std::chrono::seconds(20)) {
    std::string part = c.ReadUpTo(1u << 20, 1000);
    if (head.empty()) head = part.substr(0, part.find("\r\n\r\n"));
    got += part.size();
    if (got >= want) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(120));  // the pace of a slow reader
  }
  ASSERT_GE(got, 24u << 20);
  // The answer left the connection open (else closing at once would pass for the deadline).
  EXPECT_EQ(head.rfind("HTTP/1.1 200 ", 0), 0u) << head;
  EXPECT_EQ(head.find("Connection: close"), std::string::npos) << head;
  EXPECT_GT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1500));
  // Now idle on a keep-alive connection: closed about a second later, not at the (60 s)
  // write deadline that was in force while the file went out.
  auto idle = std::chrono::steady_clock::now();
  EXPECT_EQ(c.ReadAll(8000), "");
  EXPECT_TRUE(c.closed());
  EXPECT_LT(std::chrono::steady_clock::now() - idle, std::chrono::seconds(4));
}

TEST_F(ServerTest, AClientThatHangsUpInTheMiddleOfAFileDoesNotStopTheServer) {
  std::ofstream(dir_ / "data" / "firmware" / "big.bin") << std::string(24u << 20, 'f');
  Server srv(Data());
  for (int i = 0; i < 5; ++i) {
    RawConnection c(srv.port());
    ASSERT_TRUE(c.Send("GET /firmware/big.bin HTTP/1.1\r\nHost: x\r\n\r\n"));
    EXPECT_FALSE(c.ReadUpTo(64 * 1024, 2000).empty());
  }  // each closes with unread data: a reset while the server is still sending
  // The server is done with all five (each logged as cut short), and serves on.
  const fs::path log = dir_ / "data" / "access.log";
  auto cut_short = [&] {
    const std::string text = Slurp(log);
    size_t n = 0;
    for (size_t at = 0;
         (at = text.find("path=/firmware/big.bin status=200 bytes=", at)) != std::string::npos;
         ++at) {
      n += std::strtoull(text.c_str() + at + 40, nullptr, 10) < (24u << 20);
    }
    return n;
  };
  EXPECT_TRUE(WaitFor([&] { return cut_short() == 5; }, 10s, 20ms)) << Slurp(log);
  EXPECT_EQ(srv.process().Wait(0), -1) << "the server exited";
  EXPECT_EQ(Curl(srv.url("/healthz")).status, 200);
}

TEST_F(ServerTest, TheAccessLogNumbersTheRequestsOfEachConnection) {
  Server srv(Data());
  // Two requests on one keep-alive connection, then one on a connection of its own.
  RawConnection c(srv.port());
  ASSERT_EQ(c.Get("/healthz?a", "t").first, 200);
  ASSERT_EQ(c.Get("/healthz?b", "t").first, 200);
  ASSERT_EQ(Curl(srv.url("/healthz?c")).status, 200);
  const fs::path log = dir_ / "data" / "access.log";
  auto line_of = [&](const std::string& path) {
    const std::string text = Slurp(log);
    const size_t at = text.find(" path=" + path + " ");
    return at == std::string::npos ? std::string() : text.substr(at, text.find('\n', at) - at);
  };
  ASSERT_TRUE(WaitFor([&] { return !line_of("/healthz?c").empty(); }, 10s, 20ms)) << Slurp(log);
  EXPECT_TRUE(line_of("/healthz?a").ends_with(" conn_requests=1")) << line_of("/healthz?a");
  EXPECT_TRUE(line_of("/healthz?b").ends_with(" conn_requests=2")) << line_of("/healthz?b");
  EXPECT_TRUE(line_of("/healthz?c").ends_with(" conn_requests=1")) << line_of("/healthz?c");
}

TEST_F(ServerTest, HugeHeadersAndBodiesAreRefused) {
  Server srv(Data());
  RawConnection h(srv.port());
  h.Send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ");
  std::string chunk(64 * 1024, 'a');
  for (int i = 0; i < 160 && h.Send(chunk); ++i) {
  }
  std::string resp = h.ReadAll(3000);
  EXPECT_EQ(resp.rfind("HTTP/1.1 431 ", 0), 0u) << resp.substr(0, 200);
  RawConnection b(srv.port());
  b.Send("POST /cfg/x.xml HTTP/1.1\r\nHost: x\r\nContent-Length: 10485760\r\n\r\n");
  for (int i = 0; i < 160 && b.Send(chunk); ++i) {
  }
  std::string resp2 = b.ReadAll(3000);
  EXPECT_EQ(resp2.rfind("HTTP/1.1 413 ", 0), 0u) << resp2.substr(0, 200);
  EXPECT_EQ(Curl(srv.url("/healthz")).status, 200);  // and the server keeps serving
}

TEST_F(ServerTest, KillDashNineLosesNoAcknowledgedHopProgressOrOperatorWrite) {
  // 300 phones on 7.3.7 that never move: every response re-offers 7.5.2b with the next attempt
  // number, and each offer is hop progress that must be durable before the response.
  std::ofstream csv(dir_ / "fleet.csv");
  csv << "mac,model,target\n";
  for (int i = 0; i < 300; ++i) csv << FleetMac("0200000", i) << ",SPA504G,7.6.1\n";
  csv.close();
  ASSERT_EQ(Cli({"device", "import", (dir_ / "fleet.csv").string(), "--data", Data()}), 0);
  auto srv = std::make_unique<Server>(Data(), std::vector<std::string>{"--stuck-after", "100"});
  std::mutex mu;
  std::map<std::string, int> acked_offers;  // highest offer number acknowledged per phone
  std::set<std::string> acked_adds;
  std::atomic<bool> stop{false};
  std::atomic<int> responses{0};
  std::vector<std::thread> phones;
  for (int t = 0; t < 3; ++t) {
    phones.emplace_back([&, t] {
      RawConnection c(srv->port());
      for (int round = 0; !stop; ++round) {
        for (int i = t; i < 300 && !stop; i += 3) {
          std::string mac = FleetMac("0200000", i);
          auto [status, body] = c.Get("/cfg/" + mac + ".xml?sw=7.3.7", Ua(mac, "7.3.7"), 2000);
          if (status == 0) return;
          size_t at = body.find("spa50x-30x-7-5-2b.bin</Upgrade_Rule>");
          if (status != 200 || at == std::string::npos) continue;
          size_t retry = body.find("/firmware/retry");
          int offer = retry == std::string::npos ? 1 : 1 + std::atoi(body.c_str() + retry + 15);
          std::lock_guard lock(mu);
          acked_offers[mac] = std::max(acked_offers[mac], offer);
          ++responses;
        }
      }
    });
  }
  std::thread operator_writes([&] {
    for (int i = 0; i < 40 && !stop; ++i) {
      std::string mac = FleetMac("0300000", i);
      if (Cli({"device", "add", "--mac", mac, "--model", "SPA504G", "--data", Data()}) == 0) {
        std::lock_guard lock(mu);
        acked_adds.insert(mac);
      }
    }
  });
  // Kill in the middle of the burst: after a first round, while writes keep going.
  WaitFor([&] { return responses >= 400; }, 5s);
  srv->process().Kill(SIGKILL);
  stop = true;
  for (auto& t : phones) t.join();
  operator_writes.join();
  ASSERT_GE(responses.load(), 400) << "the burst did not get going";

  // The inventory opens, and everything acknowledged is there.
  std::string out;
  ASSERT_EQ(Cli({"device", "list", "--json", "--data", Data()}, &out), 0);
  auto list = nlohmann::json::parse(out);
  std::map<std::string, nlohmann::json> by_mac;
  for (const auto& d : list) by_mac[d["mac"].get<std::string>()] = d;
  for (const auto& [mac, offer] : acked_offers) {
    ASSERT_TRUE(by_mac.count(mac)) << mac;
    EXPECT_EQ(by_mac[mac]["pending_load"], "7.5.2b") << mac;
    EXPECT_GE(by_mac[mac]["pending_offers"].get<int>(), offer) << mac;
  }
  for (const auto& mac : acked_adds) EXPECT_TRUE(by_mac.count(mac)) << mac;
  Server again(Data());
  EXPECT_EQ(Curl(again.url("/healthz")).status, 200);
  std::cerr << "[ kill -9 ] " << responses.load() << " acknowledged offers to "
            << acked_offers.size() << " phones and " << acked_adds.size()
            << " operator writes: all present after restart\n";
}

}  // namespace
}  // namespace stepup
