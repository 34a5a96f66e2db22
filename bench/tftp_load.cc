// tftp_load: a TFTP load generator for bench/tftp, what wrk is for HTTP. One process, one
// thread, one epoll loop drives N concurrent downloads of one file, so the client costs the
// machine little and the same client measures every server. Each transfer asks for the file
// with the given options (blksize, optionally windowsize), acknowledges each block (or each
// window), re-acknowledges after a second of silence, and compares every byte it receives
// with the reference file. Prints one line: transfers, failures, seconds, MB/s, and how many
// read requests it had to send again (no answer within a second).
//
//   tftp_load HOST PORT NAME REFERENCE_FILE TRANSFERS BLKSIZE [WINDOWSIZE]
//
// TFTP_LOAD_FIRST_PORT=P binds transfer i to local port P+i (runs back to back then reuse
// every port, as a NAT or a kernel short of ports does).
//
// Exit 0 when every transfer completed byte-identical, 1 otherwise, 2 on bad arguments.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Transfer {
  int fd = -1;
  sockaddr_in server{};  // the server's transfer ID once it answers
  bool have_tid = false;
  uint64_t next = 1;      // the block expected next (not wrapped)
  uint64_t received = 0;  // bytes received in order
  uint16_t last_acked = 0;
  uint32_t since_ack = 0;  // in-order blocks since the last ACK (RFC 7440 windows)
  bool done = false, failed = false;
  Clock::time_point last_progress;
};

struct Setup {
  sockaddr_in addr{};
  std::string rrq;
  const unsigned char* ref = nullptr;
  uint64_t ref_size = 0;
  uint32_t blksize = 512, window = 1;
  uint16_t first_port = 0;
  const Transfer* base = nullptr;  // TFTP_LOAD_FIRST_PORT: transfer i binds this + i (0: any)
};

void SendAck(Transfer& t, uint16_t block) {
  unsigned char ack[4] = {0, 4, static_cast<unsigned char>(block >> 8),
                          static_cast<unsigned char>(block & 0xff)};
  (void)::sendto(t.fd, ack, sizeof ack, 0, reinterpret_cast<const sockaddr*>(&t.server),
                 sizeof t.server);
  t.last_acked = block;
  t.since_ack = 0;
}

