// Reads phones' own web pages for the provisioner (Provisioner's probe_phone): GET
// http://IP:PORT/DeviceInformationX, and asks them to resync (resync_phone), asynchronously, with a deadline, a size limit and a cap on
// reads in flight, and only at the addresses the operator allows (by default loopback and
// private ones: a provisioning server does not reach out to the internet).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace stepup {

struct PhoneProbeOptions {
  enum class Allow { kOff, kPrivate, kAll };
  Allow allow = Allow::kPrivate;
  uint16_t port = 80;
  int timeout_ms = 2000;
  size_t max_in_flight = 512;
  size_t body_limit = 64 * 1024;
};

class PhoneProber {
 public:
  PhoneProber(boost::asio::io_context& ioc, PhoneProbeOptions options)
      : ioc_(ioc), opt_(options) {}
  // Calls done (on an Asio thread, never before Probe returns) with the page's body, or
  // nullopt: not allowed, too many in flight, refused, timed out, not 200, or too large.
  void Probe(const std::string& ip, std::function<void(std::optional<std::string>)> done);
  // Asks the phone to resync now: GET http://IP:PORT/admin/resync (the SPA/MPP resync URL),
  // as user "admin" with HTTP basic authentication when `admin_password` is not empty. Same
  // rules as Probe; done(true) when it answered 200.
  void Resync(const std::string& ip, const std::string& admin_password,
              std::function<void(bool)> done);
  // Loopback, RFC 1918, link-local, and IPv6 unique-local addresses.
  static bool PrivateAddress(const boost::asio::ip::address& a);

 private:
  void Get(const std::string& ip, std::string path, std::string authorization,
           std::function<void(std::optional<std::string>)> done);
  boost::asio::io_context& ioc_;
  PhoneProbeOptions opt_;
  std::atomic<size_t> in_flight_{0};
};

}  // namespace stepup
