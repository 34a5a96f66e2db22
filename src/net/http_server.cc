#include "net/http_server.h"

#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <ctime>
#include <fstream>
#include <mutex>
#include <optional>
#include <set>

namespace stepup {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

std::string HttpDate(time_t t) {
  char buf[64];
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::optional<time_t> ParseHttpDate(const std::string& s) {
  std::tm tm{};
  const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return std::nullopt;
  return timegm(&tm);
}

std::string LogTime() {
  auto now = std::chrono::system_clock::now();
  time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms));
  return buf;
}

// Quotes a value for the access log: printable ASCII only, no spaces or quotes unescaped.
std::string LogValue(std::string_view s, size_t max = 200) {
  std::string out;
  for (char c : s.substr(0, max)) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '"' || c == '\\') {
      char buf[5];
      std::snprintf(buf, sizeof buf, "%%%02X", u);
      out += buf;
    } else {
      out.push_back(c);
    }
  }
  return out.empty() ? "-" : out;
}

// One Range header "bytes=a-b" against a file size; nullopt if absent, {size,size} if bad.
struct ByteRange {
  uint64_t first = 0, last = 0;
  bool valid = true;
};
std::optional<ByteRange> ParseRange(std::string_view h, uint64_t size) {
  if (h.empty()) return std::nullopt;
  ByteRange bad{0, 0, false};
  if (h.substr(0, 6) != "bytes=" || h.find(',') != std::string_view::npos) return bad;
  std::string_view spec = h.substr(6);
  size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return bad;
  auto num = [](std::string_view s, uint64_t* out) {
    if (s.empty() || s.size() > 19) return false;
    uint64_t v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    *out = v;
    return true;
  };
  uint64_t a = 0, b = 0;
  if (dash == 0) {  // bytes=-N: the last N bytes
    if (!num(spec.substr(1), &b) || b == 0 || size == 0) return bad;
    return ByteRange{size - std::min(b, size), size - 1, true};
  }
  if (!num(spec.substr(0, dash), &a) || a >= size) return bad;
  if (dash + 1 == spec.size()) return ByteRange{a, size - 1, true};
  if (!num(spec.substr(dash + 1), &b) || b < a) return bad;
  return ByteRange{a, std::min(b, size - 1), true};
}

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
};

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket&& socket, std::shared_ptr<HttpServer::Impl> srv)
      : stream_(std::move(socket)), srv_(std::move(srv)) {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) {
      ip_ = ep.address().to_string();
      peer_ = (ep.address().is_v6() ? "[" + ip_ + "]" : ip_) + ":" + std::to_string(ep.port());
    }
    ++srv_->active;
  }
  ~HttpSession() { --srv_->active; }

  void Run() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&HttpSession::DoRead, shared_from_this()));
  }

  // Closes the connection if it is idle between requests (used by a draining server).
  void CloseIfIdle() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      if (self->reading_ && self->buffer_.size() == 0 &&
          (!self->parser_ || !self->parser_->got_some())) {
        beast::error_code ec;
        self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
        self->stream_.close();
      }
    });
  }

 private:
  void DoRead() {
    parser_.emplace();
    parser_->header_limit(srv_->opt.header_limit);
    parser_->body_limit(srv_->opt.body_limit);
    stream_.expires_after(std::chrono::seconds(srv_->opt.read_timeout_s));
    reading_ = true;
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, size_t) {
    reading_ = false;
    start_ = Clock::now();
    if (ec == http::error::end_of_stream || ec == net::error::operation_aborted ||
        ec == beast::error::timeout || ec == net::error::connection_reset ||
        ec == net::error::eof) {
      if (ec == beast::error::timeout && parser_->got_some()) Log("-", "-", 408, 0, "-");
      return Close();
    }
    if (ec == http::error::header_limit) return SendError(431, "request header fields too large");
    if (ec == http::error::body_limit) return SendError(413, "request body too large");
    if (ec) return SendError(400, "bad request: " + ec.message());
    const auto& msg = parser_->get();
    req_ = Request{};
    req_.transport = "http";
    req_.peer = peer_;
    req_.peer_ip = ip_;
    req_.method = std::string(msg.method_string());
    req_.target = std::string(msg.target());
    req_.user_agent = std::string(msg[http::field::user_agent]);
    keep_alive_ = msg.keep_alive() && !srv_->stopping;
    version_ = msg.version();
    if (msg.method() != http::verb::get && msg.method() != http::verb::head) {
      return SendError(405, "method not allowed");
    }
    head_ = msg.method() == http::verb::head;
    Response r = srv_->prov.Handle(req_);
    if (!r.file.empty())
      return SendFile(r, std::string(msg[http::field::range]),
                      std::string(msg[http::field::if_modified_since]));
    SendBody(r.status, r.content_type, std::move(r.body), r.device);
  }

  template <typename Message>
  void Send(std::shared_ptr<Message> res, int status, uint64_t bytes, const std::string& device,
            std::string file, bool complete) {
    res->set(http::field::server, "stepup");
    res->keep_alive(keep_alive_ && !srv_->stopping);
    stream_.expires_after(std::chrono::seconds(srv_->opt.write_timeout_s));
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, status, bytes, device,
                       file = std::move(file), complete](beast::error_code ec, size_t) {
                        self->Log(device, self->req_.method, status, ec ? 0 : bytes,
                                  self->req_.target);
                        if (!file.empty())
                          self->srv_->prov.TransferDone(self->req_, file, complete && !ec);
                        if (ec || !res->keep_alive()) return self->Close();
                        self->DoRead();
                      });
  }

  void SendBody(int status, const std::string& type, std::string body, const std::string& device) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(status), version_);
    res->set(http::field::content_type, type);
    uint64_t n = body.size();
    res->body() = std::move(body);
    res->prepare_payload();
    if (head_) res->body().clear();
    Send(res, status, head_ ? 0 : n, device, "", false);
  }

  void SendError(int status, const std::string& text) {
    keep_alive_ = false;
    if (req_.method.empty()) req_.method = "-";
    version_ = version_ ? version_ : 11;
    SendBody(status, "text/plain", text + "\n", "");
  }

  void SendFile(const Response& r, const std::string& range, const std::string& ims) {
    struct stat st {};
    if (::stat(r.file.c_str(), &st) != 0)
      return SendBody(404, "text/plain", "not found\n", r.device);
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    const std::string last_modified = HttpDate(st.st_mtime);
    if (!ims.empty()) {
      if (auto t = ParseHttpDate(ims); t && st.st_mtime <= *t) {
        auto res = std::make_shared<http::response<http::empty_body>>(http::status::not_modified,
                                                                      version_);
        res->set(http::field::last_modified, last_modified);
        return Send(res, 304, 0, r.device, "", false);
      }
    }
    auto br = ParseRange(range, size);
    if (br && !br->valid) {
      auto res = std::make_shared<http::response<http::string_body>>(
          http::status::range_not_satisfiable, version_);
      res->set(http::field::content_range, "bytes */" + std::to_string(size));
      res->prepare_payload();
      return Send(res, 416, 0, r.device, "", false);
    }
    if (br) {
      const uint64_t n = br->last - br->first + 1;
      auto res = std::make_shared<http::response<http::string_body>>(http::status::partial_content,
                                                                     version_);
      res->set(http::field::content_type, r.content_type);
      res->set(http::field::last_modified, last_modified);
      res->set(http::field::accept_ranges, "bytes");
      res->set(http::field::content_range, "bytes " + std::to_string(br->first) + "-" +
                                               std::to_string(br->last) + "/" +
                                               std::to_string(size));
      if (!head_) {
        std::ifstream in(r.file, std::ios::binary);
        res->body().resize(n);
        in.seekg(static_cast<std::streamoff>(br->first));
        in.read(res->body().data(), static_cast<std::streamsize>(n));
        if (static_cast<uint64_t>(in.gcount()) != n) return SendError(500, "short read");
      }
      res->content_length(n);
      return Send(res, 206, head_ ? 0 : n, r.device, r.file, br->last + 1 == size);
    }
    if (head_) {
      auto res = std::make_shared<http::response<http::empty_body>>(http::status::ok, version_);
      res->set(http::field::content_type, r.content_type);
      res->set(http::field::last_modified, last_modified);
      res->set(http::field::accept_ranges, "bytes");
      res->content_length(size);
      return Send(res, 200, 0, r.device, "", false);
    }
    int fd = ::open(r.file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return SendBody(404, "text/plain", "not found\n", r.device);
    auto res = std::make_shared<http::response<http::empty_body>>(http::status::ok, version_);
    res->set(http::field::server, "stepup");
    res->set(http::field::content_type, r.content_type);
    res->set(http::field::last_modified, last_modified);
    res->set(http::field::accept_ranges, "bytes");
    res->content_length(size);
    res->keep_alive(keep_alive_ && !srv_->stopping);
    SendFileBody(res, fd, size, r.device, r.file);
  }

  // The headers through Beast, then the file with sendfile(2): no copy through user space.
  void SendFileBody(std::shared_ptr<http::response<http::empty_body>> res, int fd, uint64_t size,
                    const std::string& device, const std::string& file) {
    auto sr = std::make_shared<http::response_serializer<http::empty_body>>(*res);
    stream_.expires_after(std::chrono::seconds(srv_->opt.write_timeout_s));
    http::async_write_header(
        stream_, *sr,
        [self = shared_from_this(), res, sr, fd, size, device, file](beast::error_code ec, size_t) {
          if (ec) {
            ::close(fd);
            self->Log(device, self->req_.method, 200, 0, self->req_.target);
            self->srv_->prov.TransferDone(self->req_, file, false);
            return self->Close();
          }
          self->file_ = {fd, 0, size, device, file, res->keep_alive()};
          self->file_timer_.expires_after(std::chrono::seconds(self->srv_->opt.write_timeout_s));
          self->file_timer_.async_wait(
              [weak = std::weak_ptr<HttpSession>(self)](beast::error_code e) {
                if (e) return;
                if (auto s = weak.lock()) {  // the reader stalled: give up on it
                  beast::error_code ignored;
                  s->stream_.socket().cancel(ignored);
                  s->stream_.socket().close(ignored);
                }
              });
          self->PumpFile();
        });
  }

  void PumpFile() {
    auto& sock = stream_.socket();
    beast::error_code ec;
    sock.non_blocking(true, ec);
    while (!ec && file_.offset < static_cast<off_t>(file_.size)) {
      size_t chunk = std::min<uint64_t>(file_.size - static_cast<uint64_t>(file_.offset), 1u << 20);
      ssize_t n = ::sendfile(sock.native_handle(), file_.fd, &file_.offset, chunk);
      if (n > 0) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        sock.async_wait(tcp::socket::wait_write, [self = shared_from_this()](beast::error_code e) {
          if (e) return self->FinishFile(false);
          self->PumpFile();
        });
        return;
      }
      return FinishFile(false);
    }
    FinishFile(!ec);
  }

  void FinishFile(bool complete) {
    file_timer_.cancel();
    ::close(file_.fd);
    const uint64_t sent = static_cast<uint64_t>(file_.offset);
    Log(file_.device, req_.method, 200, sent, req_.target);
    srv_->prov.TransferDone(req_, file_.file, complete && sent == file_.size);
    if (!complete || !file_.keep_alive) return Close();
    DoRead();
  }

  void Log(const std::string& device, const std::string& method, int status, uint64_t bytes,
           const std::string& target) {
    if (!srv_->log) return;
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - start_).count();
    char dur[32];
    std::snprintf(dur, sizeof dur, "%.3f", ms);
    srv_->log(LogTime() + " peer=" + peer_ + " device=" + LogValue(device) + " method=" +
              LogValue(method) + " path=" + LogValue(target) + " status=" + std::to_string(status) +
              " bytes=" + std::to_string(bytes) + " ms=" + dur);
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::shared_ptr<HttpServer::Impl> srv_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Request req_;
  std::string peer_, ip_;
  unsigned version_ = 11;
  bool keep_alive_ = false, head_ = false, reading_ = false;
  Clock::time_point start_ = Clock::now();
  struct FileTransfer {
    int fd = -1;
    off_t offset = 0;
    uint64_t size = 0;
    std::string device, file;
    bool keep_alive = false;
  } file_;
  net::steady_timer file_timer_{stream_.get_executor()};
};

