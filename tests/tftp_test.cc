// TFTP interoperability with real clients (tftp-hpa, atftp, curl) and a lossy client, against
// `stepup serve` on loopback.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <poll.h>

#include <chrono>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "core/tftp_packet.h"
#include "tests/server_process.h"

namespace stepup {
namespace {
namespace fs = std::filesystem;
using testing::Have;
using testing::Server;
using testing::Sh;
using testing::ShOut;
using testing::Slurp;

// Sizes around every block boundary the clients use, up to 40 MiB (block numbers roll over
// past 65535 at 512-byte blocks).
const std::vector<size_t> kSizes = {1, 511, 512, 513, 1024, 1428, 2856, 65536, 1048583};
constexpr size_t k40MiB = 40u << 20;

class TftpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("stepup-tftp-" + std::to_string(::getpid())));
    fs::remove_all(*dir_);
    fs::create_directories(*dir_ / "data" / "firmware");
    std::mt19937 rng(7);
    std::vector<size_t> sizes = kSizes;
    sizes.push_back(k40MiB);
    for (size_t n : sizes) {
      std::string bytes(n, '\0');
      for (auto& c : bytes) c = static_cast<char>(rng());
      std::ofstream(*dir_ / "data" / "firmware" / ("f" + std::to_string(n) + ".bin"),
                    std::ios::binary)
          << bytes;
    }
    std::string add =
        std::string(STEPUP_BINARY) +
        " device add --mac 001b2a893698 --model CP-7970G --firmware SIP70.8-2-1S --data " +
        (*dir_ / "data").string();
    Sh(add);
    server_ = new Server((*dir_ / "data").string());
  }
  static void TearDownTestSuite() {
    delete server_;
    fs::remove_all(*dir_);
    delete dir_;
  }
  static std::string Original(size_t n) {
    return Slurp(*dir_ / "data" / "firmware" / ("f" + std::to_string(n) + ".bin"));
  }
  static fs::path Out(const std::string& name) { return *dir_ / ("out-" + name); }
  static std::string Port() { return std::to_string(server_->tftp_port()); }

  static fs::path* dir_;
  static Server* server_;
};
fs::path* TftpTest::dir_ = nullptr;
Server* TftpTest::server_ = nullptr;

TEST_F(TftpTest, TftpHpaGetsByteIdenticalFiles) {
  if (!Have("tftp")) GTEST_SKIP() << "tftp-hpa is not installed (scripts/bootstrap installs it)";
  ASSERT_GT(server_->tftp_port(), 0);
  for (size_t n : kSizes) {
    fs::path out = Out("hpa" + std::to_string(n));
    ASSERT_EQ(Sh("tftp 127.0.0.1 " + Port() + " -m binary -c get f" + std::to_string(n) + ".bin " +
                 out.string()),
              0)
        << n;
    EXPECT_TRUE(Slurp(out) == Original(n)) << n;
  }
}

TEST_F(TftpTest, AtftpWithBlksizeTsizeAndWindowsizeGetsByteIdenticalFiles) {
  if (!Have("atftp")) GTEST_SKIP() << "atftp is not installed (scripts/bootstrap installs it)";
  std::vector<size_t> sizes = kSizes;
  sizes.push_back(k40MiB);
  for (size_t n : sizes) {
    fs::path out = Out("atftp" + std::to_string(n));
    ASSERT_EQ(
        Sh("atftp --get -r f" + std::to_string(n) + ".bin -l " + out.string() +
           " --option \"blksize 1428\" --option \"tsize 0\" --option \"windowsize 16\" 127.0.0.1 " +
           Port()),
        0)
        << n;
    EXPECT_TRUE(Slurp(out) == Original(n)) << n;
  }
}

TEST_F(TftpTest, CurlGetsByteIdenticalFilesIncludingRolloverAt512ByteBlocks) {
  if (!Have("curl")) GTEST_SKIP() << "curl is not installed";
  std::vector<size_t> sizes = kSizes;
  sizes.push_back(k40MiB);  // 81,920 blocks of 512 bytes: the block number wraps past 65535
  for (size_t n : sizes) {
    fs::path out = Out("curl" + std::to_string(n));
    ASSERT_EQ(Sh("curl -s -m 120 -o " + out.string() + " tftp://127.0.0.1:" + Port() + "/f" +
                 std::to_string(n) + ".bin"),
              0)
        << n;
    EXPECT_TRUE(Slurp(out) == Original(n)) << n;
  }
}

