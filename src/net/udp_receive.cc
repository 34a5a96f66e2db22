#include "net/udp_receive.h"

#include <sys/socket.h>
#include <time.h>

#include <cerrno>
#include <cstring>

namespace stepup {

void EnableReceiveTimes(boost::asio::ip::udp::socket& socket) {
  int on = 1;
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
}

size_t ReceiveStamped(boost::asio::ip::udp::socket& socket, std::span<char> buf,
                      boost::asio::ip::udp::endpoint& from,
                      std::chrono::steady_clock::time_point& received,
                      boost::system::error_code& ec) {
  iovec iov{buf.data(), buf.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
  msghdr msg{};
  msg.msg_name = from.data();
  msg.msg_namelen = static_cast<socklen_t>(from.capacity());
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(socket.native_handle(), &msg, MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  received = std::chrono::steady_clock::now();
  if (n < 0) {
    ec = errno == EAGAIN || errno == EWOULDBLOCK
             ? make_error_code(boost::asio::error::would_block)
             : boost::system::error_code(errno, boost::system::system_category());
    return 0;
  }
  ec = {};
  from.resize(msg.msg_namelen);
  // The stamp is on the real-time clock: how long ago it was is what carries over.
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS) continue;
    timespec at{}, now{};
    std::memcpy(&at, CMSG_DATA(c), sizeof at);
    ::clock_gettime(CLOCK_REALTIME, &now);
    const auto ago = std::chrono::seconds(now.tv_sec - at.tv_sec) +
                     std::chrono::nanoseconds(now.tv_nsec - at.tv_nsec);
    if (ago > std::chrono::nanoseconds::zero()) received -= ago;
  }
  return static_cast<size_t>(n);
}

}  // namespace stepup
