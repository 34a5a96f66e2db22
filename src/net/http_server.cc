#include "net/http_server.h"

#include <charconv>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <mutex>
#include <optional>
#include <set>

#include "net/after_durable.h"
#include "net/deadline.h"
#include "net/http_wire.h"
#include "net/tls_context.h"
#include "net/transport_sockets.h"

namespace stepup {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using TlsStream = net::ssl::stream<tcp::socket&>;

// The most one sendfile(2) call is asked for: the socket's send buffer takes less anyway, and
// a bound keeps one download from holding the thread.
constexpr uint64_t kFileChunk = uint64_t{4} << 20;
// Over TLS a file goes through user space (no kernel TLS here): read and encrypted this much
// at a time.
constexpr size_t kTlsFileChunk = 64 * 1024;

}  // namespace

class HttpSession;

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(net::io_context& io, Provisioner& p, HttpOptions o, AccessLog l)
      : ioc(io), prov(p), opt(std::move(o)), log(std::move(l)), acceptor(net::make_strand(io)) {}

  net::io_context& ioc;
  Provisioner& prov;
  HttpOptions opt;
  AccessLog log;
  tcp::acceptor acceptor;
  std::atomic<bool> stopping{false};
  std::atomic<size_t> active{0};
  std::mutex sessions_mu;
  std::set<std::weak_ptr<HttpSession>, std::owner_less<std::weak_ptr<HttpSession>>> sessions;

  void DoAccept();
  void Adopt(tcp::socket s);  // a new connection's session
  size_t sweep_at = 1024;     // sessions held before expired ones are swept (sessions_mu)
};

