// stepup behind nginx, as deploy/nginx/stepup-lb.conf sets it up (that very file, with loopback
// addresses put in by bench/lib.sh's bench_lb_conf): the phone's address comes from X-Real-IP
// only through the trusted proxy, firmware images go out through nginx by X-Accel-Redirect,
// and the admin routes are not reachable through it.
#include <gtest/gtest.h>

#include "tests/nginx_lb.h"
#include "tests/server_process.h"
#include "tests/wait_for.h"

namespace stepup {
namespace {
namespace fs = std::filesystem;
using testing::Curl;
using testing::CurlWithHead;
using testing::Fetched;
using testing::Quote;

constexpr const char* kProxySpaUa = "Cisco/SPA504G-7.3.7 (58BFEA1104E6)(CCQ16380FYH)";

class ProxyE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::Have("curl")) GTEST_SKIP() << "curl is not installed (scripts/bootstrap)";
    if (!testing::Have("nginx")) GTEST_SKIP() << "nginx is not installed (scripts/bootstrap)";
    dir_ = testing::FreshTestDir("stepup-proxy");
    fs::permissions(dir_, fs::perms::all, fs::perm_options::add);  // nginx's worker is nobody
    const fs::path data = dir_ / "data";
    fs::create_directories(data / "firmware");
    std::ofstream(dir_ / "fleet.csv") << "mac,serial,model,target\n58bfea1104e6,,SPA504G,7.6.1\n";
    ASSERT_EQ(testing::Cli({"device", "import", (dir_ / "fleet.csv").string(), "--data",
                            data.string()}),
              0);
    ASSERT_EQ(testing::Cli({"firmware", "fake", "--out", (data / "firmware").string(), "--model",
                            "SPA504G", "--size", "20000"}),
              0);
    server_ = std::make_unique<testing::Server>(
        data.string(), std::vector<std::string>{"--trusted-proxy", "127.0.0.1",
                                                "--accel-redirect", "/_stepup_firmware/"});
    ASSERT_GT(server_->port(), 0);
    // nginx: the deploy example in front of this one node.
    nginx_ = std::make_unique<testing::NginxLb>(dir_, std::vector<int>{server_->port()},
                                                data / "firmware");
    ASSERT_EQ(nginx_->why(), "");
  }
  void TearDown() override {
    nginx_.reset();
    server_.reset();
    fs::remove_all(dir_);
  }
  std::string Nginx(const std::string& path) const { return nginx_->url(path); }
  // stepup's access log, once a line with `needle` is in it (it is written every 200 ms).
  std::string AccessLogWith(const std::string& needle) {
    const fs::path log = dir_ / "data" / "access.log";
    testing::WaitFor([&] { return testing::Slurp(log).find(needle) != std::string::npos; },
                     std::chrono::seconds(5));
    return testing::Slurp(log);
  }

  fs::path dir_;
  std::unique_ptr<testing::Server> server_;
  std::unique_ptr<testing::NginxLb> nginx_;
};

TEST_F(ProxyE2E, ThroughNginxThePhonesOwnAddressIsTheOneRecorded) {
  // The phone at 127.0.0.2 asks nginx; nginx asks stepup from 127.0.0.1.
  Fetched f = Curl(Nginx("/cfg/58bfea1104e6.xml?sw=7.3.7"), kProxySpaUa, "--interface 127.0.0.2");
  ASSERT_EQ(f.status, 200) << f.body;
  EXPECT_NE(f.body.find("spa50x-30x-7-5-2b.bin"), std::string::npos) << f.body;
  const std::string log = AccessLogWith("/cfg/58bfea1104e6.xml");
  EXPECT_NE(log.find("peer=127.0.0.2:"), std::string::npos) << log;
  // Its history names it too.
  std::string history;
  ASSERT_EQ(testing::Cli({"device", "show", "58bfea1104e6", "--data", (dir_ / "data").string()},
                         &history),
            0);
  EXPECT_NE(history.find("127.0.0.2"), std::string::npos) << history;
}

