#include "sim/phone_web.h"

#include "core/text.h"

namespace stepup::sim {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::string DeviceInformationPage(const Catalog& cat, const PhoneState& p) {
  std::string app = p.running;
  if (const Load* l = cat.FindLoad(p.family, p.running)) {
    for (const auto& f : l->files) {
      if (ToLower(f).rfind("jar", 0) == 0) app = f;
    }
  }
  const std::string mac = ToUpper(p.spec.mac);
  return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<DeviceInformation>\n  <MACAddress>" + mac +
         "</MACAddress>\n  <HostName>SEP" + mac + "</HostName>\n  <appLoadID>" + app +
         "</appLoadID>\n  <versionID>" + p.running + "</versionID>\n  <modelNumber>" +
         p.spec.model + "</modelNumber>\n</DeviceInformation>\n";
}

std::string BootAlarm(const PhoneState& p) {
  const std::string mac = ToUpper(p.spec.mac);
  return "<190>cisco-alarm:23 Name=SEP" + mac + " Load=" + p.running + " Last=reset-restart";
}

asio::awaitable<void> ServePhonePage(std::shared_ptr<tcp::acceptor> acceptor, const Catalog& cat,
                                     const PhoneState& p, bool page_on,
                                     std::function<int(const std::string&)> resync) {
  for (;;) {
    boost::system::error_code ec;
    tcp::socket s = co_await acceptor->async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    std::string head;
    co_await asio::async_read_until(s, asio::dynamic_buffer(head, 8192), "\r\n\r\n",
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec) continue;
    const bool page = page_on && head.rfind("GET /DeviceInformationX ", 0) == 0;
    int status = page ? 200 : 404;
    std::string body = page ? DeviceInformationPage(cat, p) : "not found\n";
    if (resync && head.rfind("GET /admin/resync", 0) == 0) {
      std::string auth;
      const std::string lower = ToLower(head);
      if (size_t at = lower.find("\r\nauthorization:"); at != std::string::npos) {
        const size_t start = head.find_first_not_of(' ', at + 16);
        auth = head.substr(start, head.find("\r\n", start) - start);
      }
      status = resync(auth);
      body = status == 200 ? "resync\n" : "unauthorized\n";
    }
    std::string out = std::string(status == 200   ? "HTTP/1.1 200 OK"
                                  : status == 401 ? "HTTP/1.1 401 Unauthorized"
                                                  : "HTTP/1.1 404 Not Found") +
                      "\r\nContent-Type: text/xml\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    co_await asio::async_write(s, asio::buffer(out), asio::redirect_error(asio::use_awaitable, ec));
  }
}

void SendSyslog(asio::io_context& ioc, const asio::ip::address& self,
                const asio::ip::udp::endpoint& to, const std::string& line) {
  boost::system::error_code ec;
  asio::ip::udp::socket s(ioc);
  s.open(to.protocol(), ec);
  if (!ec) s.bind(asio::ip::udp::endpoint(self, 0), ec);
  if (!ec) s.send_to(asio::buffer(line), to, 0, ec);
}

}  // namespace stepup::sim
