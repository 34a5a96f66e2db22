// The transports send an answer that reports hop progress only once the inventory says the
// progress is durable, and refuse it (HTTP 503, TFTP error 0) when it was lost (contract.md:
// hop progress is durable before the response that offers the next hop is sent).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "core/tftp_packet.h"
#include "server/server_fixture.h"

namespace stepup {
namespace {
namespace fs = std::filesystem;

// The inventory --data opened, whose progress becomes durable (or is lost) 20 ms later, on
// another thread, as with the SQLite group committer on a slow disk.
class SlowDiskInventory : public Inventory {
 public:
  SlowDiskInventory(std::unique_ptr<Inventory> inner, bool durable)
      : durable_(durable), inner_(std::move(inner)) {}
  ~SlowDiskInventory() override {
    std::lock_guard lock(mu_);
    for (auto& t : threads_) t.join();
  }
  Result<Device> Add(const Device& d) override { return inner_->Add(d); }
  Status AddAll(const std::vector<Device>& d) override { return inner_->AddAll(d); }
  Status Update(const Device& d) override { return inner_->Update(d); }
  Status Remove(int64_t id) override { return inner_->Remove(id); }
  Result<std::optional<Device>> FindByMac(const std::string& m) override {
    return inner_->FindByMac(m);
  }
  Result<std::optional<Device>> FindBySerial(const std::string& s) override {
    return inner_->FindBySerial(s);
  }
  Result<std::optional<Device>> FindById(int64_t id) override { return inner_->FindById(id); }
  Result<std::vector<Device>> List() override { return inner_->List(); }
  Status AppendEvent(int64_t id, const Event& e, bool batched) override {
    return inner_->AppendEvent(id, e, batched);
  }
  Result<std::vector<Event>> Events(int64_t id) override { return inner_->Events(id); }
  Status RecordUnknown(const UnknownAttempt& a) override { return inner_->RecordUnknown(a); }
  Result<std::vector<UnknownAttempt>> UnknownAttempts() override {
    return inner_->UnknownAttempts();
  }
  Status Flush() override { return inner_->Flush(); }
  int64_t DevicesVersion() override { return inner_->DevicesVersion(); }
  Result<std::vector<RolloutGroup>> Groups() override { return inner_->Groups(); }
  Status PutGroup(const RolloutGroup& g) override { return inner_->PutGroup(g); }
  Status RemoveGroup(const std::string& n) override { return inner_->RemoveGroup(n); }

  Result<uint64_t> RecordProgress(const Device& d, const std::vector<Event>& events) override {
    if (auto t = inner_->RecordProgress(d, events); !t) return t;
    return ++tickets_;
  }
  void WhenDurable(uint64_t, std::function<void(bool)> done) override {
    ++waits;
    std::lock_guard lock(mu_);
    threads_.emplace_back([done = std::move(done), ok = durable_] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      done(ok);
    });
  }
  std::atomic<int> waits{0};

 private:
  bool durable_;
  std::unique_ptr<Inventory> inner_;
  std::atomic<uint64_t> tickets_{0};
  std::mutex mu_;
  std::vector<std::thread> threads_;
};

// A server started as `stepup serve` starts one (server/server.h), its inventory slowed.
class DurabilityTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("stepup-durable-" + std::to_string(::getpid()) + (GetParam() ? "-kept" : "-lost"));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "data" / "firmware");
    std::ofstream(dir_ / "data" / "firmware" / "spa50x-30x-7-5-2b.bin") << "image";
    ServerConfig c = TestServerConfig(dir_);
    c.wrap_inventory = [this](std::unique_ptr<Inventory> opened) -> std::unique_ptr<Inventory> {
      auto slow = std::make_unique<SlowDiskInventory>(std::move(opened), GetParam());
      inv_ = slow.get();
      return slow;
    };
    auto opened = Server::Open(std::move(c));
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    server_ = std::move(opened).value();
    Device spa;
    spa.mac = "58bfea1104e6";
    spa.model = "SPA504G";
    spa.target = "7.6.1";
    ASSERT_TRUE(server_->inventory().Add(spa).ok());
    Device cp;
    cp.mac = "001b2a893698";
    cp.model = "CP-7970G";
    cp.firmware = "SIP70.8-2-1S";
    ASSERT_TRUE(server_->inventory().Add(cp).ok());
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    if (server_) server_->Stop();
    server_.reset();
    fs::remove_all(dir_);
  }

  static sockaddr_in Loopback(uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
  }
  // One HTTP/1.1 request; the status line.
  std::string HttpStatusLine(const std::string& target, const std::string& ua) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a = Loopback(server_->http_port());
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return "connect failed";
    std::string req = "GET " + target + " HTTP/1.1\r\nHost: x\r\nUser-Agent: " + ua +
                      "\r\nConnection: close\r\n\r\n";
    (void)send(fd, req.data(), req.size(), 0);
    std::string got;
    char buf[4096];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof buf, 0)) > 0) got.append(buf, static_cast<size_t>(n));
    close(fd);
    return got.substr(0, got.find("\r\n"));
  }
  // One TFTP read request; the first packet's opcode and (for an error) its message.
  std::pair<int, std::string> TftpFirstAnswer(const std::string& file) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a = Loopback(server_->tftp_port());
    const std::string rrq = TftpRequest(TftpOp::kRrq, file);
    sendto(fd, rrq.data(), rrq.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    char buf[2048];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    close(fd);
    if (n < 4) return {-1, ""};
    return {buf[1], buf[1] == 5 ? std::string(buf + 4) : ""};
  }

  SlowDiskInventory* inv_ = nullptr;  // owned by the server
  std::unique_ptr<Server> server_;
  fs::path dir_;
};

TEST_P(DurabilityTest, AnAnswerWithProgressWaitsForItAndIsRefusedIfItWasLost) {
  const bool kept = GetParam();
  // Each answer comes only once the slow disk (20 ms) has answered: not sooner.
  using Clock = std::chrono::steady_clock;
  const auto http_asked = Clock::now();
  EXPECT_EQ(HttpStatusLine("/spa504G.cfg", "Cisco/SPA504G-7.3.7 (58BFEA1104E6)(CCQ16380FYH)"),
            kept ? "HTTP/1.1 200 OK" : "HTTP/1.1 503 Service Unavailable");
  EXPECT_GE(Clock::now() - http_asked, std::chrono::milliseconds(20));
  const auto tftp_asked = Clock::now();
  auto [op, message] = TftpFirstAnswer("SEP001B2A893698.cnf.xml");
  EXPECT_GE(Clock::now() - tftp_asked, std::chrono::milliseconds(20));
  if (kept) {
    EXPECT_EQ(op, 3) << message;  // DATA
  } else {
    EXPECT_EQ(op, 5);
    EXPECT_EQ(message, "inventory unavailable");
  }
  EXPECT_EQ(inv_->waits.load(), 2);  // each answer waited for its progress
}

INSTANTIATE_TEST_SUITE_P(KeptOrLost, DurabilityTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Kept" : "Lost"; });

}  // namespace
}  // namespace stepup
