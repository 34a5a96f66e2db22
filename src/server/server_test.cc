// The server assembled in-process, as `stepup serve` assembles it: started on loopback port 0,
// asked over real sockets (HTTP and TFTP), stopped cleanly.
#include "server/server.h"
#include "server/server_fixture.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace stepup {
namespace {
namespace fs = std::filesystem;

struct Got {
  int status = 0;  // HTTP status, or TFTP error code + 1000 (0: nothing came)
  std::string body;
};

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

bool Readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 5000) == 1;
}

// One GET with Connection: close, read to the end.
Got HttpGet(uint16_t port, const std::string& target, const std::string& ua = "") {
  Got got;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = Loopback(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return got;
  }
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
                    (ua.empty() ? "" : "User-Agent: " + ua + "\r\n") + "\r\n";
  (void)!::write(fd, req.data(), req.size());
  std::string in;
  char buf[4096];
  ssize_t n;
  while (Readable(fd) && (n = ::read(fd, buf, sizeof buf)) > 0) in.append(buf, n);
  ::close(fd);
  if (in.rfind("HTTP/1.1 ", 0) != 0) return got;
  got.status = std::atoi(in.c_str() + 9);
  size_t at = in.find("\r\n\r\n");
  if (at != std::string::npos) got.body = in.substr(at + 4);
  return got;
}

// A minimal RFC 1350 read (octet, 512-byte blocks): the file, or the error code + 1000.
Got TftpGet(uint16_t port, const std::string& name) {
  Got got;
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in server = Loopback(port);
  std::string rrq = std::string("\0\1", 2) + name + '\0' + "octet" + '\0';
  ::sendto(fd, rrq.data(), rrq.size(), 0, reinterpret_cast<sockaddr*>(&server), sizeof server);
  char buf[600];
  for (uint16_t want = 1; Readable(fd); ++want) {
    sockaddr_in from{};
    socklen_t len = sizeof from;
    ssize_t n = ::recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 4) break;
    const int op = (buf[0] << 8) | static_cast<unsigned char>(buf[1]);
    const uint16_t block = static_cast<uint16_t>((static_cast<unsigned char>(buf[2]) << 8) |
                                                 static_cast<unsigned char>(buf[3]));
    if (op == 5) {
      got.status = 1000 + block;
      break;
    }
    if (op != 3 || block != want) break;
    got.body.append(buf + 4, static_cast<size_t>(n - 4));
    std::string ack = std::string("\0\4", 2) + buf[2] + buf[3];
    ::sendto(fd, ack.data(), ack.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
    if (n - 4 < 512) {
      got.status = 200;
      break;
    }
  }
  ::close(fd);
  return got;
}

class ServerInProcess : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("stepup-inproc-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "data" / "firmware");
    image_.assign(1300, 'x');  // three TFTP blocks
    std::ofstream(dir_ / "data" / "firmware" / "extra.bin", std::ios::binary) << image_;
  }
  void TearDown() override { fs::remove_all(dir_); }

  ServerConfig Config() const { return TestServerConfig(dir_); }

  fs::path dir_;
  std::string image_;
};

TEST_F(ServerInProcess, StartsOnPortZeroServesAConfigOverHttpAndTftpAndStopsCleanly) {
  auto opened = Server::Open(Config());
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  Server& server = *opened.value();
  Device spa;
  spa.mac = "58bfea1104e6";
  spa.model = "SPA504G";
  spa.target = "7.6.1";
  spa.settings["sip_password"] = "pw-inproc";
  ASSERT_TRUE(server.inventory().Add(spa).ok());
  Device sep;
  sep.mac = "001b2a893698";
  sep.model = "CP-7970G";
  sep.firmware = "SIP70.8-2-1S";
  ASSERT_TRUE(server.inventory().Add(sep).ok());
  ASSERT_TRUE(server.Start().ok());
  ASSERT_GT(server.http_port(), 0);
  ASSERT_GT(server.tftp_port(), 0);
  EXPECT_EQ(server.base_url(), "http://127.0.0.1:" + std::to_string(server.http_port()));

  Got health = HttpGet(server.http_port(), "/healthz");
  EXPECT_EQ(health.status, 200);
  Got http = HttpGet(server.http_port(), "/spa504G.cfg",
                     "Cisco/SPA504G-7.6.1 (58BFEA1104E6)(CCQ16380FYH)");
  EXPECT_EQ(http.status, 200);
  EXPECT_NE(http.body.find("pw-inproc"), std::string::npos) << http.body;
  EXPECT_NE(http.body.find("<Upgrade_Enable"), std::string::npos) << http.body;
  Got tftp = TftpGet(server.tftp_port(), "SEP001B2A893698.cnf.xml");
  EXPECT_EQ(tftp.status, 200);
  EXPECT_NE(tftp.body.find("<loadInformation>SIP70.8-2-1S</loadInformation>"), std::string::npos)
      << tftp.body;
  // A firmware file by name (through the image cache the server wires into TFTP).
  Got file = TftpGet(server.tftp_port(), "extra.bin");
  EXPECT_EQ(file.status, 200);
  EXPECT_TRUE(file.body == image_) << file.body.size();
  // An unknown device: 403, TFTP error 2 (access violation).
  EXPECT_EQ(
      HttpGet(server.http_port(), "/spa504G.cfg", "Cisco/SPA504G-7.3.7 (0002FDFF2103)(CBT141400UK)")
          .status,
      403);
  EXPECT_EQ(TftpGet(server.tftp_port(), "SEP001122334455.cnf.xml").status, 1002);

  const uint16_t port = server.http_port();
  server.Drain();
  EXPECT_EQ(server.active(), 0u);
  EXPECT_EQ(HttpGet(port, "/healthz").status, 0);  // no longer accepting
  server.Stop();                                   // idempotent
  std::ifstream log(dir_ / "access.log");
  std::string lines((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(lines.find("/healthz"), std::string::npos) << lines;
  EXPECT_NE(lines.find("tftp peer="), std::string::npos) << lines;
}

TEST_F(ServerInProcess, BadFlagValuesAreNamedBeforeAnythingIsBound) {
  ServerConfig c = Config();
  c.tftp = "nowhere";
  auto opened = Server::Open(c);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message.find("--tftp"), std::string::npos) << opened.error().message;
  c = Config();
  c.probe_limit = "1,2";
  opened = Server::Open(c);
  ASSERT_FALSE(opened.ok());
}

}  // namespace
}  // namespace stepup
