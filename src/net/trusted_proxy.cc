#include "net/trusted_proxy.h"

#include <charconv>

#include "net/transport_sockets.h"

namespace stepup {
namespace ip = boost::asio::ip;
namespace {

// The address as IPv6 bytes (IPv4 as ::ffff:a.b.c.d), so one comparison serves both.
ip::address_v6::bytes_type Bytes(const ip::address& a) {
  return a.is_v4() ? ip::make_address_v6(ip::v4_mapped, a.to_v4()).to_bytes()
                   : a.to_v6().to_bytes();
}

std::optional<ip::address> Address(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.size() > 2 && text.front() == '[' && text.back() == ']')
    text = text.substr(1, text.size() - 2);
  boost::system::error_code ec;
  auto a = ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  return a;
}

}  // namespace

Result<AddressRange> ParseAddressRange(const std::string& text) {
  const size_t slash = text.find('/');
  auto base = Address(std::string_view(text).substr(0, slash));
  if (!base) return BadInput("\"" + text + "\" is not an address or ADDRESS/BITS range");
  AddressRange r{*base, base->is_v4() ? 32 : 128};
  if (slash != std::string::npos) {
    const std::string bits = text.substr(slash + 1);
    int n = -1;
    auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), n);
    if (ec != std::errc() || end != bits.data() + bits.size() || n < 0 || n > r.bits)
      return BadInput("\"" + text + "\": the prefix length must be 0.." + std::to_string(r.bits));
    r.bits = n;
  }
  if (r.base.is_v4()) r.bits += 96;  // compared as ::ffff:a.b.c.d
  return r;
}

bool InRanges(const ip::address& a, const std::vector<AddressRange>& ranges) {
  const auto mine = Bytes(a.is_v6() && a.to_v6().is_v4_mapped()
                              ? ip::address(ip::make_address_v4(ip::v4_mapped, a.to_v6()))
                              : a);
  for (const auto& r : ranges) {
    const auto base = Bytes(r.base);
    int left = r.bits;
    bool in = true;
    for (size_t i = 0; in && left > 0; ++i, left -= 8) {
      const uint8_t mask = left >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - left));
      in = (mine[i] & mask) == (base[i] & mask);
    }
    if (in) return true;
  }
  return false;
}

std::optional<std::string> RelayedClient(const std::string& real_ip,
                                         const std::string& forwarded_for,
                                         const std::vector<AddressRange>& trusted,
                                         std::string& bad) {
  bad.clear();
  if (!real_ip.empty()) {
    if (auto a = Address(real_ip)) return PeerIp(*a);
    bad = "X-Real-IP \"" + real_ip.substr(0, 64) + "\"";
    return std::nullopt;
  }
  if (forwarded_for.empty()) return std::nullopt;
  std::vector<ip::address> hops;
  for (size_t from = 0; from <= forwarded_for.size();) {
    size_t comma = forwarded_for.find(',', from);
    if (comma == std::string::npos) comma = forwarded_for.size();
    auto a = Address(std::string_view(forwarded_for).substr(from, comma - from));
    if (!a) {
      bad = "X-Forwarded-For \"" + forwarded_for.substr(0, 64) + "\"";
      return std::nullopt;
    }
    hops.push_back(*a);
    from = comma + 1;
  }
  // Right to left: each proxy appends the address it saw; the first one not ours is the client.
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    if (!InRanges(*it, trusted)) return PeerIp(*it);
  }
  return PeerIp(hops.front());  // every hop a proxy of ours: the first of them
}

}  // namespace stepup
