#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange

// Asio's coroutine frames use a recycling operator new/delete pair that GCC 12 at -O1 misreads.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstring>
#include <optional>

#include "core/text.h"
#include "core/tftp_packet.h"
#include "sim/behaviour.h"
#include "sim/sim_fetch.h"

namespace stepup::sim {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;
using asio::ip::tcp;
using asio::ip::udp;
using boost::system::error_code;

namespace {
constexpr size_t kTftpBlock = 1428;  // what the simulated phones ask for (RFC 2348)
constexpr int kTftpTries = 8;

}  // namespace

Result<Url> ParseUrl(const std::string& s) {
  Url u;
  size_t p = s.find("://");
  if (p == std::string::npos) return BadInput("\"" + s + "\" is not a URL");
  u.scheme = ToLower(s.substr(0, p));
  std::string rest = s.substr(p + 3);
  size_t slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  u.target = slash == std::string::npos ? "/" : rest.substr(slash);
  size_t colon = hostport.rfind(':');
  if (colon != std::string::npos && hostport.find(']') == std::string::npos) {
    u.host = hostport.substr(0, colon);
    int port = std::atoi(hostport.substr(colon + 1).c_str());
    if (port <= 0 || port > 65535) return BadInput("\"" + s + "\" has a bad port");
    u.port = static_cast<uint16_t>(port);
  } else {
    u.host = hostport;
    u.port = u.scheme == "tftp" ? 69 : u.scheme == "https" ? 443 : 80;
  }
  if (u.host.size() > 2 && u.host.front() == '[') u.host = u.host.substr(1, u.host.size() - 2);
  if (u.host == "localhost") u.host = "127.0.0.1";
  if (u.scheme != "http" && u.scheme != "https" && u.scheme != "tftp")
    return BadInput("\"" + s + "\": the simulator speaks http://, https:// and tftp:// only");
  error_code ec;
  asio::ip::make_address(u.host, ec);
  if (ec) return BadInput("\"" + s + "\": the host must be an IP address or localhost");
  return u;
}

asio::ip::address PhoneAddress(size_t i) {
  size_t n = i;
  asio::ip::address_v4::bytes_type b{127, static_cast<uint8_t>(1 + n / (250 * 250)),
                                     static_cast<uint8_t>((n / 250) % 250),
                                     static_cast<uint8_t>(n % 250 + 1)};
  return asio::ip::address_v4(b);
}

awaitable<void> Delay(const SimOptions& o) {
  if (o.delay_ms <= 0) co_return;
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_after(std::chrono::milliseconds(o.delay_ms));
  error_code ec;
  co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

// One request and its answer over a stream (TCP, or TLS over it).
template <class Stream>
awaitable<error_code> Exchange(Stream& s, http::request<http::empty_body>& req,
                               beast::flat_buffer& buf,
                               http::response_parser<http::string_body>& parser) {
  error_code ec;
  co_await http::async_write(s, req, asio::redirect_error(asio::use_awaitable, ec));
  if (!ec) co_await http::async_read(s, buf, parser, asio::redirect_error(asio::use_awaitable, ec));
  co_return ec;
}

// Every local is declared before the first suspension and the body has one exit: GCC 12
// destroys locals declared after an early co_return that were never constructed.
// https://: the phone verifies the server against its factory CA (--phone-ca: the vendor's
// server CA, which signs providers' certificates for SPA phones) and the CA a profile's
// Custom_CA_Rule installed, nothing else (no host name check); a server neither signed fails
// the handshake, as on a phone that cannot verify it.
awaitable<Fetch> HttpOnce(Run& run, PhoneState& p, asio::ip::address self, std::string url_text) {
  Fetch f;
  auto url = ParseUrl(url_text);
  auto ex = co_await asio::this_coro::executor;
  beast::tcp_stream stream(ex);
  std::optional<asio::ssl::context> tls_ctx;
  std::optional<asio::ssl::stream<beast::tcp_stream&>> tls;
  http::request<http::empty_body> req;
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  error_code ec;
  if (!url || (url->scheme != "http" && url->scheme != "https")) {
    f.error = url ? "not an http(s):// URL: " + url_text : url.error().message;
    co_return f;
  }
  co_await Delay(run.opt);
  ++p.requests;
  ++run.requests;
  asio::ip::address addr = asio::ip::make_address(url->host);
  tcp::endpoint server(addr, url->port);
  stream.socket().open(addr.is_v4() ? tcp::v4() : tcp::v6(), ec);
  if (!ec && addr.is_v4()) stream.socket().bind(tcp::endpoint(self, 0), ec);
  if (ec) f.error = "socket: " + ec.message();
  if (f.error.empty()) {
    stream.expires_after(std::chrono::milliseconds(run.opt.timeout_ms));
    co_await stream.async_connect(server, asio::redirect_error(asio::use_awaitable, ec));
    if (ec)
      f.error = "connect " + url->host + ":" + std::to_string(url->port) + ": " + ec.message();
  }
  if (f.error.empty()) {
    req.method(http::verb::get);
    req.target(url->target);
    req.version(11);
    req.set(http::field::host, url->host + ":" + std::to_string(url->port));
    if (std::string ua = UserAgent(p); !ua.empty()) req.set(http::field::user_agent, ua);
    req.set(http::field::connection, "close");
    parser.body_limit(256 * 1024 * 1024);
    if (url->scheme == "https") {
      tls_ctx.emplace(asio::ssl::context::tls_client);
      tls_ctx->set_verify_mode(asio::ssl::verify_peer);
      if (!run.opt.built_in_ca.empty() && TrustsCurrentServerCa(p.spec.model, p.running_v))
        tls_ctx->add_certificate_authority(asio::buffer(run.opt.built_in_ca), ec);
      if (!ec && !p.ca_pem.empty())
        tls_ctx->add_certificate_authority(asio::buffer(p.ca_pem), ec);
      tls.emplace(stream, *tls_ctx);
      if (!ec)
        co_await tls->async_handshake(asio::ssl::stream_base::client,
                                      asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        f.error = "TLS handshake with " + url->host + ":" + std::to_string(url->port) + ": " +
                  ec.message();
        ++p.https_failures;
      } else {
        ec = co_await Exchange(*tls, req, buf, parser);
      }
    } else {
      ec = co_await Exchange(stream, req, buf, parser);
    }
    if (ec && f.error.empty()) f.error = "GET " + url->target + ": " + ec.message();
  }
  run.Trace(p, [&] {
    return "GET " + url_text + ": " +
           (f.error.empty() ? "HTTP " + std::to_string(parser.get().result_int()) : f.error);
  });
  if (f.error.empty()) {
    f.status = parser.get().result_int();
    f.body = std::move(parser.get().body());
    p.bytes += f.body.size();
    run.bytes += f.body.size();
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  }
  co_return f;
}

// A transfer's socket, bound where the phone's datagrams come from: its own address and a port
// the kernel picks, its NAT's address and a port from the NAT's pool (given back when the
// socket goes), or, reusing ports, its own address and its boot's next fixed port.
std::shared_ptr<udp::socket> OpenTftpSocket(Run& run, PhoneState& p, asio::ip::address self,
                                            const asio::any_io_executor& ex, error_code& ec) {
  std::shared_ptr<udp::socket> sock;
  uint16_t port = 0;
  auto pool = self.is_v4() ? run.nat.find(self.to_v4().to_uint()) : run.nat.end();
  if (pool != run.nat.end()) {
    NatPorts* ports = pool->second.get();
    port = ports->Take();
    sock = std::shared_ptr<udp::socket>(new udp::socket(ex), [ports, port](udp::socket* s) {
      delete s;
      if (port) ports->Give(port);
    });
  } else {
    sock = std::make_shared<udp::socket>(ex);
    if (run.opt.reuse_ports) port = ReusedPort(run.tftp_in_boot[&p]++);
  }
  sock->open(run.tftp->protocol(), ec);
  if (!ec && run.tftp->address().is_v4()) {
    sock->bind(udp::endpoint(self, port), ec);
    if (ec && port) sock->bind(udp::endpoint(self, 0), ec);  // taken outside the pool
  }
  return sock;
}

awaitable<Fetch> TftpOnce(Run& run, PhoneState& p, asio::ip::address self, std::string file) {
  Fetch f;
  if (!run.tftp) {
    f.error = "no TFTP server given (--tftp)";
    co_return f;
  }
  ++p.requests;
  ++run.requests;
  auto ex = co_await asio::this_coro::executor;
  error_code ec;
  auto sock = OpenTftpSocket(run, p, self, ex, ec);
  if (ec) {
    f.error = "socket: " + ec.message();
    co_return f;
  }
  // The previous transfer's socket stays open until this one has its port, so the kernel
  // cannot give this transfer that port again: a late answer to the previous request (a
  // duplicate the server sent for a re-sent RRQ) must not pass for this one's. Behind a NAT,
  // or with ports reused on purpose, that is exactly what may happen: the port goes back to
  // the pool (or to the phone's next boot) when this transfer ends.
  if (run.nat.empty() && !run.opt.reuse_ports) run.previous_socket[&p] = sock;
  const std::string rrq =
      TftpRequest(TftpOp::kRrq, file, "octet", {{"blksize", std::to_string(kTftpBlock)}});
  const udp::endpoint server = *run.tftp;
  udp::endpoint peer = server, from;
  bool have_peer = false;
  size_t blksize = 512;
  uint16_t expect = 1;
  std::string last = rrq;
  std::vector<char> buf(4 + kTftpBlock + 64);
  asio::steady_timer timer(ex);
  auto generation = std::make_shared<uint64_t>(0);
  int tries = 0;
  auto send = [&](std::string pkt) -> awaitable<void> {
    last = pkt;
    co_await Delay(run.opt);
    if (run.Lost()) co_return;
    error_code e;
    co_await sock->async_send_to(asio::buffer(pkt), have_peer ? peer : server,
                                 asio::redirect_error(asio::use_awaitable, e));
  };
  run.Trace(p, [&] {
    error_code e;
    return "TFTP RRQ " + file + " from port " + std::to_string(sock->local_endpoint(e).port());
  });
  co_await send(rrq);
  for (;;) {
    uint64_t gen = ++*generation;
    // Retransmissions back off (x2 per try, at most 2 s), as phones' TFTP clients do.
    timer.expires_after(
        std::chrono::milliseconds(std::min(2000, run.opt.tftp_timeout_ms << std::min(tries, 4))));
    timer.async_wait([w = std::weak_ptr<udp::socket>(sock), generation, gen](error_code e) {
      auto s = w.lock();
      if (!e && s && *generation == gen) s->cancel();
    });
    size_t n = co_await sock->async_receive_from(asio::buffer(buf), from,
                                                 asio::redirect_error(asio::use_awaitable, ec));
    ++*generation;
    timer.cancel();
    if (ec == asio::error::operation_aborted) {
      run.Trace(p, [&] {
        return "TFTP " + file + ": no answer, try " + std::to_string(tries + 1) +
               (have_peer ? " (block " + std::to_string(expect) + ")" : " (RRQ)");
      });
      if (++tries >= kTftpTries) {
        f.error = "TFTP " + file + ": timed out after " + std::to_string(tries) + " tries";
        co_return f;
      }
      co_await send(last);
      continue;
    }
    if (ec) {
      f.error = "TFTP " + file + ": " + ec.message();
      co_return f;
    }
    if (run.Lost()) continue;  // lost on the way in
    auto pkt = ParseTftp(std::string_view(buf.data(), n));
    if (from.address() != server.address() || !pkt) continue;
    if (!have_peer) {
      peer = from;
      have_peer = true;
      run.Trace(p, [&] {
        return "TFTP " + file + ": answered from port " + std::to_string(from.port());
      });
    } else if (from != peer) {
      run.Trace(p, [&] {
        return "TFTP " + file + ": ignored a packet from port " + std::to_string(from.port());
      });
      continue;  // not our transfer (RFC 1350: answer with error 5; a phone just ignores it)
    }
    tries = 0;
    if (pkt->op == TftpOp::kError) {
      f.tftp_error = pkt->error_code;
      f.error = "TFTP error " + std::to_string(pkt->error_code) + ": " + pkt->error_message;
      run.Trace(p, [&] { return file + ": " + f.error; });
      co_return f;
    }
    if (pkt->op == TftpOp::kOack && expect == 1 && f.body.empty()) {  // the options it took
      for (const auto& [name, value] : pkt->options) {
        if (name == "blksize")
          blksize = std::clamp<size_t>(std::atoi(value.c_str()), 8, kTftpBlock);
      }
      co_await send(TftpAck(0));
      continue;
    }
    if (pkt->op != TftpOp::kData) continue;
    const uint16_t block = pkt->block;
    if (block == expect) {
      const size_t len = pkt->data.size();
      f.body.append(pkt->data);
      co_await send(TftpAck(block));
      ++expect;
      if (len < blksize) break;
    } else if (block == static_cast<uint16_t>(expect - 1)) {
      // Our ACK was lost: say it again (never more than once a DATA).
      co_await send(TftpAck(block));
    }
  }
  f.status = 200;
  p.bytes += f.body.size();
  run.bytes += f.body.size();
  run.Trace(p, [&] { return "TFTP " + file + ": " + std::to_string(f.body.size()) + " bytes"; });
  co_return f;
}

}  // namespace stepup::sim