bool Start(Transfer& t, const Setup& s, int ep) {
  t.fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (t.fd < 0) return false;
  int rcv = 1 << 20;
  (void)::setsockopt(t.fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
  t.server = s.addr;
  if (s.first_port) {  // the same ports every run: the port reuse a NAT or a kernel does
    sockaddr_in me{};
    me.sin_family = AF_INET;
    me.sin_port = htons(static_cast<uint16_t>(s.first_port + (&t - s.base)));
    if (::bind(t.fd, reinterpret_cast<const sockaddr*>(&me), sizeof me) != 0) return false;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &t;
  if (::epoll_ctl(ep, EPOLL_CTL_ADD, t.fd, &ev) != 0) return false;
  t.last_progress = Clock::now();
  return ::sendto(t.fd, s.rrq.data(), s.rrq.size(), 0, reinterpret_cast<const sockaddr*>(&s.addr),
                  sizeof s.addr) == static_cast<ssize_t>(s.rrq.size());
}

// Handles one datagram; returns true when the transfer ended (done or failed).
bool OnDatagram(Transfer& t, const Setup& s, const unsigned char* p, size_t n,
                const sockaddr_in& from) {
  if (n < 4) return false;
  if (!t.have_tid) {
    t.server = from;
    t.have_tid = true;
  } else if (from.sin_port != t.server.sin_port) {
    return false;  // another TID: not ours (RFC 1350 says answer with error 5; ignoring is enough)
  }
  const uint16_t op = static_cast<uint16_t>(p[0] << 8 | p[1]);
  if (op == 5) {  // ERROR
    t.failed = true;
    return true;
  }
  if (op == 6) {  // OACK: acknowledge with block 0
    if (t.next == 1) SendAck(t, 0);
    t.last_progress = Clock::now();
    return false;
  }
  if (op != 3) return false;
  const uint16_t block = static_cast<uint16_t>(p[2] << 8 | p[3]);
  if (block != static_cast<uint16_t>(t.next & 0xffff)) {
    // Out of order (a loss): acknowledge what we have, the server resends from there.
    if (static_cast<uint16_t>(block - static_cast<uint16_t>(t.next & 0xffff)) > 0x8000)
      return false;  // an old duplicate
    SendAck(t, static_cast<uint16_t>((t.next - 1) & 0xffff));
    return false;
  }
  const size_t len = n - 4;
  if (t.received + len > s.ref_size || std::memcmp(s.ref + t.received, p + 4, len) != 0) {
    t.failed = true;
    return true;
  }
  t.received += len;
  t.last_progress = Clock::now();
  const bool last = len < s.blksize;
  if (last || ++t.since_ack == s.window) SendAck(t, block);
  ++t.next;
  if (last) {
    t.done = t.received == s.ref_size;
    t.failed = !t.done;
    return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7) {
    std::fprintf(stderr,
                 "usage: tftp_load HOST PORT NAME REFERENCE_FILE TRANSFERS BLKSIZE [WINDOWSIZE]\n");
    return 2;
  }
  Setup s;
  s.addr.sin_family = AF_INET;
  s.addr.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[2])));
  if (::inet_pton(AF_INET, argv[1], &s.addr.sin_addr) != 1) {
    std::fprintf(stderr, "tftp_load: \"%s\" is not an IPv4 address\n", argv[1]);
    return 2;
  }
  const int count = std::atoi(argv[5]);
  s.blksize = static_cast<uint32_t>(std::atoi(argv[6]));
  s.window = argc > 7 ? static_cast<uint32_t>(std::atoi(argv[7])) : 1;
  if (count <= 0 || count > 10000 || s.blksize < 8 || s.blksize > 65464 || s.window < 1 ||
      s.window > 65535) {
    std::fprintf(stderr, "tftp_load: bad TRANSFERS, BLKSIZE or WINDOWSIZE\n");
    return 2;
  }
  int ref_fd = ::open(argv[4], O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (ref_fd < 0 || ::fstat(ref_fd, &st) != 0) {
    std::fprintf(stderr, "tftp_load: cannot read \"%s\"\n", argv[4]);
    return 2;
  }
  s.ref_size = static_cast<uint64_t>(st.st_size);
  if (s.ref_size > 0) {
    void* m = ::mmap(nullptr, s.ref_size, PROT_READ, MAP_PRIVATE, ref_fd, 0);
    if (m == MAP_FAILED) return 2;
    s.ref = static_cast<const unsigned char*>(m);
  }
  s.rrq = std::string("\0\1", 2) + argv[3] + '\0' + "octet" + '\0';
  if (s.blksize != 512) s.rrq += std::string("blksize") + '\0' + std::to_string(s.blksize) + '\0';
  if (s.window > 1) s.rrq += std::string("windowsize") + '\0' + std::to_string(s.window) + '\0';

  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &rl);
  }
  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  std::vector<Transfer> transfers(static_cast<size_t>(count));
  if (const char* p = std::getenv("TFTP_LOAD_FIRST_PORT")) {
    s.first_port = static_cast<uint16_t>(std::atoi(p));
    s.base = transfers.data();
  }
  const auto t0 = Clock::now();
  for (auto& t : transfers) {
    if (!Start(t, s, ep)) {
      std::perror("tftp_load: socket");
      return 2;
    }
  }
  int open = count;
  std::vector<epoll_event> events(256);
  std::vector<unsigned char> buf(65536);
  auto last_sweep = Clock::now();
  int rrq_resent = 0;
  while (open > 0) {
    int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 100);
    for (int i = 0; i < n; ++i) {
      auto& t = *static_cast<Transfer*>(events[static_cast<size_t>(i)].data.ptr);
      sockaddr_in from{};
      socklen_t fl = sizeof from;
      ssize_t got =
          ::recvfrom(t.fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &fl);
      if (got < 0 || t.done || t.failed) continue;
      if (OnDatagram(t, s, buf.data(), static_cast<size_t>(got), from)) {
        ::epoll_ctl(ep, EPOLL_CTL_DEL, t.fd, nullptr);
        ::close(t.fd);
        --open;
      }
    }
    const auto now = Clock::now();
    if (now - last_sweep < std::chrono::milliseconds(200)) continue;
    last_sweep = now;
    for (auto& t : transfers) {  // silence: re-acknowledge (or give up after 20 s)
      if (t.done || t.failed || now - t.last_progress < std::chrono::seconds(1)) continue;
      if (now - t.last_progress > std::chrono::seconds(20)) {
        t.failed = true;
        ::epoll_ctl(ep, EPOLL_CTL_DEL, t.fd, nullptr);
        ::close(t.fd);
        --open;
      } else if (!t.have_tid) {
        ++rrq_resent;  // unanswered for a second: lost, or ignored by the server
        (void)::sendto(t.fd, s.rrq.data(), s.rrq.size(), 0,
                       reinterpret_cast<const sockaddr*>(&s.addr), sizeof s.addr);
      } else {
        SendAck(t, t.last_acked);
      }
    }
  }
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  int failed = 0;
  for (const auto& t : transfers) failed += t.done ? 0 : 1;
  std::printf("transfers %d failed %d seconds %.3f MB/s %.1f rrq_resent %d\n", count, failed, secs,
              static_cast<double>(s.ref_size) * (count - failed) / secs / 1e6, rrq_resent);
  return failed == 0 ? 0 : 1;
}
