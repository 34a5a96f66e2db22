#include "net/tftp_upload.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <memory>

#include "net/deadline.h"
#include "net/transport_sockets.h"

namespace stepup {
namespace {

namespace net = boost::asio;
using udp = net::ip::udp;
using Clock = std::chrono::steady_clock;

std::atomic<uint64_t> upload_counter{0};

class TftpUpload : public std::enable_shared_from_this<TftpUpload> {
 public:
  TftpUpload(const net::any_io_executor& ex, const udp::endpoint& peer, std::string path,
             const TftpUploadOptions& opt,
             std::function<void(bool, uint64_t, const std::string&)> finished)
      : socket_(ex),
        deadline_(ex),
        peer_(peer),
        path_(std::move(path)),
        opt_(opt),
        finished_(std::move(finished)) {}

  ~TftpUpload() {
    if (fd_ >= 0) ::close(fd_);
    if (!temp_.empty()) ::unlink(temp_.c_str());
  }

  void Start(const udp::endpoint& local, const TftpPacket& wrq) {
    if (auto ec = OpenTransferSocket(socket_, local.address(), peer_))
      return Finish(false, "socket: " + ec.message());
    deadline_.OnExpiry([weak = weak_from_this()] {
      if (auto self = weak.lock()) self->OnTimeout();
    });
    netascii_ = wrq.mode == "netascii";
    uint64_t declared = 0;
    for (const auto& [name, value] : wrq.options) {
      if (name == "tsize") declared = std::strtoull(value.c_str(), nullptr, 10);
    }
    if (declared > opt_.max_bytes)
      return Fail(TftpError::kDiskFull,
                  "upload larger than " + std::to_string(opt_.max_bytes) + " bytes");
    struct stat st {};
    if (::lstat(path_.c_str(), &st) == 0) return Fail(TftpError::kFileExists, "file exists");
    const std::string dir = path_.substr(0, path_.rfind('/'));
    temp_ = dir + "/.upload-" + std::to_string(::getpid()) + "-" +
            std::to_string(upload_counter.fetch_add(1));
    fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd_ < 0) {
      temp_.clear();
      return Fail(TftpError::kAccessViolation, "cannot create the file");
    }
    opts_ = NegotiateTftp(wrq, declared, opt_.max_blksize);
    timeout_ = std::chrono::milliseconds(opts_.timeout_s ? opts_.timeout_s * 1000
                                                         : opt_.default_timeout_ms);
    give_up_at_ = Clock::now() + std::chrono::seconds(opt_.deadline_s);
    last_reply_ = opts_.oack.empty() ? TftpAck(0) : TftpOack(opts_.oack);
    Receive();
    Reply();
  }

 private:
  // Sends the last ACK (or the OACK) again and waits for the next DATA.
  void Reply() {
    boost::system::error_code ec;
    socket_.send(net::buffer(last_reply_), 0, ec);
    deadline_.SetAfter(timeout_);
  }

  void OnTimeout() {
    if (done_) return;
    if (complete_) return Finish(true, "");  // the client had our final ACK
    if (++retries_ > opt_.retries || Clock::now() > give_up_at_)
      return Fail(TftpError::kUndefined, "timed out");
    Reply();
  }

  void Receive() {
    ReceiveUntilDone(socket_, buf_, done_, shared_from_this(),
                     [this](const TftpPacket& p) { OnPacket(p); });
  }

  void OnPacket(const TftpPacket& p) {
    if (p.op == TftpOp::kError) return Finish(false, "client error: " + p.error_message);
    if (p.op != TftpOp::kData) return;
    if (p.block != static_cast<uint16_t>((received_ + 1) & 0xffff)) {
      // A duplicate or a gap: acknowledge the last block in order (RFC 7440), once a gap when
      // windows are in use (the rest of a window behind a loss must not each draw an ACK,
      // which the sender could answer with a window each); in lock-step, every re-sent block
      // is answered, since it means our ACK was lost.
      if (since_ack_ > 0) {
        last_reply_ = TftpAck(static_cast<uint16_t>(received_ & 0xffff));
        since_ack_ = 0;
        gap_answered_ = false;
      } else if (received_ == 0) {
        last_reply_ = TftpAck(0);  // it has our OACK: start again from block 1
      }
      if (opts_.windowsize > 1 && gap_answered_) return;
      gap_answered_ = true;
      boost::system::error_code ec;
      socket_.send(net::buffer(last_reply_), 0, ec);
      return;
    }
    gap_answered_ = false;
    if (complete_) return;
    if (!Store(p.data)) return;
    ++received_;
    retries_ = 0;
    const bool last = p.data.size() < opts_.blksize;
    if (last) {
      if (!Commit()) return;
      complete_ = true;
    }
    if (last || ++since_ack_ >= opts_.windowsize) {
      last_reply_ = TftpAck(p.block);
      since_ack_ = 0;
      Reply();  // after the final ACK: linger one timeout for a re-sent final block
    }
  }

