// Where a simulated phone's datagrams come from. Each phone on its own address by default;
// with --nat N the fleet sits behind N shared addresses (127.3.0.1 ...) as a site's NAT puts
// it: every TFTP transfer gets an outside port from the address's small pool, handed out again
// soon after its last user let it go (oldest free first), so phones meet ports other phones
// used seconds before. With --reuse-ports a phone's own TFTP stack starts at the same port on
// every boot (40000, 40001, ... for its first, second ... transfer), as some phones do.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

namespace stepup::sim {

// One shared address's outside ports. Not thread-safe (the simulator runs on one thread).
class NatPorts {
 public:
  NatPorts(uint16_t first, size_t count);
  uint16_t Take();  // 0 when all are in use (then the kernel picks one)
  void Give(uint16_t port);
  uint64_t reused() const { return reused_; }  // ports handed out again

 private:
  std::deque<uint16_t> free_;
  std::vector<bool> used_before_;
  uint16_t first_;
  uint64_t reused_ = 0;
};

// The address the i-th of n NAT addresses gives: 127.3.0.1, 127.3.0.2, ...
boost::asio::ip::address NatAddress(size_t i);

// The port a phone that reuses ports binds for its k-th TFTP transfer of a boot.
inline uint16_t ReusedPort(int k) { return static_cast<uint16_t>(40000 + k % 1000); }

}  // namespace stepup::sim