void HttpServer::Impl::DoAccept() {
  acceptor.async_accept(net::make_strand(ioc),
                        [self = shared_from_this()](beast::error_code ec, tcp::socket s) {
                          if (ec) {
                            if (self->stopping || ec == net::error::operation_aborted) return;
                          } else {
                            auto session = std::make_shared<HttpSession>(std::move(s), self);
                            {
                              std::lock_guard lock(self->sessions_mu);
                              for (auto it = self->sessions.begin(); it != self->sessions.end();) {
                                it = it->expired() ? self->sessions.erase(it) : std::next(it);
                              }
                              self->sessions.insert(session);
                            }
                            session->Run();
                          }
                          if (!self->stopping) self->DoAccept();
                        });
}

HttpServer::HttpServer(net::io_context& ioc, Provisioner& p, HttpOptions o, AccessLog log)
    : impl_(std::make_shared<Impl>(ioc, p, std::move(o), std::move(log))) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  beast::error_code ec;
  auto addr = net::ip::make_address(impl_->opt.address, ec);
  const std::string where = impl_->opt.address + ":" + std::to_string(impl_->opt.port);
  if (ec) return BadInput("--http " + where + ": " + ec.message());
  tcp::endpoint ep(addr, impl_->opt.port);
  auto& a = impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec && addr.is_v6()) a.set_option(net::ip::v6_only(false), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return BadInput("--http " + where + ": " + ec.message());
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

Result<std::pair<std::string, uint16_t>> ParseListenAddress(const std::string& flag,
                                                            const std::string& value) {
  std::string host, port;
  if (!value.empty() && value[0] == '[') {
    size_t close = value.find(']');
    if (close == std::string::npos || close + 1 >= value.size() || value[close + 1] != ':') {
      return BadInput(flag + " \"" + value + "\" is not [ADDRESS]:PORT");
    }
    host = value.substr(1, close - 1);
    port = value.substr(close + 2);
  } else {
    size_t colon = value.rfind(':');
    if (colon == std::string::npos)
      return BadInput(flag + " \"" + value + "\" is not ADDRESS:PORT");
    host = value.substr(0, colon);
    port = value.substr(colon + 1);
  }
  if (host.empty()) host = "127.0.0.1";
  if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit) ||
      std::stoi(port) > 65535) {
    return BadInput(flag + " \"" + value + "\": bad port");
  }
  beast::error_code ec;
  net::ip::make_address(host, ec);
  if (ec) return BadInput(flag + " \"" + value + "\": \"" + host + "\" is not an IP address");
  return std::make_pair(host, static_cast<uint16_t>(std::stoi(port)));
}

}  // namespace stepup
