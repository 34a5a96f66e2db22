// Where a simulated phone's datagrams come from. Each phone on its own address by default;
// with --nat N the fleet sits behind N shared addresses (127.3.0.1 ...) as a site's NAT puts
// it: every TFTP transfer gets an outside port from the address's pool, and a port its last
// transfer let go is handed out again only after the NAT's mapping time-out (--nat-hold-ms,
// default 30 s: Linux conntrack's nf_conntrack_udp_timeout), oldest first, so a late answer
// meant for the last user dies in the NAT instead of reaching the next phone. A pool with no
// port past its time-out hands out the oldest one early (a full NAT table evicting its least
// recently used mapping), counted apart. With --reuse-ports a phone's own TFTP stack starts at
// the same port on every boot (40000, 40001, ... for its first, second ... transfer), as some
// phones do.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <utility>
#include <vector>

namespace stepup::sim {

// A NAT address's pool: 1024 up to below the kernel's ephemeral ports (32768 up), which the
// kernel hands out when a pool is wholly in use. A storm of 10,000 phones behind 5 addresses
// lets go of about 12,000 ports an address within a 30 s hold: the whole range keeps up.
inline constexpr uint16_t kNatFirstPort = 1024;
inline constexpr int kNatPortsMax = 32768 - kNatFirstPort;

// One shared address's outside ports. Not thread-safe (the simulator runs on one thread).
class NatPorts {
 public:
  using Clock = std::chrono::steady_clock;
  NatPorts(uint16_t first, size_t count, std::chrono::milliseconds hold);
  uint16_t Take(Clock::time_point now = Clock::now());  // 0 when all are in use (the kernel picks)
  void Give(uint16_t port, Clock::time_point now = Clock::now());
  uint64_t reused() const { return reused_; }  // ports handed out again after their time-out
  uint64_t early() const { return early_; }    // ... before it (the pool ran dry)

 private:
  std::deque<std::pair<uint16_t, Clock::time_point>> free_;  // port, when it was let go
  std::vector<bool> used_before_;
  uint16_t first_;
  std::chrono::milliseconds hold_;
  uint64_t reused_ = 0;
  uint64_t early_ = 0;
};

// The address the i-th of n NAT addresses gives: 127.3.0.1, 127.3.0.2, ...
boost::asio::ip::address NatAddress(size_t i);

// The port a phone that reuses ports binds for its k-th TFTP transfer of a boot.
inline uint16_t ReusedPort(int k) { return static_cast<uint16_t>(40000 + k % 1000); }

}  // namespace stepup::sim
