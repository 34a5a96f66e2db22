// The admin listener and its token, end to end (contract.md "Serving"): `stepup serve` as a
// real process, curl as the operator's tool.
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "tests/server_process.h"

namespace stepup {
namespace {
namespace fs = std::filesystem;
using testing::Cli;
using testing::Curl;
using testing::CurlWithHead;
using testing::Fetched;
using testing::Have;
using testing::Server;

constexpr const char* kToken = "admin-token-0123456789abcdef";
constexpr const char* kSecret = "s3cret-admin-test";

class AdminE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Have("curl")) GTEST_SKIP() << "curl is not installed (scripts/bootstrap installs it)";
    dir_ = testing::FreshTestDir("admin");
    ASSERT_EQ(Cli({"device", "add", "--data", Data(), "--mac", "58:BF:EA:11:04:E6", "--model",
                   "SPA504G", "--target", "7.6.1", "--set",
                   std::string("sip_password=") + kSecret}),
              0);
  }
  void TearDown() override {
    ::unsetenv("STEPUP_ADMIN_TOKEN");
    fs::remove_all(dir_);
  }
  std::string Data() const { return (dir_ / "data").string(); }
  static std::string At(int port, const std::string& path) {
    return "http://127.0.0.1:" + std::to_string(port) + path;
  }
  static std::string Bearer(const std::string& token) {
    return "-H " + testing::Quote("Authorization: Bearer " + token);
  }
  fs::path dir_;
};

TEST_F(AdminE2E, OnALoopbackHttpListenerWithoutATokenTheApiAnswers) {
  Server s(Data());
  Fetched spec = Curl(s.url("/api/v1/openapi.json"));
  EXPECT_EQ(spec.status, 200);
  auto j = nlohmann::json::parse(spec.body, nullptr, false);
  ASSERT_TRUE(j.is_object()) << spec.body;
  EXPECT_TRUE(j["paths"].contains("/api/v1/devices"));
  Fetched list = Curl(s.url("/api/v1/devices"));
  EXPECT_EQ(list.status, 200);
  auto devices = nlohmann::json::parse(list.body, nullptr, false);
  ASSERT_TRUE(devices.is_array()) << list.body;
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0].value("mac", ""), "58bfea1104e6");
  EXPECT_EQ(list.body.find(kSecret), std::string::npos) << list.body;  // shown as ***
  Fetched one = Curl(s.url("/api/v1/devices/58-BF-EA-11-04-E6"));
  EXPECT_EQ(one.status, 200);
  EXPECT_TRUE(nlohmann::json::parse(one.body, nullptr, false).contains("events")) << one.body;
  EXPECT_EQ(Curl(s.url("/api/v1/devices/001122334455")).status, 404);
  EXPECT_EQ(Curl(s.url("/api/v1/nothing")).status, 404);
}

TEST_F(AdminE2E, WithATokenEveryRouteButTheSpecNeedsIt) {
  ::setenv("STEPUP_ADMIN_TOKEN", kToken, 1);  // the environment variable, as contract.md allows
  Server s(Data(), {"--admin", "127.0.0.1:0", "--probe-limit", "3,6,1"});
  ASSERT_GT(s.admin_port(), 0);
  for (int port : {s.admin_port(), s.port()}) {  // the admin listener and the loopback HTTP one
    SCOPED_TRACE(port);
    EXPECT_EQ(Curl(At(port, "/api/v1/openapi.json")).status, 200);
    Fetched none = CurlWithHead(At(port, "/api/v1/devices"));
    EXPECT_EQ(none.status, 401);
    EXPECT_NE(none.head.find("WWW-Authenticate: Bearer"), std::string::npos) << none.head;
    EXPECT_EQ(Curl(At(port, "/api/v1/devices"), "", Bearer("not-the-token")).status, 401);
    Fetched ok = Curl(At(port, "/api/v1/devices"), "", Bearer(kToken));
    EXPECT_EQ(ok.status, 200);
    EXPECT_NE(ok.body.find("58bfea1104e6"), std::string::npos) << ok.body;
  }
  // The admin listener serves no phone: a profile path is not found there.
  EXPECT_EQ(Curl(At(s.admin_port(), "/cfg/58bfea1104e6.xml"),
                 "Cisco/SPA504G-7.3.7 (58BFEA1104E6)(CCQ16380FYH)")
                .status,
            404);
  EXPECT_EQ(Curl(At(s.admin_port(), "/healthz")).status, 200);
  // An address that keeps guessing the token is refused (here after 6 failures in all)...
  int refused = 0;
  for (int i = 0; i < 4; ++i)
    refused += Curl(At(s.admin_port(), "/api/v1/devices"), "", Bearer("guess")).status == 429;
  EXPECT_GE(refused, 1);
  // ...even with the right token, for a while; the token holder elsewhere is not.
  EXPECT_EQ(Curl(At(s.admin_port(), "/api/v1/devices"), "", Bearer(kToken)).status, 429);
  EXPECT_EQ(
      Curl(At(s.admin_port(), "/api/v1/devices"), "", Bearer(kToken) + " --interface 127.0.0.2")
          .status,
      200);
}

