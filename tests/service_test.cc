// Running stepup as a service: the configuration file (`serve --config`, `config check`),
// SIGHUP reloads under load, dual-stack listeners and JSON logs, against the real binary.
#include <netinet/in.h>
#include <sys/socket.h>

#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <set>

#include "core/tftp_packet.h"
#include "tests/server_process.h"

namespace stepup {
namespace {

namespace fs = std::filesystem;

std::string ConfigCheck(const fs::path& file, int* code) {
  const std::string out = testing::ShOut(std::string(STEPUP_BINARY) + " config check --config " +
                                         file.string() + "; echo exit=$?");
  const size_t at = out.rfind("exit=");
  *code = at == std::string::npos ? -1 : std::atoi(out.c_str() + at + 5);
  return out.substr(0, at);
}

TEST(ServiceConfigTest, ConfigCheckNamesTheKeyAndLineOfEachBrokenConfiguration) {
  const fs::path dir = testing::FreshTestDir("cfgcheck");
  struct Case {
    const char* text;
    const char* key;  // the key the message must name
    int line;
    const char* says;  // and what is wrong with it
  };
  const Case cases[] = {
      {"data = \"D\"\nhtp = \"127.0.0.1:80\"\n", "htp", 2, "no such setting"},
      {"data = \"D\"\nhttp = \"1.2.3:80\"\n", "http", 2, "is not an IP address"},
      {"data = \"D\"\n\n\ntftp = \"127.0.0.1:99999\"\n", "tftp", 4, "99999"},
      {"data = \"D\"\nmax-downloads = \"lots\"\n", "max-downloads", 2, "lots"},
      {"data = \"D\"\nstuck-after = 500\n", "stuck-after", 2, "500"},
      {"data = \"D\"\nthreads = 1.5\n", "threads", 2, "wants a string or a number"},
      {"data = \"D\"\ntftp-secrets = \"maybe\"\n", "tftp-secrets", 2, "maybe"},
      {"data = \"D\"\nlog-format = \"xml\"\n", "log-format", 2, "xml"},
      {"data = \"D\"\nrequire-client-cert = \"sure\"\n", "require-client-cert", 2, "sure"},
      {"data = \"D\"\nrequire-client-cert = true\n", "require-client-cert", 2, "need --https"},
      {"data = \"D\"\nhttp = [\"a\", \"b\"]\n", "http", 2, "wants a string or a number"},
      {"data = \"D\"\nprobe-limit = \"1,2\"\n", "probe-limit", 2, "SLOW,REFUSE,MINUTES"},
      {"data = \"D\"\nhttps = \"127.0.0.1:0\"\ntls-cert = \"/nonexistent/cert.pem\"\n"
       "tls-key = \"/nonexistent/key.pem\"\n",
       "tls-cert", 3, "is not a file"},
      {"data = \"D\"\nadmin = \"0.0.0.0:8070\"\n", "admin", 2, "admin-token"},
      {"data = \"D\"\ntftp-limit = [\"10.0.0.0/40=1,1\"]\n", "tftp-limit", 2, "10.0.0.0/40"},
      {"data = \"D\"\nbench = \"no spaces allowed\"\n", "bench", 2, "bench"},
      {"data = \"D\"\n[tls]\ncert = \"x\"\n", "tls", 2, "no such setting"},
      {"data = \"D\"\nconfig = \"/etc/other.toml\"\n", "config", 2, "no such setting"},
  };
  int n = 0;
  for (const Case& c : cases) {
    const fs::path file = dir / ("broken-" + std::to_string(++n) + ".toml");
    std::string text = c.text;
    text.replace(text.find("\"D\""), 3, "\"" + (dir / "data").string() + "\"");
    std::ofstream(file) << text;
    int code = 0;
    const std::string out = ConfigCheck(file, &code);
    SCOPED_TRACE(c.text);
    EXPECT_EQ(code, 2) << out;
    const std::string where =
        file.string() + ":" + std::to_string(c.line) + ": key \"" + c.key + "\"";
    EXPECT_NE(out.find(where), std::string::npos) << "wanted \"" << where << "\" in: " << out;
    EXPECT_NE(out.find(c.says), std::string::npos) << out;
  }
  // Not TOML at all, and no file: named too.
  std::ofstream(dir / "garbage.toml") << "data = \"x\"\nhttp = = 3\n";
  int code = 0;
  std::string out = ConfigCheck(dir / "garbage.toml", &code);
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find((dir / "garbage.toml").string() + ":2: not TOML"), std::string::npos) << out;
  out = ConfigCheck(dir / "missing.toml", &code);
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("no such configuration file"), std::string::npos) << out;
  // A good one passes, and nothing was created by checking it.
  std::ofstream(dir / "good.toml") << "data = \"" << (dir / "data").string()
                                   << "\"\nhttp = \"[::]:8069\"\nauto-enroll = [\"SPA5*\"]\n"
                                      "max-downloads = 50\nrequire-client-cert = false\n";
  out = ConfigCheck(dir / "good.toml", &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("ok (5 settings)"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(dir / "data"));
  fs::remove_all(dir);
}

TEST(ServiceConfigTest, TheShippedConfigurationIsValidAndNamesEveryServeFlag) {
  const fs::path example = fs::path(STEPUP_SOURCE_DIR) / "packaging" / "stepup.toml";
  const std::string text = testing::Slurp(example);
  // As installed: its catalog is the package's copy of the source tree's.
  const std::string shipped = "/usr/share/stepup/catalog";
  const size_t at = text.find("\ncatalog = \"" + shipped + "\"");
  ASSERT_NE(at, std::string::npos);
  std::string here = text;
  here.replace(at + 12, shipped.size(), std::string(STEPUP_SOURCE_DIR) + "/catalog");
  const fs::path dir = testing::FreshTestDir("cfgshipped");
  std::ofstream(dir / "stepup.toml") << here;
  int code = 0;
  const std::string out = ConfigCheck(dir / "stepup.toml", &code);
  EXPECT_EQ(code, 0) << out;
  fs::remove_all(dir);
  std::string help;
  ASSERT_EQ(testing::Cli({"serve", "--help"}, &help), 0);
  const std::regex flag("\n  (?:-h,)?--([a-z0-9-]+)");
  int flags = 0;
  for (auto it = std::sregex_iterator(help.begin(), help.end(), flag); it != std::sregex_iterator();
       ++it) {
    const std::string name = (*it)[1];
    if (name == "help" || name == "config") continue;
    ++flags;
    const std::regex key("(^|\n)(# )?" + name + " = ");
    EXPECT_TRUE(std::regex_search(text, key)) << "the example has no key for --" << name;
  }
  EXPECT_GT(flags, 30);
}

// The process's own stderr, as the Server helper reads it.
std::string Stderr(testing::Server& s) { return s.process().WaitFor("\x01", 1); }

TEST(ServiceConfigTest, TheCommandLineWinsOverTheFileAndTheFileOverTheDefaults) {
  const fs::path dir = testing::FreshTestDir("cfgwin");
  // The file's listeners and access log could not work (port 1, a missing directory): the
  // Server helper's flags replace them. Its log format is no flag's, so it holds.
  std::ofstream(dir / "stepup.toml") << "http = \"127.0.0.1:1\"\ntftp = \"127.0.0.1:1\"\n"
                                     << "access-log = \"/nonexistent/dir/access.log\"\n"
                                     << "log-format = \"json\"\n";
  testing::Server s((dir / "data").string(), {"--config", (dir / "stepup.toml").string()});
  ASSERT_GT(s.port(), 1) << Stderr(s);
  EXPECT_EQ(testing::Curl(s.url("/healthz")).status, 200);
  const fs::path log = dir / "data" / "access.log";
  ASSERT_TRUE(
      testing::WaitFor([&] { return testing::Slurp(log).find("/healthz") != std::string::npos; },
                       std::chrono::seconds(5)));
  auto line = nlohmann::json::parse(testing::Slurp(log).substr(0, testing::Slurp(log).find('\n')),
                                    nullptr, false);
  ASSERT_TRUE(line.is_object()) << testing::Slurp(log);
  EXPECT_EQ(line["path"], "/healthz");
  EXPECT_EQ(line["status"], 200);
  EXPECT_TRUE(line["ms"].is_number());
  // The server's own lines are JSON as well.
  const std::string err = Stderr(s);
  auto first = nlohmann::json::parse(err.substr(0, err.find('\n')), nullptr, false);
  ASSERT_TRUE(first.is_object()) << err;
  EXPECT_EQ(first["level"], "info");
  EXPECT_NE(first["message"].get<std::string>().find("serving http://127.0.0.1:"),
            std::string::npos);
  fs::remove_all(dir);
}

// A TFTP client that goes block by block at its own pace: `between(block)` runs after each
// DATA before its ACK. The bytes received, "" on error or after 30 s.
template <typename Between>
std::string PacedTftpGet(int port, const std::string& name, Between between) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in srv{};
  srv.sin_family = AF_INET;
  srv.sin_port = htons(static_cast<uint16_t>(port));
  srv.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::string rrq = TftpRequest(TftpOp::kRrq, name);
  sendto(fd, rrq.data(), rrq.size(), 0, reinterpret_cast<sockaddr*>(&srv), sizeof srv);
  std::string out;
  uint16_t expect = 1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    char buf[1024];
    sockaddr_in from{};
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
    auto pkt = ParseTftp(std::string_view(buf, n > 0 ? static_cast<size_t>(n) : 0));
    if (!pkt || pkt->op == TftpOp::kError) break;
    if (pkt->op != TftpOp::kData || pkt->block != expect) continue;  // a repeat
    out.append(pkt->data);
    between(expect);
    const std::string ack = TftpAck(expect);
    sendto(fd, ack.data(), ack.size(), 0, reinterpret_cast<sockaddr*>(&from), sizeof from);
    ++expect;
    if (pkt->data.size() < 512) {
      close(fd);
      return out;
    }
  }
  close(fd);
  return "";
}

