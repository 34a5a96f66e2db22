// The HTTP and HTTPS transport (Boost.Beast, Asio SSL streams): asynchronous sessions with a deadline on every read and
// write, header and body limits, keep-alive, HEAD, Range/206 and If-Modified-Since for files,
// /healthz via the provisioner, a structured access log, and a graceful drain on Stop().
// It turns bytes into Requests and Responses into bytes; it decides nothing about devices.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/admin_api.h"
#include "app/metrics.h"
#include "app/provisioner.h"
#include "core/result.h"
#include "net/listen_address.h"
#include "net/trusted_proxy.h"

namespace boost::asio::ssl {
class context;
}

namespace stepup {

struct HttpOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 8069;
  int read_timeout_s = 10;   // a whole request (headers and body) must arrive in this time
  int write_timeout_s = 60;  // each write (a slow reader of a large file is cut here)
  int idle_timeout_s = 30;   // keep-alive connections idle longer are closed
  uint32_t header_limit = 16 * 1024;
  uint64_t body_limit = 64 * 1024;  // provisioning requests carry no body worth more
  // HTTPS: every connection starts with a TLS handshake (within read_timeout_s) and its
  // requests carry what the client certificate established (net/tls_context.h). nullptr: HTTP.
  std::shared_ptr<boost::asio::ssl::context> tls;
  bool require_client_cert = false;
  // The admin routes (/api/v1/..., /ui/, /metrics) go to `admin` when set; the rest to the
  // provisioner when `phones` (else only /healthz answers: an admin-only listener).
  AdminApi* admin = nullptr;
  bool phones = true;
  Metrics* metrics = nullptr;  // counts every answer and file transfer (app/metrics.h), if set
  // Load balancers whose X-Real-IP / X-Forwarded-For name the client (net/trusted_proxy.h).
  std::vector<AddressRange> trusted_proxies;
  // With a prefix ("/_stepup_firmware/"), a firmware image answered to a request a trusted
  // proxy relayed goes as an empty answer with X-Accel-Redirect: PREFIX<name>: the balancer
  // sends the file from its own location for the firmware directory (deploy/nginx).
  std::string accel_redirect;
};

// One access-log line a request: time, peer, device, method, path, status, bytes, duration,
// and the request's number on its connection (conn_requests=1: a new connection).
using AccessLog = std::function<void(const std::string& line)>;

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& ioc, Provisioner& provisioner, HttpOptions options,
             AccessLog log);
  ~HttpServer();
  // Binds and starts accepting; the error names the address.
  Status Start();
  // The port actually bound (useful with port 0).
  uint16_t port() const;
  // Stops accepting; live connections finish their current response and close.
  void Stop();
  // Connections still open.
  size_t active() const;

  struct Impl;  // shared with the sessions (http_server.cc)

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace stepup