TEST_F(TftpTest, ConfigsAreRenderedUnknownDevicesRefusedAndUploadsRefused) {
  if (!Have("tftp")) GTEST_SKIP() << "tftp-hpa is not installed (scripts/bootstrap installs it)";
  fs::path sep = Out("sep.xml");
  ASSERT_EQ(
      Sh("tftp 127.0.0.1 " + Port() + " -m binary -c get SEP001B2A893698.cnf.xml " + sep.string()),
      0);
  EXPECT_NE(Slurp(sep).find("<loadInformation>SIP70.8-2-1S</loadInformation>"), std::string::npos)
      << Slurp(sep);
  EXPECT_NE(ShOut("tftp 127.0.0.1 " + Port() + " -m binary -c get SEP001122334455.cnf.xml " +
                  Out("x").string())
                .find("Error code 2"),
            std::string::npos);
  EXPECT_NE(ShOut("tftp 127.0.0.1 " + Port() + " -m binary -c get CTLSEP001B2A893698.tlv " +
                  Out("y").string())
                .find("Error code 1"),
            std::string::npos);
  EXPECT_NE(ShOut("cd " + dir_->string() + " && tftp 127.0.0.1 " + Port() +
                  " -m binary -c put out-sep.xml up.xml")
                .find("Error code 2"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(*dir_ / "data" / "firmware" / "up.xml"));
}

// A client that drops 10% of what it receives and of what it sends, asks for no options, and
// retransmits its last ACK on its own 1 s timer, as real clients do.
std::string LossyGet(int port, const std::string& name, double loss, uint32_t seed, bool* ok) {
  *ok = false;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> coin(0, 1);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in srv{};
  srv.sin_family = AF_INET;
  srv.sin_port = htons(static_cast<uint16_t>(port));
  srv.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string rrq = TftpRequest(TftpOp::kRrq, name);
  sendto(fd, rrq.data(), rrq.size(), 0, reinterpret_cast<sockaddr*>(&srv), sizeof srv);
  sockaddr_in tid{};
  bool have_tid = false;
  std::string out, last_ack;
  uint16_t expect = 1;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 1000) <= 0) {  // our own timeout: say again what we have
      if (!have_tid)
        sendto(fd, rrq.data(), rrq.size(), 0, reinterpret_cast<sockaddr*>(&srv), sizeof srv);
      if (have_tid && !last_ack.empty())
        sendto(fd, last_ack.data(), last_ack.size(), 0, reinterpret_cast<sockaddr*>(&tid),
               sizeof tid);
      continue;
    }
    char buf[1024];
    sockaddr_in from{};
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n <= 0 || coin(rng) < loss) continue;  // lost on the way in
    auto pkt = ParseTftp(std::string_view(buf, static_cast<size_t>(n)));
    if (!pkt || pkt->op == TftpOp::kError) break;
    if (pkt->op != TftpOp::kData) continue;
    tid = from;
    have_tid = true;
    if (pkt->block == expect) {
      out.append(pkt->data);
      last_ack = TftpAck(expect);
      ++expect;
    } else {
      last_ack = TftpAck(static_cast<uint16_t>(expect - 1));
    }
    if (coin(rng) >= loss)
      sendto(fd, last_ack.data(), last_ack.size(), 0, reinterpret_cast<sockaddr*>(&tid),
             sizeof tid);
    if (pkt->block == static_cast<uint16_t>(expect - 1) && pkt->data.size() < 512) {
      // Final block: a real client lingers to re-ACK if the server did not hear it.
      for (int i = 0; i < 3; ++i) {
        pollfd q{fd, POLLIN, 0};
        if (poll(&q, 1, 200) > 0 && recv(fd, buf, sizeof buf, 0) > 0) {
          sendto(fd, last_ack.data(), last_ack.size(), 0, reinterpret_cast<sockaddr*>(&tid),
                 sizeof tid);
        }
      }
      *ok = true;
      break;
    }
  }
  close(fd);
  return out;
}

