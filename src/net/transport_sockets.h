// The transports' sockets, written once for HTTP and TFTP: the listener on the address an
// operator gave (IPv4 or IPv6; "::" takes IPv4 as well), and a TFTP transfer's own socket,
// opened and read.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/tftp_packet.h"

namespace stepup {

// Opens, binds and listens `acceptor` on address:port (reuse_address set, non-blocking).
// Errors name `flag` and the value: BadInput for an address that is not one, IoError for what
// the system refused (in use, not permitted, not on this machine).
Status OpenTcpListener(boost::asio::ip::tcp::acceptor& acceptor, const std::string& flag,
                       const std::string& address, uint16_t port);

// Opens and binds `socket` on address:port (non-blocking); errors as OpenTcpListener's. No
// reuse_address: for UDP it would let a second server share the port.
Status OpenUdpListener(boost::asio::ip::udp::socket& socket, const std::string& flag,
                       const std::string& address, uint16_t port);

// A peer's address as the application sees it: an IPv4 peer reaching a dual-stack ("::")
// listener arrives as ::ffff:a.b.c.d and is named a.b.c.d, as on an IPv4 listener (the same
// phone, site and rate limits either way).
std::string PeerIp(const boost::asio::ip::address& a);
// "a.b.c.d:port" or "[v6]:port".
std::string PeerText(const std::string& ip, uint16_t port);

// A transfer's socket: an ephemeral port on `local`, connected to the client's `peer` (its
// transfer ID), so only the client's datagrams reach it.
[[nodiscard]] boost::system::error_code OpenTransferSocket(
    boost::asio::ip::udp::socket& socket, const boost::asio::ip::address& local,
    const boost::asio::ip::udp::endpoint& peer);

// Reads a TFTP transfer's `socket` into `buf`, handing each packet to `on_packet(packet)` (and
// dropping garbage), until an error or until `done` (the owner's flag) is set. `keep` (the
// owner of the socket, buffer and flag) is held while a read is pending.
template <typename Keep, typename OnPacket>
void ReceiveUntilDone(boost::asio::ip::udp::socket& socket, std::span<char> buf, const bool& done,
                      Keep keep, OnPacket on_packet) {
  socket.async_receive(
      boost::asio::buffer(buf.data(), buf.size()),
      [&socket, buf, &done, keep = std::move(keep), on_packet = std::move(on_packet)](
          boost::system::error_code ec, size_t n) mutable {
        if (ec || done) return;
        if (auto p = ParseTftp(std::string_view(buf.data(), n))) on_packet(*p);
        if (!done) ReceiveUntilDone(socket, buf, done, std::move(keep), std::move(on_packet));
      });
}

}  // namespace stepup
