#include "net/source_limits.h"

#include <algorithm>
#include <boost/asio/ip/address.hpp>

#include "core/text.h"

namespace stepup {
namespace {

namespace ip = boost::asio::ip;

// The address's bytes (4 or 16) and whether it is IPv6; false if it is not an address.
bool Bytes(const std::string& text, std::array<uint8_t, 16>& out, bool& v6) {
  boost::system::error_code ec;
  ip::address a = ip::make_address(text, ec);
  if (ec) return false;
  out.fill(0);
  v6 = a.is_v6();
  if (v6) {
    auto b = a.to_v6().to_bytes();
    std::copy(b.begin(), b.end(), out.begin());
  } else {
    auto b = a.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), out.begin());
  }
  return true;
}

bool Contains(const std::array<uint8_t, 16>& net, unsigned bits,
              const std::array<uint8_t, 16>& addr) {
  for (unsigned i = 0; i < bits / 8; ++i)
    if (net[i] != addr[i]) return false;
  if (bits % 8 == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - bits % 8));
  return (net[bits / 8] & mask) == (addr[bits / 8] & mask);
}

bool Number(std::string_view s, uint64_t max, uint64_t& out) {
  return ParseDecimal(s, 10, &out) && out <= max;
}

}  // namespace

Status SourceLimits::Add(std::string_view text) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  const auto bad = [&](const std::string& why) {
    return BadInput("--tftp-limit " + quoted + ": " + why +
                    " (expected NET/BITS=TRANSFERS,RATE, e.g. 10.0.0.0/8=4000,2000)");
  };
  const size_t eq = text.find('='), slash = text.find('/'), comma = text.find(',', eq);
  if (eq == std::string_view::npos || slash == std::string_view::npos || slash > eq ||
      comma == std::string_view::npos) {
    return bad("not a rule");
  }
  Rule r;
  uint64_t bits = 0, transfers = 0, rate = 0;
  if (!Bytes(std::string(text.substr(0, slash)), r.net, r.v6)) return bad("not an address");
  if (!Number(text.substr(slash + 1, eq - slash - 1), r.v6 ? 128 : 32, bits))
    return bad("prefix length out of range");
  if (!Number(text.substr(eq + 1, comma - eq - 1), 1000000, transfers) || transfers == 0)
    return bad("transfers must be 1 to 1000000");
  if (!Number(text.substr(comma + 1), 1000000, rate) || rate == 0)
    return bad("rate must be 1 to 1000000");
  r.bits = static_cast<unsigned>(bits);
  for (unsigned i = r.bits; i < 128; ++i)  // host bits set: 10.1.2.3/8 means 10.0.0.0/8
    r.net[i / 8] = static_cast<uint8_t>(r.net[i / 8] & ~(0x80 >> (i % 8)));
  r.limit = {static_cast<uint32_t>(transfers), static_cast<uint32_t>(rate)};
  std::erase_if(rules_,
                [&](const Rule& o) { return o.v6 == r.v6 && o.bits == r.bits && o.net == r.net; });
  rules_.push_back(r);
  std::stable_sort(rules_.begin(), rules_.end(),
                   [](const Rule& a, const Rule& b) { return a.bits > b.bits; });
  return Ok{};
}

SourceLimit SourceLimits::For(const std::string& ip) const {
  if (rules_.empty()) return fallback_;
  std::array<uint8_t, 16> addr{};
  bool v6 = false;
  if (!Bytes(ip, addr, v6)) return fallback_;
  for (const Rule& r : rules_)
    if (r.v6 == v6 && Contains(r.net, r.bits, addr)) return r.limit;
  return fallback_;
}

}  // namespace stepup