TEST_F(TftpTest, TransfersSurviveTenPercentLossBothWays) {
  const int runs =
      std::getenv("STEPUP_LOSSY_RUNS") ? std::atoi(std::getenv("STEPUP_LOSSY_RUNS")) : 2;
  // 1 MiB (2048 lock-step blocks, ~390 losses repaired by the server's timer: about a
  // minute) runs in scripts/heavy-tests, not in the fast tier.
  std::vector<size_t> sizes = {1, 512, 65536};
  if (std::getenv("STEPUP_LOSSY_BIG")) sizes.push_back(1048583);
  for (size_t n : sizes) {
    for (int r = 0; r < runs; ++r) {
      bool ok = false;
      std::string got = LossyGet(server_->tftp_port(), "f" + std::to_string(n) + ".bin", 0.10,
                                 1000u * static_cast<uint32_t>(n) + static_cast<uint32_t>(r), &ok);
      EXPECT_TRUE(ok) << n << " run " << r;
      EXPECT_TRUE(got == Original(n)) << n << " run " << r << ": " << got.size() << " bytes";
    }
  }
}

TEST_F(TftpTest, RequestsOverTheirAddresssLimitsWaitTheirTurnInsteadOfBeingRefused) {
  // A site behind one NAT address asks faster than the limit: each phone is answered a moment
  // later (a TFTP error would cost it its retry interval), and the throttling is logged.
  fs::path data = *dir_ / "rate-data";
  fs::create_directories(data / "firmware");
  std::ofstream(data / "firmware" / "img.bin") << "image";
  Server limited(data.string(), {"--tftp-rate", "5", "--tftp-limit", "127.0.0.3/32=1,1000"});
  auto open_from = [&](const char* from) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in me{};
    me.sin_family = AF_INET;
    inet_pton(AF_INET, from, &me.sin_addr);
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&me), sizeof me), 0);
    return fd;
  };
  auto ask = [&](int fd) {  // sends one RRQ
    sockaddr_in srv{};
    srv.sin_family = AF_INET;
    srv.sin_port = htons(static_cast<uint16_t>(limited.tftp_port()));
    srv.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string rrq = TftpRequest(TftpOp::kRrq, "img.bin");
    sendto(fd, rrq.data(), rrq.size(), 0, reinterpret_cast<sockaddr*>(&srv), sizeof srv);
  };
  auto reply = [&](int fd, int ms) {  // the first reply's bytes ("" if none in `ms`)
    pollfd p{fd, POLLIN, 0};
    char buf[600];
    std::string r;
    if (poll(&p, 1, ms) > 0) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n > 0) r.assign(buf, static_cast<size_t>(n));
    }
    return r;
  };
  // 12 phones at once from one address, rate 5: a burst of 5, then 5 a second.
  std::vector<int> fds;
  for (int i = 0; i < 12; ++i) {
    fds.push_back(open_from("127.0.0.1"));
    ask(fds.back());
  }
  const int other = open_from("127.0.0.2");
  ask(other);
  EXPECT_EQ(reply(other, 2000).substr(0, 2), std::string("\0\3", 2));  // served meanwhile
  for (size_t i = 0; i < fds.size(); ++i) {
    std::string r = reply(fds[i], 4000);
    ASSERT_GE(r.size(), 4u) << i;
    EXPECT_EQ(r[1], 3) << i << ": " << r.substr(4);  // DATA, never an ERROR
    close(fds[i]);
  }
  close(other);
  // A network's own limit: one transfer at a time from 127.0.0.3; the second waits for the
  // first to end, and is not refused.
  const int a = open_from("127.0.0.3"), b = open_from("127.0.0.3");
  ask(a);
  char block[600];
  sockaddr_in from{};
  socklen_t len = sizeof from;
  pollfd pa{a, POLLIN, 0};
  ASSERT_GT(poll(&pa, 1, 2000), 0);
  ASSERT_GE(recvfrom(a, block, sizeof block, 0, reinterpret_cast<sockaddr*>(&from), &len), 4);
  ASSERT_EQ(block[1], 3);
  ask(b);
  EXPECT_EQ(reply(b, 300), "");        // held while a's transfer runs
  const std::string ack = TftpAck(1);  // a's one block: its transfer ends
  sendto(a, ack.data(), ack.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
  EXPECT_EQ(reply(b, 2000).substr(0, 2), std::string("\0\3", 2));
  close(a);
  close(b);
  // Counted and logged once per address, not once per request.
  const fs::path log = data / "access.log";
  std::string text;
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        text = Slurp(log);
        return text.find("throttled ip=127.0.0.3") != std::string::npos;
      },
      std::chrono::seconds(5), std::chrono::milliseconds(20)))
      << text;
  EXPECT_NE(text.find("tftp throttled ip=127.0.0.1 held="), std::string::npos) << text;
  EXPECT_NE(text.find("tftp throttled ip=127.0.0.3 held=1 "), std::string::npos) << text;
  EXPECT_EQ(text.find("throttled ip=127.0.0.2"), std::string::npos);
  size_t lines = 0;
  for (size_t at = 0; (at = text.find("throttled ip=127.0.0.1 ", at)) != std::string::npos; ++at)
    ++lines;
  EXPECT_EQ(lines, 1u) << text;
}

