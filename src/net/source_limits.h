// How much one client address may ask of the TFTP server, by network: a whole site behind one
// NAT address is thousands of phones, a lab host is one. Rules are "NETWORK/BITS=TRANSFERS,RATE"
// (IPv4 or IPv6); the most specific network containing an address decides, else the default.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace stepup {

struct SourceLimit {
  uint32_t transfers = 2000;  // concurrent transfers from one address
  uint32_t rate = 1000;       // new requests a second from one address (burst: as many)
};

class SourceLimits {
 public:
  SourceLimits() = default;
  explicit SourceLimits(SourceLimit fallback) : fallback_(fallback) {}

  // Adds one rule, e.g. "10.0.0.0/8=2000,400" or "2001:db8::/32=500,100"; a rule for a network
  // already given replaces it. The error names the rule.
  Status Add(std::string_view rule);
  // The limits for `ip` (its text form, as the server prints it).
  SourceLimit For(const std::string& ip) const;
  const SourceLimit& fallback() const { return fallback_; }

 private:
  struct Rule {
    std::array<uint8_t, 16> net{};
    unsigned bits = 0;
    bool v6 = false;
    SourceLimit limit;
  };
  SourceLimit fallback_;
  std::vector<Rule> rules_;  // most specific first
};

}  // namespace stepup