// One HTTP/1.1 request on an open connection; the whole answer (head and body).
std::string OnConnection(testing::RawConnection& c, const std::string& target,
                         const std::string& ua) {
  if (!c.Send("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: " + ua + "\r\n\r\n"))
    return "";
  std::string got;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    got += c.ReadUpTo(1 << 16, 100);
    const size_t head = got.find("\r\n\r\n");
    if (head == std::string::npos) continue;
    std::smatch m;
    const std::string h = got.substr(0, head);
    if (std::regex_search(h, m, std::regex("[Cc]ontent-[Ll]ength: *([0-9]+)")) &&
        got.size() >= head + 4 + std::stoul(m[1]))
      break;
  }
  return got;
}

TEST(ServiceReloadTest, SighupTakesCatalogAndTemplateChangesWhileATransferAndKeepAliveConnectionsGoOn) {
  const fs::path dir = testing::FreshTestDir("reload");
  const std::string data = (dir / "data").string();
  ASSERT_EQ(testing::Cli({"device", "add", "--data", data, "--mac", "58bfea110600", "--model",
                          "SPA504G", "--target", "latest"}),
            0);
  fs::create_directories(dir / "data" / "firmware");
  std::ofstream(dir / "data" / "firmware" / "spa50x-30x-7-6-9.bin") << "stand-in";
  std::string big(2u << 20, '\0');
  std::mt19937 rng(11);
  for (auto& ch : big) ch = static_cast<char>(rng());
  std::ofstream(dir / "data" / "firmware" / "big.bin", std::ios::binary) << big;
  std::ofstream(dir / "stepup.toml") << "stuck-after = 3\n";
  testing::Server s(data, {"--config", (dir / "stepup.toml").string()});
  ASSERT_GT(s.port(), 0);
  const std::string ua = "Cisco/SPA504G-7.6.1 (58BFEA110600)(CCQ16380FZZ)";
  const std::string profile = "/cfg/58bfea110600.xml?sn=CCQ16380FZZ&sw=7.6.1";
  testing::RawConnection keep(s.port());
  ASSERT_TRUE(keep.ok());
  std::string before = OnConnection(keep, profile, ua);
  ASSERT_NE(before.find("200 OK"), std::string::npos) << before;
  EXPECT_EQ(before.find("7-6-9"), std::string::npos) << "7.6.9 is in no catalog yet";
  // A newer catalog file (a release invented for this test) and a new stuck-after.
  std::ofstream(dir / "newer.toml") << testing::kInventedSpaRelease;
  fs::create_directories(dir / "data" / "catalog.d");
  bool reloaded = false;
  const std::string got = PacedTftpGet(s.tftp_port(), "big.bin", [&](uint16_t block) {
    if (block != 100) return;
    // Mid-transfer: the new catalog goes in, the operator reloads.
    fs::copy_file(dir / "newer.toml", dir / "data" / "catalog.d" / "newer.toml");
    std::ofstream(dir / "stepup.toml") << "stuck-after = 5\n";
    // ...and an operator's template override.
    std::string spa = testing::Slurp(fs::path(STEPUP_SOURCE_DIR) / "templates" / "spa.xml.mustache");
    spa.insert(spa.find('\n') + 1, "<!-- reloaded template -->\n");
    fs::create_directories(dir / "data" / "templates");
    std::ofstream(dir / "data" / "templates" / "spa.xml.mustache") << spa;
    s.process().Kill(SIGHUP);
    reloaded =
        s.process().WaitFor("SIGHUP: reloaded").find("SIGHUP: reloaded") != std::string::npos;
  });
  EXPECT_TRUE(reloaded) << Stderr(s);
  EXPECT_TRUE(got == big) << "the transfer under way when the server reloaded: " << got.size()
                          << " of " << big.size() << " bytes";
  const std::string err = Stderr(s);
  EXPECT_NE(err.find("stuck-after: 3 -> 5"), std::string::npos) << err;
  EXPECT_NE(err.find("catalog: "), std::string::npos) << err;
  // The same keep-alive connection, a new request: the new catalog's release is offered.
  std::string after = OnConnection(keep, profile, ua);
  EXPECT_NE(after.find("200 OK"), std::string::npos) << after;
  EXPECT_NE(after.find("spa50x-30x-7-6-9.bin"), std::string::npos) << after;
  EXPECT_NE(after.find("<!-- reloaded template -->"), std::string::npos) << after;
  EXPECT_EQ(before.find("<!-- reloaded template -->"), std::string::npos);
  EXPECT_FALSE(keep.closed());
  // A broken file changes nothing: the server says why and goes on.
  std::ofstream(dir / "stepup.toml") << "stuck-after = \"many\"\n";
  s.process().Kill(SIGHUP);
  const std::string refused = s.process().WaitFor("not reloaded");
  EXPECT_NE(refused.find(":1: key \"stuck-after\""), std::string::npos) << refused;
  EXPECT_EQ(
      testing::Curl(s.url(profile), ua).body.find("spa50x-30x-7-6-9.bin") != std::string::npos,
      true);
  // The access log: the transfer completed whole, both requests on one connection.
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        const std::string log = testing::Slurp(dir / "data" / "access.log");
        return log.find("big.bin") != std::string::npos &&
               log.find("conn_requests=2") != std::string::npos;
      },
      std::chrono::seconds(5)));
  const std::string log = testing::Slurp(dir / "data" / "access.log");
  EXPECT_NE(log.find("file=big.bin status=200 bytes=" + std::to_string(big.size())),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("conn_requests=2"), std::string::npos) << log;
  fs::remove_all(dir);
}