// One connection: read a request, hand it to the provisioner, write the answer, repeat while
// keep-alive holds. Every step runs on the connection's strand. One deadline covers whatever
// the connection is doing (a TLS handshake, reading a request, writing an answer); moving it
// costs a request no timer operation (net/deadline.h). Over HTTPS the same steps run through
// a TLS stream on the socket: the handshake first, files read and written in chunks instead
// of sendfile(2).
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket&& socket, std::shared_ptr<HttpServer::Impl> srv)
      : socket_(std::move(socket)),
        srv_(std::move(srv)),
        buffer_(srv_->opt.header_limit + 64 * 1024),
        deadline_(socket_.get_executor()) {
    if (srv_->opt.tls) {
      // The handshake's flights, the session tickets after it and close_notify are small
      // writes each: with Nagle's algorithm one waits for the client's delayed ACK (40 ms).
      beast::error_code ec;
      socket_.set_option(tcp::no_delay(true), ec);
      tls_ = std::make_unique<TlsStream>(socket_, *srv_->opt.tls);
      tls_->set_verify_callback([this](bool preverified, net::ssl::verify_context& vc) {
        return NoteVerification(preverified, vc.native_handle(), first_cert_error_);
      });
    }
    beast::error_code ec;
    auto ep = socket_.remote_endpoint(ec);
    if (!ec) {
      req_.peer_ip = PeerIp(ep.address());
      req_.peer = PeerText(req_.peer_ip, ep.port());
      from_proxy_ = InRanges(ep.address(), srv_->opt.trusted_proxies);
    }
    conn_ip_ = req_.peer_ip;
    conn_peer_ = req_.peer;
    req_.transport = tls_ ? "https" : "http";
    ++srv_->active;
  }
  ~HttpSession() {
    if (in_flight_) srv_->opt.metrics->TransferEnded();
    if (file_.fd >= 0) ::close(file_.fd);
    --srv_->active;
  }

  void Run() {
    deadline_.OnExpiry([weak = weak_from_this()] {
      if (auto self = weak.lock()) self->OnDeadline();
    });
    net::dispatch(socket_.get_executor(), [self = shared_from_this()] {
      if (self->tls_) return self->Handshake();
      self->DoRead();
    });
  }

  // Closes the connection if it is idle between requests (used by a draining server).
  void CloseIfIdle() {
    net::dispatch(socket_.get_executor(), [self = shared_from_this()] {
      if (self->reading_ && self->buffer_.size() == 0 &&
          (!self->parser_ || !self->parser_->got_some())) {
        beast::error_code ec;
        self->socket_.shutdown(tcp::socket::shutdown_both, ec);
        self->socket_.close(ec);
      }
    });
  }

 private:
  // A request a trusted load balancer relayed: the phone's address from its headers. False
  // (answered 400) when a header is malformed: the balancer is misconfigured.
  bool Relayed() {
    req_.peer_ip = conn_ip_;
    req_.peer = conn_peer_;
    relayed_ = false;
    std::string bad;
    auto client =
        RelayedClient(head_.real_ip, head_.forwarded_for, srv_->opt.trusted_proxies, bad);
    if (!bad.empty()) {
      Refuse(400, "bad request: " + bad + " is not an address (from trusted proxy " + conn_ip_ +
                      ")");
      return false;
    }
    if (!client) return true;  // no header: the balancer's own request (a health check)
    unsigned port = 0;
    const std::string& p = head_.real_port;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
    if (p.empty() || ec != std::errc() || end != p.data() + p.size() || port > 65535)
      port = std::stoul(conn_peer_.substr(conn_peer_.rfind(':') + 1));
    req_.peer_ip = *client;
    req_.peer = PeerText(*client, static_cast<uint16_t>(port));
    relayed_ = true;
    return true;
  }

  void SetDeadline(int seconds) { deadline_.SetAfter(std::chrono::seconds(seconds)); }

  // The socket, or the TLS stream over it.
  template <class Buffers, class Handler>
  void ReadSomeInto(const Buffers& b, Handler&& h) {
    if (tls_) return tls_->async_read_some(b, std::forward<Handler>(h));
    socket_.async_read_some(b, std::forward<Handler>(h));
  }
  template <class Handler>
  void WriteAll(net::const_buffer b, Handler&& h) {
    if (tls_) return net::async_write(*tls_, b, std::forward<Handler>(h));
    net::async_write(socket_, b, std::forward<Handler>(h));
  }

  void Handshake() {
    SetDeadline(srv_->opt.read_timeout_s);
    tls_->async_handshake(net::ssl::stream_base::server,
                          [self = shared_from_this()](beast::error_code ec) {
                            if (ec) {  // not TLS, no shared protocol, cut at the deadline
                              beast::error_code ignored;
                              self->socket_.close(ignored);
                              return;
                            }
                            TlsPeer peer = ReadTlsPeer(self->tls_->native_handle(),
                                                       self->first_cert_error_,
                                                       self->srv_->opt.require_client_cert);
                            self->req_.cert_subject = std::move(peer.subject);
                            self->req_.cert_error = std::move(peer.error);
                            self->req_.tls_version = std::move(peer.version);
                            self->DoRead();
                          });
  }

  void OnDeadline() {
    if (!socket_.is_open()) return;
    timed_out_ = true;
    beast::error_code ignored;
    socket_.cancel(ignored);
    socket_.close(ignored);
  }

  void DoRead() {
    head_.Clear();
    req_.method = "-";  // what a 408 for a request that never completed logs
    req_.target.clear();
    parser_.emplace(head_);
    parser_->header_limit(srv_->opt.header_limit);
    parser_->body_limit(srv_->opt.body_limit);
    SetDeadline(srv_->opt.read_timeout_s);
    reading_ = true;
    if (buffer_.size() > 0) return Parse();  // a pipelined request is already here
    ReadSome();
  }

  void ReadSome() {
    const size_t room = std::min<size_t>(16 * 1024, buffer_.max_size() - buffer_.size());
    if (room == 0) return Refuse(431, "request header fields too large");
    ReadSomeInto(buffer_.prepare(room), [self = shared_from_this()](beast::error_code ec,
                                                                      size_t n) {
      self->OnReadSome(ec, n);
    });
  }

  void OnReadSome(beast::error_code ec, size_t n) {
    if (ec) {  // end of stream, reset, or cut at the deadline
      reading_ = false;
      start_ = Clock::now();
      if (timed_out_ && parser_->got_some()) Log("-", 408, 0);
      return Close();
    }
    buffer_.commit(n);
    Parse();
  }

  void Parse() {
    beast::error_code ec;
    while (buffer_.size() > 0 && !parser_->is_done()) {
      const size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == http::error::need_more) {
        ec = {};
        break;
      }
      if (ec || used == 0) break;
    }
    if (ec == http::error::header_limit) return Refuse(431, "request header fields too large");
    if (ec == http::error::body_limit) return Refuse(413, "request body too large");
    if (ec) return Refuse(400, "bad request: " + ec.message());
    if (!parser_->is_done()) return ReadSome();
    reading_ = false;
    OnRequest();
  }

  void OnRequest() {
    start_ = Clock::now();
    if (from_proxy_ && !Relayed()) return;
    req_.method = head_.method;
    req_.target = head_.target;
    req_.user_agent = head_.user_agent;
    req_.authorization = head_.authorization;
    req_.content_type = head_.content_type;
    req_.body.swap(head_.body);
    version_ = head_.version;
    keep_alive_ = parser_->keep_alive() && !srv_->stopping;
    head_only_ = head_.verb == http::verb::head;
    // Through a balancer the admin routes are not served here (the balancer would make a
    // loopback listener's API public): use --admin for them.
    const bool admin = srv_->opt.admin && !relayed_ && AdminApi::Routes(req_.target);
    const bool write = head_.verb == http::verb::post || head_.verb == http::verb::put ||
                       head_.verb == http::verb::patch || head_.verb == http::verb::delete_;
    if (head_.verb != http::verb::get && !head_only_ && !(admin && write)) {
      keep_alive_ = false;
      return SendBody(405, "text/plain", "method not allowed\n", "");
    }
    if (admin) return Process(srv_->opt.admin->Handle(req_), /*may_wait=*/false);
    if (!srv_->opt.phones) {
      const bool health = req_.target == "/healthz";
      return SendBody(health ? 200 : 404, "text/plain",
                      health ? "ok\n" : "not found (an admin listener: phones are served elsewhere)\n",
                      "");
    }
    Process(srv_->prov.Handle(req_), /*may_wait=*/true);
  }
  void Process(Response r, bool may_wait) {
    if (r.ready) {  // the provisioner is reading the phone's web page: handled again then
      if (may_wait) {
        return srv_->prov.WhenReady(r.ready, [self = shared_from_this()] {
          net::post(self->socket_.get_executor(), [self] {
            self->Process(self->srv_->prov.Handle(self->req_), /*may_wait=*/false);
          });
        });
      }
      r = Provisioner::Unavailable();  // waited once already
    }
    if (r.durable) {  // answered once the hop progress it reports is durable
      const uint64_t ticket = r.durable;
      return AfterDurable(srv_->prov, ticket, socket_.get_executor(),
                          [self = shared_from_this(), r = std::move(r)](bool ok) mutable {
                            if (!ok) r = Provisioner::Unavailable();
                            self->Answer(r);
                          });
    }
    if (r.delay_ms > 0) {  // an address the provisioner slows (app/probe_guard.h)
      return RunAfter(socket_.get_executor(), std::chrono::milliseconds(r.delay_ms),
                      [self = shared_from_this(), r = std::move(r)](bool fired) mutable {
                        if (!fired) return self->Close();
                        self->Answer(r);
                      });
    }
    Answer(r);
  }
  void Answer(const Response& r) {
    if (r.firmware && relayed_ && !srv_->opt.accel_redirect.empty()) return AccelRedirect(r);
    if (!r.file.empty()) return SendFile(r);
    SendBody(r.status, r.content_type, r.body, r.device, &r.headers);
  }

  // A request the parser refused: answered, then the connection closes (after Linger).
  void Refuse(int status, const std::string& text) {
    reading_ = false;
    linger_ = true;
    start_ = Clock::now();
    keep_alive_ = false;
    head_only_ = false;
    req_.method = head_.method.empty() ? "-" : head_.method;
    req_.target = head_.target;
    SendBody(status, "text/plain", text + "\n", "");
  }

  // The status line and the fields every answer carries; `length` < 0 sends no Content-Length.
  void BeginHead(int status, std::string_view type, int64_t length) {
    out_.clear();
    out_ += version_ == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    AppendNumber(out_, static_cast<uint64_t>(status));
    out_ += ' ';
    beast::string_view reason = http::obsolete_reason(static_cast<http::status>(status));
    out_.append(reason.data(), reason.size());
    out_ += "\r\nServer: stepup\r\nDate: ";
    out_ += CachedHttpDate();
    out_ += "\r\n";
    if (!type.empty()) Field("Content-Type", type);
    if (length >= 0) {
      out_ += "Content-Length: ";
      AppendNumber(out_, static_cast<uint64_t>(length));
      out_ += "\r\n";
    }
    keep_alive_ = keep_alive_ && !srv_->stopping;
    if (!keep_alive_) {
      out_ += "Connection: close\r\n";
    } else if (version_ == 10) {
      out_ += "Connection: keep-alive\r\n";
    }
  }
  void Field(std::string_view name, std::string_view value) {
    out_ += name;
    out_ += ": ";
    out_ += value;
    out_ += "\r\n";
  }

  void SendBody(int status, std::string_view type, std::string_view body, const std::string& device,
                const std::vector<std::pair<std::string, std::string>>* fields = nullptr) {
    BeginHead(status, type, static_cast<int64_t>(body.size()));
    if (fields) {
      for (const auto& [name, value] : *fields) Field(name, value);
    }
    out_ += "\r\n";
    if (!head_only_) out_ += body;
    Write(status, head_only_ ? 0 : body.size(), device);
  }

  void Write(int status, uint64_t bytes, const std::string& device) {
    status_ = status;
    bytes_ = bytes;
    device_ = device;
    SetDeadline(srv_->opt.write_timeout_s);
    WriteAll(net::buffer(out_), [self = shared_from_this()](beast::error_code ec, size_t) {
      self->Log(self->device_, self->status_, ec ? 0 : self->bytes_);
      if (!ec && self->linger_) return self->Linger();
      if (ec || !self->keep_alive_) return self->Close();
      self->DoRead();
    });
  }

  // The balancer sends the image (it handles ranges and conditional requests itself). The
  // transfer counts as complete once handed over: this node does not see the bytes go out, and
  // a phone whose download broke asks again, as it would for a file sent from here.
  void AccelRedirect(const Response& r) {
    BeginHead(200, r.content_type, 0);
    const std::string name = r.file.substr(r.file.find_last_of('/') + 1);
    Field("X-Accel-Redirect", srv_->opt.accel_redirect + name);
    out_ += "\r\n";
    srv_->prov.TransferDone(req_, r.file, true);
    Write(200, 0, r.device);
  }

  void SendFile(const Response& r) {
    // Opened first, and the length taken from what was opened: a file replaced meanwhile is
    // sent whole, old or new, never mixed.
    int fd = ::open(r.file.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0) {
      if (fd >= 0) ::close(fd);
      return SendBody(404, "text/plain", "not found\n", r.device);
    }
    file_.fd = fd;  // closed by FinishFile or the destructor
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    const std::string last_modified = HttpDate(st.st_mtime);
    if (!head_.if_modified_since.empty()) {
      if (auto t = ParseHttpDate(head_.if_modified_since); t && st.st_mtime <= *t) {
        BeginHead(304, "", -1);
        Field("Last-Modified", last_modified);
        return SendHeadOnly(304, r.device);
      }
    }
    auto br = ParseRange(head_.range, size);
    if (br && !br->valid) {
      BeginHead(416, "", 0);
      Field("Content-Range", "bytes */" + std::to_string(size));
      return SendHeadOnly(416, r.device);
    }
    const uint64_t first = br ? br->first : 0, end = br ? br->last + 1 : size;
    const int status = br ? 206 : 200;
    BeginHead(status, r.content_type, static_cast<int64_t>(end - first));
    Field("Last-Modified", last_modified);
    Field("Accept-Ranges", "bytes");
    if (br) {
      Field("Content-Range", "bytes " + std::to_string(br->first) + "-" + std::to_string(br->last) +
                                 "/" + std::to_string(size));
    }
    if (head_only_) return SendHeadOnly(status, r.device);
    out_ += "\r\n";
    file_ = {fd, static_cast<off_t>(first), end, size, status, r.device, r.file, first};
    if (srv_->opt.metrics && !in_flight_) {
      srv_->opt.metrics->TransferStarted();
      in_flight_ = true;
    }
    SetDeadline(srv_->opt.write_timeout_s);
    if (tls_) {
      return WriteAll(net::buffer(out_), [self = shared_from_this()](beast::error_code ec, size_t) {
        if (ec) return self->FinishFile(false);
        self->PumpFileTls();
      });
    }
    // The head through the socket, then the file with sendfile(2): no copy through user space.
    // The head goes with MSG_MORE: the kernel holds it for the file's first bytes (one segment,
    // one read for the client) instead of sending it alone.
    ssize_t sent = ::send(socket_.native_handle(), out_.data(), out_.size(),
                          MSG_MORE | MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent == static_cast<ssize_t>(out_.size())) return PumpFile();
    if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return FinishFile(false);
    net::async_write(socket_, net::buffer(out_.data() + std::max<ssize_t>(sent, 0),
                                          out_.size() - std::max<ssize_t>(sent, 0)),
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->FinishFile(false);
                       self->PumpFile();
                     });
  }

  void PumpFile() {
    beast::error_code ec;
    socket_.non_blocking(true, ec);
    while (!ec && static_cast<uint64_t>(file_.offset) < file_.end) {
      const size_t chunk =
          std::min<uint64_t>(file_.end - static_cast<uint64_t>(file_.offset), kFileChunk);
      ssize_t n = ::sendfile(socket_.native_handle(), file_.fd, &file_.offset, chunk);
      if (n > 0) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        socket_.async_wait(tcp::socket::wait_write,
                           [self = shared_from_this()](beast::error_code e) {
                             if (e) return self->FinishFile(false);
                             self->PumpFile();
                           });
        return;
      }
      return FinishFile(false);
    }
    FinishFile(!ec);
  }

  // Over TLS: read a chunk, write it through the stream, until the range is sent.
  void PumpFileTls() {
    if (static_cast<uint64_t>(file_.offset) >= file_.end) return FinishFile(true);
    if (chunk_.empty()) chunk_.resize(kTlsFileChunk);
    const size_t want =
        std::min<uint64_t>(file_.end - static_cast<uint64_t>(file_.offset), chunk_.size());
    const ssize_t n = ::pread(file_.fd, chunk_.data(), want, file_.offset);
    if (n <= 0) return FinishFile(false);
    SetDeadline(srv_->opt.write_timeout_s);
    WriteAll(net::buffer(chunk_.data(), static_cast<size_t>(n)),
             [self = shared_from_this()](beast::error_code ec, size_t written) {
               if (ec) return self->FinishFile(false);
               self->file_.offset += static_cast<off_t>(written);
               self->PumpFileTls();
             });
  }

  // Ends the head begun and sends it, without the file.
  void SendHeadOnly(int status, const std::string& device) {
    out_ += "\r\n";
    CloseFile();
    Write(status, 0, device);
  }

  void CloseFile() {
    if (file_.fd >= 0) ::close(file_.fd);
    file_.fd = -1;
  }

  void FinishFile(bool sent_all) {
    CloseFile();
    if (in_flight_) {
      srv_->opt.metrics->TransferEnded();
      in_flight_ = false;
    }
    const bool to_end = sent_all && static_cast<uint64_t>(file_.offset) == file_.end;
    Log(file_.device, file_.status, static_cast<uint64_t>(file_.offset) - file_.first);
    // A download counts as complete when the file's last byte went out (a resumed download
    // completes with its final range).
    srv_->prov.TransferDone(req_, file_.file, to_end && file_.end == file_.size);
    if (!to_end || !keep_alive_) return Close();
    DoRead();
  }

  void Log(const std::string& device, int status, uint64_t bytes) {
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start_).count();
    if (srv_->opt.metrics) srv_->opt.metrics->Request(req_.transport, status, bytes, ms / 1000);
    if (!srv_->log) return;
    line_.clear();
    AppendLogTime(line_);
    (line_ += " peer=") += req_.peer;
    AppendLogValue(line_ += " device=", device);
    AppendLogValue(line_ += " method=", req_.method);
    AppendLogValue(line_ += " path=", req_.target);
    AppendNumber(line_ += " status=", static_cast<uint64_t>(status));
    AppendNumber(line_ += " bytes=", bytes);
    char dur[32];
    std::snprintf(dur, sizeof dur, " ms=%.3f", ms);
    line_ += dur;
    AppendNumber(line_ += " conn_requests=", ++requests_);  // as nginx's $connection_requests
    srv_->log(line_);
  }

  void Close() {
    if (tls_ && !closing_) {  // close_notify first, then the TCP half-close
      closing_ = true;
      SetDeadline(2);
      return tls_->async_shutdown([self = shared_from_this()](beast::error_code) { self->Close(); });
    }
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
  }

  // After refusing a request whose rest is still arriving (a huge header or body): closing at
  // once with unread input would send a reset that can destroy the answer before the client
  // reads it. So: stop sending, read and drop what comes for up to 2 s (16 MiB), then close.
  void Linger() {
    if (tls_) return Close();  // TLS cannot read past a refused request cheaply: close_notify
    Close();
    buffer_.clear();
    SetDeadline(2);
    DrainSome(16u << 20);
  }
  void DrainSome(size_t left) {
    const size_t room = std::min<size_t>(16 * 1024, buffer_.max_size());
    socket_.async_read_some(
        buffer_.prepare(room), [self = shared_from_this(), left](beast::error_code ec, size_t n) {
          self->buffer_.clear();
          if (ec || n >= left) return;  // end of stream, the deadline, or enough: the socket closes
          self->DrainSome(left - n);
        });
  }

  tcp::socket socket_;
  std::unique_ptr<TlsStream> tls_;  // over socket_ (HTTPS); nullptr: HTTP
  std::string first_cert_error_;    // the handshake's first client-certificate failure
  bool closing_ = false;            // close_notify sent or being sent
  std::vector<char> chunk_;         // a file's chunk on its way through TLS
  std::shared_ptr<HttpServer::Impl> srv_;
  beast::flat_buffer buffer_;
  Deadline deadline_;  // of whatever the connection is doing
  bool timed_out_ = false;
  bool in_flight_ = false;  // a file transfer counted in the metrics
  RequestHead head_;
  bool from_proxy_ = false;        // the connection comes from a --trusted-proxy address
  bool relayed_ = false;           // this request names its client in a balancer's header
  std::string conn_ip_, conn_peer_;  // the connection's own peer
  std::optional<RequestParser> parser_;
  Request req_;
  std::string out_, line_;  // the answer's bytes (head and small body), the access-log line
  unsigned version_ = 11;
  bool keep_alive_ = false, head_only_ = false, reading_ = false, linger_ = false;
  Clock::time_point start_ = Clock::now();
  int status_ = 0;                     // of the answer being written, for the log
  uint64_t bytes_ = 0, requests_ = 0;  // requests_: answered on this connection
  std::string device_;
  struct FileTransfer {
    int fd = -1;
    off_t offset = 0;
    uint64_t end = 0, size = 0;
    int status = 200;
    std::string device, file;
    uint64_t first = 0;
  } file_;
};

