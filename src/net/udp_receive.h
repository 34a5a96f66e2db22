// Reading a UDP socket's queue with the time the kernel took each datagram in (SO_TIMESTAMPNS),
// so a server that reads late can still tell what a client sent before or after some moment:
// in a boot storm a datagram may wait in the queue for longer than the transfer it belongs to.
#pragma once

#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <span>

namespace stepup {

// Asks the kernel to stamp every datagram `socket` receives. Without it (or where the kernel
// refuses) ReceiveStamped reports the time of the read instead.
void EnableReceiveTimes(boost::asio::ip::udp::socket& socket);

// One queued datagram into `buf`, without blocking (ec: would_block when the queue is empty).
// `received`: when the kernel queued it, on the steady clock (never later than now).
size_t ReceiveStamped(boost::asio::ip::udp::socket& socket, std::span<char> buf,
                      boost::asio::ip::udp::endpoint& from,
                      std::chrono::steady_clock::time_point& received,
                      boost::system::error_code& ec);

}  // namespace stepup