  [[nodiscard]] bool Store(std::string_view data) {
    std::string converted;
    if (netascii_) {  // CR LF -> LF, CR NUL -> CR; a CR may end one block and its pair the next
      for (char c : data) {
        if (pending_cr_) {
          pending_cr_ = false;
          if (c == '\n') {
            converted.push_back('\n');
            continue;
          }
          converted.push_back('\r');
          if (c == '\0') continue;
        }
        if (c == '\r') {
          pending_cr_ = true;
        } else {
          converted.push_back(c);
        }
      }
      data = converted;
    }
    bytes_ += data.size();
    if (bytes_ > opt_.max_bytes) {
      Fail(TftpError::kDiskFull, "upload larger than " + std::to_string(opt_.max_bytes) + " bytes");
      return false;
    }
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n <= 0) {
        Fail(TftpError::kDiskFull, "write failed");
        return false;
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // The file appears under its name only now, and never over an existing one (link fails).
  [[nodiscard]] bool Commit() {
    if (pending_cr_ && ::write(fd_, "\r", 1) != 1) {
      Fail(TftpError::kDiskFull, "write failed");
      return false;
    }
    if (::fsync(fd_) != 0 || ::close(fd_) != 0) {
      fd_ = -1;
      Fail(TftpError::kDiskFull, "write failed");
      return false;
    }
    fd_ = -1;
    if (::link(temp_.c_str(), path_.c_str()) != 0) {
      Fail(errno == EEXIST ? TftpError::kFileExists : TftpError::kAccessViolation,
           errno == EEXIST ? "file exists" : "cannot store the file");
      return false;
    }
    ::unlink(temp_.c_str());
    temp_.clear();
    return true;
  }

  void Fail(TftpError code, const std::string& why) {
    boost::system::error_code ec;
    if (socket_.is_open()) socket_.send(net::buffer(TftpErrorPacket(code, why)), 0, ec);
    Finish(false, why);
  }

  void Finish(bool ok, const std::string& why) {
    if (done_) return;
    done_ = true;
    deadline_.Stop();
    boost::system::error_code ec;
    socket_.close(ec);
    if (finished_) finished_(ok, bytes_, why);
  }

  udp::socket socket_;
  Deadline deadline_;  // the next resend of the last reply
  udp::endpoint peer_;
  std::string path_, temp_;
  TftpUploadOptions opt_;
  std::function<void(bool, uint64_t, const std::string&)> finished_;
  TftpTransferOptions opts_;
  std::array<char, 65536 + 4> buf_{};
  std::string last_reply_;
  std::chrono::milliseconds timeout_{150};
  Clock::time_point give_up_at_;  // the whole upload's deadline
  int fd_ = -1;
  uint64_t received_ = 0, bytes_ = 0;
  uint32_t retries_ = 0, since_ack_ = 0;
  bool netascii_ = false, pending_cr_ = false, complete_ = false, done_ = false;
  bool gap_answered_ = false;  // a window gap's ACK went out (windowsize > 1)
};

}  // namespace

Result<std::string> TftpUploadPath(const TftpUploadOptions& opt, const std::string& name) {
  if (opt.dir.empty()) return Unknown("uploads are not enabled");
  bool plain = !name.empty() && name.size() <= 128 && name[0] != '.';
  for (char c : name) {
    plain =
        plain && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_');
  }
  if (!plain)
    return BadInput("upload name \"" + name.substr(0, 64) + "\" is not a plain file name");
  return opt.dir + "/" + name;
}

void StartTftpUpload(const net::any_io_executor& executor, const udp::endpoint& local,
                     const udp::endpoint& peer, const TftpPacket& wrq, std::string path,
                     const TftpUploadOptions& opt,
                     std::function<void(bool, uint64_t, const std::string&)> finished) {
  auto up = std::make_shared<TftpUpload>(executor, peer, std::move(path), opt, std::move(finished));
  // On the upload's own strand, so its first reply and timer do not race the handlers.
  net::dispatch(executor, [up, local, wrq] { up->Start(local, wrq); });
}

}  // namespace stepup