void HttpServer::Impl::Adopt(tcp::socket s) {
  auto session = std::make_shared<HttpSession>(std::move(s), shared_from_this());
  {
    std::lock_guard lock(sessions_mu);
    if (sessions.size() >= sweep_at) {  // amortised: not a walk over every session per accept
      std::erase_if(sessions, [](const auto& w) { return w.expired(); });
      sweep_at = std::max<size_t>(1024, 2 * sessions.size());
    }
    sessions.insert(session);
  }
  session->Run();
}

void HttpServer::Impl::DoAccept() {
  acceptor.async_accept(net::make_strand(ioc),
                        [self = shared_from_this()](beast::error_code ec, tcp::socket s) {
                          if (ec) {
                            if (self->stopping || ec == net::error::operation_aborted) return;
                          } else {
                            self->Adopt(std::move(s));
                            // Then the connections already queued, up to a bound: one per turn of
                            // the scheduler let a boot storm's connections overflow the listen
                            // queue (their SYNs are re-sent 1 s later, then 3 s).
                            for (int i = 0; i < 256 && !self->stopping; ++i) {
                              tcp::socket more(net::make_strand(self->ioc));
                              self->acceptor.accept(more, ec);
                              if (ec) break;  // would block: none left
                              self->Adopt(std::move(more));
                            }
                          }
                          if (!self->stopping) self->DoAccept();
                        });
}

HttpServer::HttpServer(net::io_context& ioc, Provisioner& p, HttpOptions o, AccessLog log)
    : impl_(std::make_shared<Impl>(ioc, p, std::move(o), std::move(log))) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  // Non-blocking: DoAccept takes queued connections without waiting.
  const char* flag = impl_->opt.tls ? "--https" : "--http";
  if (auto s = OpenTcpListener(impl_->acceptor, flag, impl_->opt.address, impl_->opt.port); !s)
    return s;
  impl_->DoAccept();
  return Ok{};
}

uint16_t HttpServer::port() const {
  beast::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void HttpServer::Stop() {
  if (impl_->stopping.exchange(true)) return;
  net::dispatch(impl_->acceptor.get_executor(), [impl = impl_] {
    beast::error_code ec;
    impl->acceptor.close(ec);
  });
  std::lock_guard lock(impl_->sessions_mu);
  for (auto& w : impl_->sessions) {
    if (auto s = w.lock()) s->CloseIfIdle();
  }
}

size_t HttpServer::active() const { return impl_->active; }

}  // namespace stepup
