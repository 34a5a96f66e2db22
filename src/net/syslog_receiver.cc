#include "net/syslog_receiver.h"

#include "net/transport_sockets.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/strand.hpp>

namespace stepup {

namespace net = boost::asio;

SyslogReceiver::SyslogReceiver(net::io_context& ioc, Provisioner& prov)
    : socket_(net::make_strand(ioc)), prov_(prov) {}

Status SyslogReceiver::Start(const std::string& address, uint16_t port) {
  if (auto s = OpenUdpListener(socket_, "--syslog", address, port); !s) return s;
  Receive();
  return Ok{};
}

void SyslogReceiver::Stop() {
  net::dispatch(socket_.get_executor(), [this] {
    boost::system::error_code ec;
    socket_.close(ec);
  });
}

void SyslogReceiver::Receive() {
  socket_.async_receive_from(net::buffer(buf_), from_,
                             [this](boost::system::error_code ec, size_t n) {
                               if (ec) return;
                               std::string msg(buf_.data(), n);
                               if (!msg.empty() && msg[0] == '<')
                                 msg.erase(0, msg.find('>') + 1);  // <PRI>
                               prov_.Evidence(PeerIp(from_.address()), msg);
                               Receive();
                             });
}

}  // namespace stepup
