#include "sim/sim_nat.h"

namespace stepup::sim {

NatPorts::NatPorts(uint16_t first, size_t count, std::chrono::milliseconds hold)
    : used_before_(count, false), first_(first), hold_(hold) {
  for (size_t i = 0; i < count; ++i)
    free_.emplace_back(static_cast<uint16_t>(first + i), Clock::time_point{});
}

uint16_t NatPorts::Take(Clock::time_point now) {
  if (free_.empty()) return 0;
  const auto [p, since] = free_.front();
  free_.pop_front();
  if (used_before_[p - first_]) (now - since >= hold_ ? reused_ : early_) += 1;
  used_before_[p - first_] = true;
  return p;
}

void NatPorts::Give(uint16_t port, Clock::time_point now) {
  if (port >= first_ && static_cast<size_t>(port - first_) < used_before_.size())
    free_.emplace_back(port, now);
}

boost::asio::ip::address NatAddress(size_t i) {
  return boost::asio::ip::address_v4(
      {127, 3, static_cast<uint8_t>(i / 250), static_cast<uint8_t>(i % 250 + 1)});
}

}  // namespace stepup::sim
