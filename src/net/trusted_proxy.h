// Requests relayed by a load balancer (deploy/nginx): the phone's own address comes in
// X-Real-IP (else the last address of X-Forwarded-For that is not itself a trusted proxy),
// believed only when the connection comes from an address range the operator named
// (serve --trusted-proxy). A phone cannot claim another's address: from anywhere else the
// headers are ignored.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace stepup {

struct AddressRange {
  boost::asio::ip::address base;
  int bits = 0;
};
// "10.0.0.0/8", "::1/128", or an address alone (all its bits); the error names the text.
Result<AddressRange> ParseAddressRange(const std::string& text);
bool InRanges(const boost::asio::ip::address& a, const std::vector<AddressRange>& ranges);

// What the headers say of the client, as the server names addresses (PeerIp). `peer` is the
// connection's address (already known to be a trusted proxy). nullopt with `bad` set (naming
// the header and its value) when the header is malformed; nullopt with `bad` empty when the
// request carries neither header.
std::optional<std::string> RelayedClient(const std::string& real_ip,
                                         const std::string& forwarded_for,
                                         const std::vector<AddressRange>& trusted,
                                         std::string& bad);

}  // namespace stepup
