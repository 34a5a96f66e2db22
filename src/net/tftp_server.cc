#include "net/tftp_server.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstring>
#include <string_view>

#include "core/tftp_packet.h"
#include "net/after_durable.h"
#include "net/deadline.h"
#include "net/http_wire.h"
#include "net/tftp_admission.h"
#include "net/tftp_upload.h"
#include "net/tftp_wait_pump.h"
#include "net/transport_sockets.h"
#include "net/udp_receive.h"

namespace stepup {
namespace {

namespace net = boost::asio;
using udp = net::ip::udp;
using Clock = std::chrono::steady_clock;

// An access-log line's start, as HTTP lines start: "2026-12-01T23:06:31.083Z tftp peer=...".
std::string LogLine(const std::string& peer) {
  std::string line;
  AppendLogTime(line);
  line += " tftp peer=";
  line += peer;
  return line;
}

TftpError ErrorFor(int status) {
  if (status == 403 || status == 400) return TftpError::kAccessViolation;
  return status == 404 ? TftpError::kNotFound : TftpError::kUndefined;
}

}  // namespace

struct TftpServer::Impl : std::enable_shared_from_this<TftpServer::Impl> {
  Impl(net::io_context& io, Provisioner& p, TftpServerOptions o, AccessLog l)
      : ioc(io), prov(p), opt(std::move(o)), log(std::move(l)), socket(net::make_strand(io)) {}
  net::io_context& ioc;
  Provisioner& prov;
  TftpServerOptions opt;
  AccessLog log;
  udp::socket socket;
  net::ip::address local_address;  // the listener's, for transfer sockets (set by Start)
  udp::endpoint from;
  std::array<char, 65536> buf{};
  std::atomic<bool> stopping{false};
  std::atomic<size_t> active{0};
  TftpAdmission admission{opt.limits};
  std::shared_ptr<TftpWaitPump> waiting =
      std::make_shared<TftpWaitPump>(socket.get_executor(), admission, opt.max_transfers,
                                     std::chrono::milliseconds(opt.max_hold_ms), log);

  void Receive();
  void OnRequest(const std::string& bytes, const udp::endpoint& peer, Clock::time_point received);
  // Answers an admitted read request (its admission `ticket`) with what the provisioner made
  // of it.
  void Answer(const Request& req, const TftpPacket& rrq, const udp::endpoint& peer, uint64_t ticket,
              Response resp, bool may_wait);
  void Upload(const TftpPacket& wrq, const udp::endpoint& peer, const Request& req,
              const std::string& path, uint64_t ticket);
  void Reject(const udp::endpoint& peer, TftpError code, const std::string& msg) {
    auto pkt = std::make_shared<std::string>(TftpErrorPacket(code, msg));
    socket.async_send_to(net::buffer(*pkt), peer, [pkt](boost::system::error_code, size_t) {});
  }
  // The same, delay_ms later (an address the provisioner slows; Response::delay_ms).
  void RejectLater(const udp::endpoint& peer, TftpError code, const std::string& msg,
                   int delay_ms) {
    RunAfter(socket.get_executor(), std::chrono::milliseconds(delay_ms),
             [self = shared_from_this(), peer, code, msg](bool fired) {
               if (fired && !self->stopping) self->Reject(peer, code, msg);
             });
  }
};

// One read transfer, from its own socket connected to the client's transfer ID.
class TftpTransfer : public std::enable_shared_from_this<TftpTransfer> {
 public:
  TftpTransfer(std::shared_ptr<TftpServer::Impl> srv, Request req, Response resp,
               const udp::endpoint& peer, uint64_t ticket)
      : ticket_(ticket),
        srv_(std::move(srv)),
        req_(std::move(req)),
        resp_(std::move(resp)),
        peer_(peer),
        socket_(net::make_strand(srv_->ioc)),
        deadline_(socket_.get_executor()) {
    ++srv_->active;
    if (srv_->opt.metrics && !resp_.file.empty()) {
      srv_->opt.metrics->TransferStarted();
      counted_ = true;
    }
  }
  ~TftpTransfer() {
    if (counted_) srv_->opt.metrics->TransferEnded();
    if (fd_ >= 0) ::close(fd_);
    --srv_->active;
    srv_->admission.Release(req_.peer_ip, req_.peer, req_.target, ticket_, completed_);
  }

  // Starts once the hop progress the answer reports is durable (Response::durable); refuses
  // with "inventory unavailable" if it was lost.
  void StartWhenDurable(const TftpPacket& rrq) {
    AfterDurable(srv_->prov, resp_.durable, socket_.get_executor(),
                 [self = shared_from_this(), rrq](bool ok) { self->Start(rrq, ok); });
  }

