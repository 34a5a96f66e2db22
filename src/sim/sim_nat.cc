#include "sim/sim_nat.h"

namespace stepup::sim {

NatPorts::NatPorts(uint16_t first, size_t count) : used_before_(count, false), first_(first) {
  for (size_t i = 0; i < count; ++i) free_.push_back(static_cast<uint16_t>(first + i));
}

uint16_t NatPorts::Take() {
  if (free_.empty()) return 0;
  uint16_t p = free_.front();
  free_.pop_front();
  if (used_before_[p - first_]) ++reused_;
  used_before_[p - first_] = true;
  return p;
}

void NatPorts::Give(uint16_t port) {
  if (port >= first_ && static_cast<size_t>(port - first_) < used_before_.size())
    free_.push_back(port);
}

boost::asio::ip::address NatAddress(size_t i) {
  return boost::asio::ip::address_v4(
      {127, 3, static_cast<uint8_t>(i / 250), static_cast<uint8_t>(i % 250 + 1)});
}

}  // namespace stepup::sim