// Issue 18: the REST API's writes over real HTTP (curl as the operator's tool), and what the
// server then does with the device; a phone's path takes no write method.
TEST_F(AdminE2E, DevicesAreCreatedChangedAndRemovedOverHttpAndTheServerWalksThem) {
  Server s(Data(), {"--admin", "127.0.0.1:0", "--admin-token", kToken});
  const std::string json = "-H 'Content-Type: application/json' ";
  auto api = [&](const std::string& method, const std::string& path, const std::string& body) {
    return Curl(At(s.admin_port(), path), "",
                Bearer(kToken) + " -X " + method + " " +
                    (body.empty() ? "" : json + "--data-binary " + testing::Quote(body)));
  };
  Fetched made = api("POST", "/api/v1/devices",
                     R"({"mac":"00:56:2b:04:36:15","model":"CP-8841-3PCC","target":"latest"})");
  ASSERT_EQ(made.status, 201) << made.body;
  Fetched bad = api("POST", "/api/v1/devices", R"({"mac":"00562b043616","model":"CP-9999"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(nlohmann::json::parse(bad.body, nullptr, false).value("error", "").find("field \"model\""),
            std::string::npos)
      << bad.body;
  Fetched patched =
      api("PATCH", "/api/v1/devices/00562b043615", R"({"settings":{"sip_user":"4711"}})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  // The phone asks: the server knows it (enrolled over the API) and renders the new setting.
  Fetched profile = Curl(s.url("/cfg/00562b043615.xml"), "Cisco-CP-8841-3PCC/11.0 (00562b043615)");
  EXPECT_EQ(profile.status, 200);
  EXPECT_NE(profile.body.find(">4711<"), std::string::npos) << profile.body;
  // Its plan, now that it reported what it runs.
  Fetched plan = api("GET", "/api/v1/devices/00562b043615/plan", "");
  EXPECT_EQ(plan.status, 200) << plan.body;
  // A phone's path takes no write method; the admin routes take no write without JSON.
  EXPECT_EQ(Curl(s.url("/cfg/00562b043615.xml"), "", "-X POST --data x").status, 405);
  EXPECT_EQ(Curl(At(s.admin_port(), "/api/v1/devices"), "",
                 Bearer(kToken) + " -X POST --data-binary '{}' -H 'Content-Type: text/plain'")
                .status,
            415);
  Fetched gone = api("DELETE", "/api/v1/devices/00562b043615", "");
  EXPECT_EQ(gone.status, 200) << gone.body;
  EXPECT_EQ(Curl(s.url("/cfg/00562b043615.xml"), "Cisco-CP-8841-3PCC/11.0 (00562b043615)").status,
            403);  // unknown again
  // The CLI sees what the API did.
  std::string out;
  ASSERT_EQ(Cli({"device", "list", "--json", "--data", Data()}, &out), 0);
  EXPECT_EQ(out.find("00562b043615"), std::string::npos) << out;
}

TEST_F(AdminE2E, ANonLoopbackAdminAddressWithoutATokenIsRefused) {
  std::string out;
  // Refused before anything is bound: nothing listens on 0.0.0.0.
  EXPECT_EQ(Cli({"serve", "--data", Data(), "--http", "127.0.0.1:0", "--tftp", "off", "--admin",
                 "0.0.0.0:0"},
                &out),
            2);
  std::string said = testing::ShOut(std::string(STEPUP_BINARY) + " serve --data " + Data() +
                                    " --http 127.0.0.1:0 --tftp off --admin 0.0.0.0:0");
  EXPECT_NE(said.find("--admin-token"), std::string::npos) << said;
}

}  // namespace
}  // namespace stepup