  void Start(const TftpPacket& rrq, bool durable = true) {
    if (OpenTransferSocket(socket_, srv_->local_address, peer_)) return;
    // Retransmission: progress only moves the deadline (an ACK costs no timer operation).
    deadline_.OnExpiry([weak = weak_from_this()] {
      if (auto self = weak.lock()) self->OnTimer();
    });
    if (!durable) {
      resp_.file.clear();
      return SendError(TftpError::kUndefined, Provisioner::Unavailable().reason);
    }
    // The content: a rendered body, or a file read block by block.
    if (!resp_.file.empty() && rrq.mode == "octet") {
      // From memory (one copy however many phones fetch it), else block by block from disk.
      if (srv_->opt.images && (image_ = srv_->opt.images->Get(resp_.file))) {
        content_ = *image_;
        size_ = content_.size();
      } else {
        fd_ = ::open(resp_.file.c_str(), O_RDONLY | O_CLOEXEC);
        struct stat st {};
        if (fd_ < 0 || ::fstat(fd_, &st) != 0)
          return SendError(TftpError::kNotFound, "file not found");
        size_ = static_cast<uint64_t>(st.st_size);
      }
    } else {
      if (!resp_.file.empty()) {  // netascii of a file: convert it whole
        int fd = ::open(resp_.file.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return SendError(TftpError::kNotFound, "file not found");
        std::string data;
        char chunk[65536];
        ssize_t n;
        while ((n = ::read(fd, chunk, sizeof chunk)) > 0)
          data.append(chunk, static_cast<size_t>(n));
        ::close(fd);
        resp_.body = std::move(data);
      }
      body_ = rrq.mode == "netascii" ? ToNetascii(resp_.body) : std::move(resp_.body);
      content_ = body_;
      size_ = body_.size();
    }
    opts_ = NegotiateTftp(rrq, size_, srv_->opt.max_blksize);
    last_block_ = size_ / opts_.blksize + 1;  // the last block is short (possibly empty)
    timeout_ = base_timeout_ = std::chrono::milliseconds(
        opts_.timeout_s ? opts_.timeout_s * 1000 : srv_->opt.default_timeout_ms);
    give_up_at_ = Clock::now() + std::chrono::seconds(srv_->opt.deadline_s);
    first_sent_ = Clock::now();
    // Start runs off the transfer's strand: the receive is posted last, so the handlers that
    // answer the client (on the strand, perhaps on another thread) never overlap it. The
    // timer armed before it fires no sooner than a retransmission timeout later.
    if (!opts_.oack.empty()) {
      oack_pending_ = true;
      SendRaw(TftpOack(opts_.oack));
      Arm();
    } else {
      SendWindow();
    }
    Receive();
  }

 private:
  // UDP sends do not block in practice; a datagram the kernel refuses is as good as lost,
  // and retransmission covers it. Sending directly saves a handler per packet.
  void SendRaw(std::string_view pkt) {
    boost::system::error_code ec;
    socket_.send(net::buffer(pkt.data(), pkt.size()), 0, ec);
  }

  // DATA packet n in a buffer reused from packet to packet.
  std::string_view Block(uint64_t n) {
    const uint64_t off = (n - 1) * opts_.blksize;
    const size_t len =
        static_cast<size_t>(std::min<uint64_t>(opts_.blksize, size_ - std::min(off, size_)));
    // The block number rolls over past 65535.
    char* payload = TftpDataInto(packet_, static_cast<uint16_t>(n & 0xffff), len);
    if (fd_ < 0) {
      if (len) std::memcpy(payload, content_.data() + off, len);
    } else if (len) {
      ssize_t got = ::pread(fd_, payload, len, static_cast<off_t>(off));
      packet_.resize(4 + static_cast<size_t>(std::max<ssize_t>(got, 0)));
    }
    return packet_;
  }

  // Sends blocks acked_+1 .. acked_+windowsize (not past the last).
  void SendWindow() {
    const uint64_t end = std::min(acked_ + opts_.windowsize, last_block_);
    // Every block but the last acknowledged and the last one about to go: the download counts
    // as done now. The final ACK is the one packet RFC 1350 leaves unconfirmed, and a phone
    // that has the file reboots and asks for its configuration before a lost final ACK would
    // time out here; waiting for it would hold that hop as unfinished. Told before the block
    // goes out: the phone's next request may be handled on another thread first.
    if (!reported_ && end == last_block_ && acked_ + 1 == last_block_ && !resp_.file.empty()) {
      reported_ = true;
      srv_->prov.TransferDone(req_, resp_.file, true);
      // ...and it is no longer a transfer in flight (the download cap's measure): the phone
      // may be offered its next hop, and a slot given to another, before the final ACK comes.
      if (counted_) {
        srv_->opt.metrics->TransferEnded();
        counted_ = false;
      }
    }
    for (uint64_t n = acked_ + 1; n <= end; ++n) SendRaw(Block(n));
    sent_ = end;
    Arm();
  }

  // After a backed-off retransmission the deadline moves earlier again: the next loss is
  // repaired after the short timeout, not after the long one.
  void Arm() { deadline_.SetAfter(timeout_); }

  void OnTimer() {
    if (done_) return;
    if (++retries_ > srv_->opt.retries || Clock::now() > give_up_at_) {
      // Only the final ACK is missing after the last block went out retries+1 times: the
      // client almost surely has the file and stopped listening (see SendWindow).
      if (reported_) return Finish(true, "final ACK never came");
      return SendError(TftpError::kUndefined, "timed out");
    }
    // Without a negotiated timeout (RFC 2349) each retransmission waits twice as long: quick
    // to repair a lost packet, patient with a client slowed by a boot storm.
    if (!opts_.timeout_s) timeout_ = std::min(timeout_ * 2, std::chrono::milliseconds(5000));
    if (oack_pending_) {
      SendRaw(TftpOack(opts_.oack));
      Arm();
    } else {
      SendWindow();
    }
  }

  void Receive() {
    ReceiveUntilDone(socket_, buf_, done_, shared_from_this(),
                     [this](const TftpPacket& p) { OnPacket(p); });
  }

  // A packet on the transfer's port (garbage there is ignored).
  void OnPacket(const TftpPacket& p) {
    if (p.op == TftpOp::kError)
      return Finish(false, "client error: " + p.error_message.substr(0, 80));
    if (p.op != TftpOp::kAck) return;
    // The client has our answer: its copies come within a round trip of our first packet.
    if (rtt_ == Clock::duration::zero()) {
      rtt_ = Clock::now() - first_sent_;
      srv_->admission.Answering(req_.peer, req_.target, ticket_,
                                first_sent_ + std::min<Clock::duration>(2 * rtt_, base_timeout_));
    }
    if (oack_pending_) {
      if (p.block != 0) return;
      oack_pending_ = false;
      retries_ = 0;
      timeout_ = base_timeout_;
      return SendWindow();
    }
    // Which block of the window this ACK names (16-bit numbers roll over).
    for (uint64_t n = sent_; n > acked_; --n) {
      if (static_cast<uint16_t>(n & 0xffff) != p.block) continue;
      acked_ = n;
      retries_ = 0;
      timeout_ = base_timeout_;
      if (acked_ == last_block_) return Finish(true, "");
      return SendWindow();
    }
    // A duplicate or stale ACK: ignored, never answered with a resend.
  }

  void SendError(TftpError code, const std::string& msg) {
    if (socket_.is_open()) {
      boost::system::error_code ec;
      socket_.send(net::buffer(TftpErrorPacket(code, msg)), 0, ec);
    }
    Finish(false, msg);
  }

  void Finish(bool complete, const std::string& why) {
    if (done_) return;
    done_ = true;
    completed_ = complete;
    deadline_.Stop();
    boost::system::error_code ec;
    socket_.close(ec);
    if (!resp_.file.empty() && !reported_) srv_->prov.TransferDone(req_, resp_.file, complete);
    if (Metrics* m = srv_->opt.metrics) {
      m->Request("tftp", complete ? 200 : 500,
                 complete ? size_ : std::min(size_, acked_ * opts_.blksize),
                 std::chrono::duration<double>(Clock::now() - begun_).count());
    }
    if (srv_->log) {
      srv_->log(
          LogLine(req_.peer) + " device=" + (resp_.device.empty() ? "-" : resp_.device) +
          " file=" + req_.target.substr(1, 200) + " status=" + (complete ? "200" : "500") +
          " bytes=" + std::to_string(complete ? size_ : std::min(size_, acked_ * opts_.blksize)) +
          " blksize=" + std::to_string(opts_.blksize) +
          " window=" + std::to_string(opts_.windowsize) + " ms=" +
          std::to_string(
              std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - begun_)
                  .count()) +
          (why.empty() ? "" : " error=\"" + why + "\""));
    }
  }

