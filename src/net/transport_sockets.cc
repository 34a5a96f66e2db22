#include "net/transport_sockets.h"

#include <boost/asio/ip/v6_only.hpp>

namespace stepup {
namespace {

namespace net = boost::asio;

// The address of a listener, and the name of the value for errors ("--http 127.0.0.1:8069").
struct Where {
  net::ip::address address;
  std::string name;
};

Result<Where> Resolve(const std::string& flag, const std::string& address, uint16_t port) {
  const bool v6 = address.find(':') != std::string::npos;
  Where w{{}, flag + " " + (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port)};
  boost::system::error_code ec;
  w.address = net::ip::make_address(address, ec);
  if (ec) return BadInput(w.name + ": \"" + address + "\" is not an IP address");
  return w;
}

// Opens `s` for `ep`'s protocol, an IPv6 wildcard taking IPv4 as well, then `bind_and_more`.
template <typename Socket, typename Endpoint, typename Then>
Status Open(Socket& s, const Where& w, const Endpoint& ep, Then bind_and_more) {
  boost::system::error_code ec;
  s.open(ep.protocol(), ec);
  if (!ec && w.address.is_v6()) s.set_option(net::ip::v6_only(false), ec);
  if (!ec) bind_and_more(ec);
  if (ec) {
    boost::system::error_code ignored;
    s.close(ignored);
    return IoError(w.name + ": " + ec.message());
  }
  return Ok{};
}

}  // namespace

Status OpenTcpListener(net::ip::tcp::acceptor& a, const std::string& flag,
                       const std::string& address, uint16_t port) {
  auto w = Resolve(flag, address, port);
  if (!w) return w.error();
  const net::ip::tcp::endpoint ep(w->address, port);
  return Open(a, *w, ep, [&](boost::system::error_code& ec) {
    a.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) a.bind(ep, ec);
    if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
    if (!ec) a.non_blocking(true, ec);
  });
}

Status OpenUdpListener(net::ip::udp::socket& s, const std::string& flag, const std::string& address,
                       uint16_t port) {
  auto w = Resolve(flag, address, port);
  if (!w) return w.error();
  const net::ip::udp::endpoint ep(w->address, port);
  return Open(s, *w, ep, [&](boost::system::error_code& ec) {
    s.bind(ep, ec);
    if (!ec) s.non_blocking(true, ec);
  });
}

std::string PeerIp(const net::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    return net::ip::make_address_v4(net::ip::v4_mapped, a.to_v6()).to_string();
  return a.to_string();
}

std::string PeerText(const std::string& ip, uint16_t port) {
  return (ip.find(':') != std::string::npos ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
}

boost::system::error_code OpenTransferSocket(net::ip::udp::socket& s, const net::ip::address& local,
                                             const net::ip::udp::endpoint& peer) {
  boost::system::error_code ec;
  s.open(peer.protocol(), ec);
  if (!ec) s.bind(net::ip::udp::endpoint(local, 0), ec);
  if (!ec) s.connect(peer, ec);
  return ec;
}

}  // namespace stepup