TEST(ServiceDualStackTest, ListenersOnTheIpv6WildcardServeIpv4AndIpv6Clients) {
  const fs::path dir = testing::FreshTestDir("dualstack");
  const std::string data = (dir / "data").string();
  fs::create_directories(dir / "data" / "firmware");
  std::ofstream(dir / "data" / "firmware" / "small.bin") << "twelve bytes";
  testing::Child c({STEPUP_BINARY, "serve", "--data", data, "--http", "[::]:0", "--tftp", "[::]:0",
                    "--access-log", (dir / "data" / "access.log").string()});
  const std::regex ports("serving http://127\\.0\\.0\\.1:([0-9]+).*; tftp \\[::\\]:([0-9]+)\n");
  std::smatch m;
  std::string err;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        err = c.WaitFor("\x01", 50);
        return std::regex_search(err, m, ports);
      },
      std::chrono::seconds(10)))
      << err;
  const std::string http = m[1], tftp = m[2];
  EXPECT_EQ(testing::Curl("http://127.0.0.1:" + http + "/healthz").status, 200);
  EXPECT_EQ(testing::Curl("http://[::1]:" + http + "/healthz", "", "-g").status, 200);
  for (const char* host : {"127.0.0.1", "::1"}) {
    const fs::path out = dir / (std::string("got-") + (host[0] == ':' ? "v6" : "v4"));
    testing::Sh(std::string("cd ") + dir.string() + " && tftp " + host + " " + tftp +
                " -m binary -c get small.bin " + out.string());
    EXPECT_EQ(testing::Slurp(out), "twelve bytes") << host;
  }
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        const std::string log = testing::Slurp(dir / "data" / "access.log");
        return log.find("peer=[::1]") != std::string::npos && log.find("tftp") != std::string::npos;
      },
      std::chrono::seconds(5)));
  const std::string log = testing::Slurp(dir / "data" / "access.log");
  // An IPv4 client is named as IPv4, not as ::ffff:127.0.0.1.
  EXPECT_NE(log.find("peer=127.0.0.1:"), std::string::npos) << log;
  EXPECT_EQ(log.find("::ffff:"), std::string::npos) << log;
  EXPECT_NE(log.find("tftp peer=[::1]:"), std::string::npos) << log;
  c.Kill(SIGTERM);
  EXPECT_EQ(c.Wait(15000), 0);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace stepup