  const uint64_t ticket_;  // TftpAdmission's name for this start
  std::shared_ptr<TftpServer::Impl> srv_;
  Request req_;
  Response resp_;
  udp::endpoint peer_;
  udp::socket socket_;
  Deadline deadline_;                         // the next retransmission
  std::array<char, 2048> buf_{};              // a transfer only receives ACKs and ERRORs
  std::string body_;                          // a rendered (or netascii) body
  std::shared_ptr<const std::string> image_;  // or a file held by the image cache
  std::string_view content_;                  // whichever of the two is sent
  int fd_ = -1;                               // or, neither: the file, read block by block
  uint64_t size_ = 0, last_block_ = 1, acked_ = 0, sent_ = 0;
  uint32_t retries_ = 0;
  bool oack_pending_ = false, done_ = false;
  bool reported_ = false;   // TransferDone already told (see SendWindow)
  bool completed_ = false;  // every block acknowledged (or all but the final ACK)
  std::string packet_;
  TftpTransferOptions opts_;
  std::chrono::milliseconds timeout_{400}, base_timeout_{400};
  Clock::time_point give_up_at_;            // the whole transfer's deadline
  Clock::time_point first_sent_;            // our first packet (OACK or DATA) went out
  Clock::duration rtt_{};                   // until the client's first ACK came back
  Clock::time_point begun_ = Clock::now();  // the request came (a wait for durability included)
  bool counted_ = false;                     // in the metrics' transfers in flight
};

void TftpServer::Impl::Receive() {
  socket.async_wait(
      udp::socket::wait_read, [self = shared_from_this()](boost::system::error_code ec) {
        if (ec) {
          if (self->stopping || ec == net::error::operation_aborted) return;
        } else {
          // What is queued, up to a bound, each with the time it arrived (copies: TftpAdmission):
          // one request per turn (each waits behind every transfer's handlers) let a boot
          // storm's requests queue for seconds (clients re-sent them, the kernel dropped them).
          for (int i = 0; i < 257 && !self->stopping; ++i) {
            Clock::time_point received;
            size_t n = ReceiveStamped(self->socket, self->buf, self->from, received, ec);
            if (ec) break;  // would block: the queue is empty
            self->OnRequest(std::string(self->buf.data(), n), self->from, received);
          }
        }
        if (!self->stopping) self->Receive();
      });
}

void TftpServer::Impl::Upload(const TftpPacket& wrq, const udp::endpoint& peer, const Request& req,
                              const std::string& path, uint64_t ticket) {
  ++active;
  StartTftpUpload(net::make_strand(ioc), socket.local_endpoint(), peer, wrq, path, opt.upload,
                  [self = shared_from_this(), req, ticket, name = wrq.filename](
                      bool ok, uint64_t bytes, const std::string& why) {
                    self->admission.Release(req.peer_ip, req.peer, req.target, ticket, ok);
                    --self->active;
                    if (self->log) {
                      self->log(LogLine(req.peer) + " upload=" + name.substr(0, 128) + " status=" +
                                (ok ? "200" : "500") + " bytes=" + std::to_string(bytes) +
                                (why.empty() ? "" : " error=\"" + why + "\""));
                    }
                  });
}

void TftpServer::Impl::OnRequest(const std::string& bytes, const udp::endpoint& peer,
                                 Clock::time_point received) {
  auto p = ParseTftp(bytes);
  if (!p) return Reject(peer, TftpError::kIllegalOperation, p.error().message);
  if (p->op != TftpOp::kRrq && p->op != TftpOp::kWrq)
    return Reject(peer, TftpError::kIllegalOperation, "expected a read or write request");
  std::string upload_path;
  if (p->op == TftpOp::kWrq) {
    auto where = TftpUploadPath(opt.upload, p->filename);
    if (!where) return Reject(peer, TftpError::kAccessViolation, where.error().message);
    upload_path = *where;
  }
  const std::string ip = PeerIp(peer.address());
  Request req;
  req.transport = "tftp";
  req.peer_ip = ip;
  req.peer = PeerText(ip, peer.port());
  if (active >= opt.max_transfers)
    return Reject(peer, TftpError::kUndefined, "server busy, retry later");
  // TFTP names have no leading slash and may carry one; either way one path for the provisioner.
  std::string name = p->filename;
  while (!name.empty() && name[0] == '/') name.erase(0, 1);
  req.target = "/" + name;
  const std::string held_key = req.peer + '\0' + req.target;
  if (waiting->Holds(held_key)) return;  // a copy of a request waiting for room
  uint64_t ticket = 0;
  switch (admission.Admit(ip, req.peer, req.target, received, ticket)) {
    case TftpAdmission::Verdict::kStart:
      break;
    case TftpAdmission::Verdict::kDuplicate:
      return;  // its transfer (or the answer it already had) answers it
    case TftpAdmission::Verdict::kTooMany:
    case TftpAdmission::Verdict::kTooFast:  // held; answered when its address has room
      if (waiting->Hold(ip, held_key, [w = weak_from_this(), bytes, peer, received] {
            if (auto self = w.lock()) self->OnRequest(bytes, peer, received);
          }))
        return;
      return Reject(peer, TftpError::kUndefined, "server busy, retry later");
  }
  if (p->op == TftpOp::kWrq) return Upload(*p, peer, req, upload_path, ticket);
  req.method = "GET";
  Answer(req, *p, peer, ticket, prov.Handle(req), /*may_wait=*/true);
}

void TftpServer::Impl::Answer(const Request& req, const TftpPacket& rrq, const udp::endpoint& peer,
                              uint64_t ticket, Response resp, bool may_wait) {
  const std::string& ip = req.peer_ip;
  const std::string name = req.target.substr(1);
  if (resp.ready) {
    // The provisioner is reading the phone's web page: the request is handled again then (its
    // admission holds, so the client's re-sent copies start nothing meanwhile).
    if (may_wait) {
      return prov.WhenReady(resp.ready, [self = shared_from_this(), req, rrq, peer, ticket] {
        net::post(self->socket.get_executor(), [self, req, rrq, peer, ticket] {
          self->Answer(req, rrq, peer, ticket, self->prov.Handle(req), /*may_wait=*/false);
        });
      });
    }
    resp = Provisioner::Unavailable();  // waited once already
  }
  if (resp.status != 200) {
    admission.Release(ip, req.peer, req.target, ticket, /*answered=*/true);  // copies: nothing
    if (opt.metrics) opt.metrics->Request("tftp", resp.status, 0, 0);
    if (log) {
      log(LogLine(req.peer) + " device=" + (resp.device.empty() ? "-" : resp.device) +
          " file=" + name.substr(0, 200) + " status=" + std::to_string(resp.status) + " bytes=0");
    }
    const std::string msg = resp.status == 403   ? "access violation"
                            : resp.status == 404 ? "file not found"
                                                 : resp.reason;
    if (resp.delay_ms > 0) return RejectLater(peer, ErrorFor(resp.status), msg, resp.delay_ms);
    return Reject(peer, ErrorFor(resp.status), msg);
  }
  // A transfer starts at once even when the provisioner asked for a delay (a profile without
  // secrets to an address it slows): the transfer holds a slot, and refusals come soon enough.
  // Started here, on the listener's strand, before the next request is read: in a boot storm
  // that paces new transfers to how fast they can be started (posting the start to the
  // transfer's strand let the listener take requests faster than transfers answered them,
  // and clients timed out by the thousand).
  const bool wait = resp.durable != 0;
  auto transfer =
      std::make_shared<TftpTransfer>(shared_from_this(), req, std::move(resp), peer, ticket);
  if (wait) return transfer->StartWhenDurable(rrq);
  transfer->Start(rrq);
}

// Over its address's limits: held in the wait room and run again when there is room (a phone
// told "error" waits minutes on some families). False when the room is full.
TftpServer::TftpServer(net::io_context& ioc, Provisioner& p, TftpServerOptions o, AccessLog log)
    : impl_(std::make_shared<Impl>(ioc, p, std::move(o), std::move(log))) {}

TftpServer::~TftpServer() { Stop(); }

Status TftpServer::Start() {
  if (auto s = OpenUdpListener(impl_->socket, "--tftp", impl_->opt.address, impl_->opt.port); !s)
    return s;
  // Non-blocking: Receive drains the queue without waiting. A boot storm sends thousands of
  // requests at once: a deep queue (the kernel caps it at net.core.rmem_max) drops fewer of
  // them before the server reads them.
  boost::system::error_code ec, ignored;
  impl_->socket.set_option(udp::socket::receive_buffer_size(4 << 20), ignored);
  EnableReceiveTimes(impl_->socket);
  impl_->local_address = impl_->socket.local_endpoint(ec).address();
  if (ec) return IoError("--tftp: " + ec.message());
  impl_->Receive();
  return Ok{};
}

uint16_t TftpServer::port() const {
  boost::system::error_code ec;
  auto ep = impl_->socket.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void TftpServer::Stop() {
  if (impl_->stopping.exchange(true)) return;
  net::dispatch(impl_->socket.get_executor(), [impl = impl_] {
    boost::system::error_code ec;
    impl->socket.close(ec);
    impl->waiting->Stop();
  });
}

size_t TftpServer::active() const { return impl_->active; }

}  // namespace stepup
