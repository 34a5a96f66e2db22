#include "net/phone_probe.h"

#include "core/basic_auth.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <memory>

#include "net/deadline.h"

namespace stepup {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

// One read of one page: connect, send, read, each under one deadline.
class ProbeSession : public std::enable_shared_from_this<ProbeSession> {
 public:
  ProbeSession(net::io_context& ioc, const PhoneProbeOptions& o, std::atomic<size_t>& in_flight,
               std::string path, std::string authorization,
               std::function<void(std::optional<std::string>)> done)
      : path_(std::move(path)),
        authorization_(std::move(authorization)),
        socket_(net::make_strand(ioc)),
        deadline_(socket_.get_executor()),
        opt_(o),
        in_flight_(in_flight),
        done_(std::move(done)) {}
  ~ProbeSession() { --in_flight_; }

  void Run(const net::ip::address& a) {
    deadline_.OnExpiry([weak = weak_from_this()] {
      beast::error_code ignored;
      if (auto self = weak.lock()) self->socket_.close(ignored);  // the pending operation fails
    });
    deadline_.SetAfter(std::chrono::milliseconds(opt_.timeout_ms));
    host_ = a.is_v6() ? "[" + a.to_string() + "]" : a.to_string();
    socket_.async_connect(tcp::endpoint(a, opt_.port),
                          [self = shared_from_this()](beast::error_code ec) {
                            if (ec) return self->Finish(std::nullopt);
                            self->Send();
                          });
  }

 private:
  void Send() {
    req_ = {http::verb::get, path_, 11};
    req_.set(http::field::host, host_);
    if (!authorization_.empty()) req_.set(http::field::authorization, authorization_);
    req_.set(http::field::user_agent, "stepup");
    http::async_write(socket_, req_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->Finish(std::nullopt);
      self->parser_.body_limit(self->opt_.body_limit);
      http::async_read(self->socket_, self->buffer_, self->parser_,
                       [self](beast::error_code ec2, size_t) {
                         if (ec2 || self->parser_.get().result() != http::status::ok)
                           return self->Finish(std::nullopt);
                         self->Finish(std::move(self->parser_.get().body()));
                       });
    });
  }
  void Finish(std::optional<std::string> body) {
    deadline_.Stop();
    beast::error_code ignored;
    socket_.close(ignored);
    if (auto done = std::move(done_)) done(std::move(body));
    done_ = nullptr;
  }

  std::string path_, authorization_;
  tcp::socket socket_;
  Deadline deadline_;  // of the whole read
  PhoneProbeOptions opt_;
  std::atomic<size_t>& in_flight_;
  std::function<void(std::optional<std::string>)> done_;
  std::string host_;
  http::request<http::empty_body> req_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
};

}  // namespace

bool PhoneProber::PrivateAddress(const net::ip::address& a) {
  if (a.is_loopback()) return true;
  if (a.is_v4()) {
    auto b = a.to_v4().to_bytes();
    return b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168) ||
           (b[0] == 169 && b[1] == 254);
  }
  auto v6 = a.to_v6();
  if (v6.is_v4_mapped()) return PrivateAddress(net::ip::make_address_v4(net::ip::v4_mapped, v6));
  return v6.is_link_local() || (v6.to_bytes()[0] & 0xfe) == 0xfc;
}

void PhoneProber::Probe(const std::string& ip,
                        std::function<void(std::optional<std::string>)> done) {
  Get(ip, "/DeviceInformationX", "", std::move(done));
}

void PhoneProber::Resync(const std::string& ip, const std::string& admin_password,
                         std::function<void(bool)> done) {
  std::string auth = admin_password.empty() ? "" : BasicAuthorization("admin", admin_password);
  Get(ip, "/admin/resync", std::move(auth),
      [done = std::move(done)](std::optional<std::string> body) { done(body.has_value()); });
}

void PhoneProber::Get(const std::string& ip, std::string path, std::string authorization,
                      std::function<void(std::optional<std::string>)> done) {
  beast::error_code ec;
  auto a = net::ip::make_address(ip, ec);
  const bool allowed = !ec && opt_.allow != PhoneProbeOptions::Allow::kOff &&
                       (opt_.allow == PhoneProbeOptions::Allow::kAll || PrivateAddress(a));
  if (!allowed || in_flight_.fetch_add(1) >= opt_.max_in_flight) {
    if (allowed) --in_flight_;
    // Never before Probe returns: the caller may hold the lock the answer needs.
    return net::post(ioc_, [done = std::move(done)] { done(std::nullopt); });
  }
  std::make_shared<ProbeSession>(ioc_, opt_, in_flight_, std::move(path), std::move(authorization),
                                 std::move(done))
      ->Run(a);
}

}  // namespace stepup