TEST_F(TftpTest, UploadsLandWholeInTheUploadDirectoryAndNeverReplaceAFile) {
  if (!Have("tftp") || !Have("atftp")) GTEST_SKIP() << "tftp-hpa/atftp missing (scripts/bootstrap)";
  fs::path data = *dir_ / "upload-data", in = *dir_ / "uploads";
  fs::create_directories(data / "firmware");
  fs::create_directories(in);
  Server up(data.string(), {"--tftp-upload-dir", in.string()});
  const std::string port = std::to_string(up.tftp_port());
  const std::string at = "cd " + (*dir_ / "data" / "firmware").string() + " && ";
  // 64 KiB is an exact multiple of 512: the last DATA is empty.
  ASSERT_EQ(Sh(at + "tftp 127.0.0.1 " + port + " -m binary -c put f65536.bin a.bin"), 0);
  EXPECT_TRUE(Slurp(in / "a.bin") == Original(65536));
  ASSERT_EQ(Sh(at +
               "atftp --put -l f1048583.bin -r b.bin --option \"blksize 1428\" --option "
               "\"windowsize 16\" 127.0.0.1 " +
               port),
            0);
  EXPECT_TRUE(Slurp(in / "b.bin") == Original(1048583));
  EXPECT_NE(ShOut(at + "tftp 127.0.0.1 " + port + " -m binary -c put f512.bin a.bin")
                .find("Error code 6"),
            std::string::npos);
  EXPECT_TRUE(Slurp(in / "a.bin") == Original(65536));  // not replaced
  EXPECT_NE(ShOut(at + "tftp 127.0.0.1 " + port + " -m binary -c put f512.bin ../evil.bin")
                .find("not a plain file name"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(*dir_ / "evil.bin"));
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(in)) names.insert(e.path().filename().string());
  EXPECT_EQ(names, (std::set<std::string>{"a.bin", "b.bin"}));  // no partial files left
}

TEST_F(TftpTest, MalformedPacketsNeverWedgeTheServer) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in srv{};
  srv.sin_family = AF_INET;
  srv.sin_port = htons(static_cast<uint16_t>(server_->tftp_port()));
  srv.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  TftpOptions many;
  for (int i = 0; i < 2000; ++i) many.emplace_back("opt" + std::to_string(i), "1");
  const std::string huge = TftpRequest(TftpOp::kRrq, "f", "octet", many);
  for (const std::string& bad :
       {std::string(""), std::string("\0", 1), std::string("\0\1nonul", 7),
        std::string("\0\1f\0octet\0blksize\0"
                    "0\0",
                    20),
        std::string("\0\x09\0\0", 4), std::string("\0\3\0\1data", 8), std::string("\0\4\0\1", 4),
        huge.substr(0, 65000), std::string("\0\1../../etc/passwd\0octet\0", 25)}) {
    sendto(fd, bad.data(), bad.size(), 0, reinterpret_cast<sockaddr*>(&srv), sizeof srv);
  }
  close(fd);
  if (!Have("curl")) GTEST_SKIP() << "curl is not installed";
  fs::path out = Out("after-garbage");
  ASSERT_EQ(Sh("curl -s -m 10 -o " + out.string() + " tftp://127.0.0.1:" + Port() + "/f1024.bin"),
            0);
  EXPECT_TRUE(Slurp(out) == Original(1024));
}