TEST_F(ProxyE2E, AnAddressClaimedFromAnywhereButTheProxyIsIgnored) {
  Fetched f = Curl(server_->url("/cfg/58bfea1104e6.xml?sw=7.3.7"), kProxySpaUa,
                   "--interface 127.0.0.3 -H " + Quote("X-Real-IP: 10.9.9.9") + " -H " +
                       Quote("X-Forwarded-For: 10.9.9.8"));
  ASSERT_EQ(f.status, 200);
  const std::string log = AccessLogWith("/cfg/58bfea1104e6.xml");
  EXPECT_NE(log.find("peer=127.0.0.3:"), std::string::npos) << log;
  EXPECT_EQ(log.find("10.9.9."), std::string::npos) << log;
}

TEST_F(ProxyE2E, AMalformedAddressFromTheProxyIsRefusedNamingIt) {
  Fetched f = Curl(server_->url("/cfg/58bfea1104e6.xml?sw=7.3.7"), kProxySpaUa,
                   "-H " + Quote("X-Real-IP: not-an-address"));
  EXPECT_EQ(f.status, 400);
  EXPECT_NE(f.body.find("X-Real-IP \"not-an-address\""), std::string::npos) << f.body;
  EXPECT_EQ(Curl(server_->url("/healthz")).status, 200);  // and it keeps serving
}

TEST_F(ProxyE2E, NginxSendsTheImageStepupAllowed) {
  const fs::path image = dir_ / "data" / "firmware" / "spa50x-30x-7-5-2b.bin";
  ASSERT_TRUE(fs::exists(image));
  // Through nginx: the bytes of the file.
  Fetched f = Curl(Nginx("/firmware/spa50x-30x-7-5-2b.bin"), "", "--interface 127.0.0.2");
  ASSERT_EQ(f.status, 200);
  EXPECT_EQ(f.body, testing::Slurp(image));
  // What stepup answered nginx: no body, the internal location to send it from.
  Fetched direct = CurlWithHead(server_->url("/firmware/spa50x-30x-7-5-2b.bin"),
                                "-H " + Quote("X-Real-IP: 127.0.0.2"));
  EXPECT_EQ(direct.status, 200);
  EXPECT_TRUE(direct.body.empty()) << direct.body.size() << " bytes";
  EXPECT_NE(direct.head.find("X-Accel-Redirect: /_stepup_firmware/spa50x-30x-7-5-2b.bin\r\n"),
            std::string::npos)
      << direct.head;
  // Not through a proxy: the file itself.
  Fetched plain = Curl(server_->url("/firmware/spa50x-30x-7-5-2b.bin"), "", "--interface 127.0.0.3");
  EXPECT_EQ(plain.body, testing::Slurp(image));
  // The internal location is not reachable from outside, and unknown phones still get nothing.
  EXPECT_EQ(Curl(Nginx("/_stepup_firmware/spa50x-30x-7-5-2b.bin")).status, 404);
  EXPECT_EQ(Curl(Nginx("/cfg/0000deadbeef.xml"), "Cisco/SPA504G-7.3.7 (0000DEADBEEF)(CCQ1)").status,
            403);
}

TEST_F(ProxyE2E, TheAdminRoutesAreNotReachableThroughTheBalancer) {
  EXPECT_EQ(Curl(server_->url("/api/v1/devices")).status, 200);  // loopback, not relayed
  EXPECT_EQ(Curl(Nginx("/api/v1/devices")).status, 404);         // nginx refuses them
  EXPECT_EQ(Curl(Nginx("/metrics")).status, 404);
  // A relayed request that reaches the node anyway is not served the admin API.
  EXPECT_NE(Curl(server_->url("/api/v1/devices"), "", "-H " + Quote("X-Real-IP: 192.0.2.1")).status,
            200);
}

}  // namespace
}  // namespace stepup