TEST_F(TftpTest, AReSentReadRequestJoinsItsTransferInsteadOfStartingAnother) {
  // A slow answer makes clients send their RRQ again from the same port; a second transfer
  // would send the file twice and count as a second request from the phone.
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  timeval tv{0, 300000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in srv{};
  srv.sin_family = AF_INET;
  srv.sin_port = htons(static_cast<uint16_t>(server_->tftp_port()));
  srv.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::string rrq = TftpRequest(TftpOp::kRrq, "f65536.bin");
  for (int i = 0; i < 3; ++i)
    sendto(fd, rrq.data(), rrq.size(), 0, reinterpret_cast<sockaddr*>(&srv), sizeof srv);
  std::set<uint16_t> senders;
  char buf[1024];
  sockaddr_in from{};
  socklen_t len = sizeof from;
  while (recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len) > 0) {
    senders.insert(ntohs(from.sin_port));  // never ACKed: the transfer re-sends block 1
    len = sizeof from;
  }
  close(fd);
  EXPECT_EQ(senders.size(), 1u);
}

TEST_F(TftpTest, AClientReusingItsPortForTheSameFileIsAnsweredAtOnce) {
  // A NAT recycling ports, a client's kernel handing out a port again, a phone reusing its
  // port after a reboot: the same endpoint asks for the same file soon after its answer. That
  // is a new request, not a copy: 0.1 s, 1 s and 5 s after the previous transfer ended.
  sockaddr_in srv{};
  srv.sin_family = AF_INET;
  srv.sin_port = htons(static_cast<uint16_t>(server_->tftp_port()));
  srv.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  auto open = [] {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    timeval tv{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
  };
  // Sends the RRQ and ACKs the one-block file; the bytes it got ("" when nothing came).
  auto fetch = [&](int fd, const std::string& file) {
    const std::string rrq = TftpRequest(TftpOp::kRrq, file);
    sendto(fd, rrq.data(), rrq.size(), 0, reinterpret_cast<const sockaddr*>(&srv), sizeof srv);
    char buf[1024];
    sockaddr_in from{};
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
    auto data = ParseTftp(std::string_view(buf, static_cast<size_t>(std::max<ssize_t>(n, 0))));
    if (!data || data->op != TftpOp::kData) return std::string();
    const std::string ack = TftpAck(data->block);
    sendto(fd, ack.data(), ack.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
    return std::string(data->data);
  };
  int fd = open();
  ASSERT_EQ(fetch(fd, "f1.bin"), Original(1));
  for (int gap_ms : {100, 1000, 5000}) {
    // The server ends the transfer on our ACK; the gap is the scenario, not a wait.
    std::this_thread::sleep_for(std::chrono::milliseconds(gap_ms));
    const auto asked = std::chrono::steady_clock::now();
    EXPECT_EQ(fetch(fd, "f1.bin"), Original(1)) << "after " << gap_ms << " ms";
    EXPECT_LT(std::chrono::steady_clock::now() - asked, std::chrono::milliseconds(500))
        << "after " << gap_ms << " ms: the first answer was not at once";
  }
  EXPECT_EQ(fetch(fd, "f511.bin"), Original(511));  // another file from that port
  close(fd);
}

TEST_F(TftpTest, CurlFromOneFixedPortGetsTheSameFileBackToBack) {
  if (!Have("curl")) GTEST_SKIP() << "curl is not installed";
  // curl binds --local-port for TFTP: a real client that reuses its port on purpose.
  fs::path out = Out("fixed-port");
  const std::string get = "curl -s -m 4 --local-port 47311-47319 -o " + out.string() +
                          " tftp://127.0.0.1:" + Port() + "/f1024.bin";
  for (int gap_ms : {0, 100, 1000}) {
    std::this_thread::sleep_for(std::chrono::milliseconds(gap_ms));
    fs::remove(out);
    const auto asked = std::chrono::steady_clock::now();
    ASSERT_EQ(Sh(get), 0) << "after " << gap_ms << " ms";
    EXPECT_TRUE(Slurp(out) == Original(1024));
    EXPECT_LT(std::chrono::steady_clock::now() - asked, std::chrono::seconds(2)) << gap_ms;
  }
}

}  // namespace
}  // namespace stepup
