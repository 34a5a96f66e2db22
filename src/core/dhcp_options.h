// `stepup dhcp`: the DHCP options that point Cisco phones at this server, in the syntax of the
// DHCP server the operator runs. Option 66 (TFTP server name) and 150 (Cisco's TFTP server
// address list) bring enterprise phones and factory-reset SPA/MPP phones to the TFTP
// listener; option 160 (the SPA/MPP provisioning URL) brings SPA/MPP phones straight to their
// personal profile over HTTP(S) (core/render.h Renderer::ProfileRule). Pure text.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace stepup {

enum class DhcpFormat { kKea, kIsc, kDnsmasq };
// "kea", "isc", "dnsmasq"; nullopt otherwise.
std::optional<DhcpFormat> ParseDhcpFormat(std::string_view s);

struct DhcpOptions {
  std::vector<std::string> tftp_addresses;  // option 150, dotted-quad IPv4, in order
  std::string tftp_name;                    // option 66: the first address
  std::string provisioning_url;             // option 160
  std::vector<std::string> warnings;        // for stderr: e.g. a TFTP port phones do not use
};

// From `tftp` (ADDR or ADDR:PORT, IPv4; a phone always asks on port 69, so another port is a
// warning) and `base_url` (http(s)://HOST[:PORT], as `serve --public-url`; "" : http://the
// first TFTP address:8069, serve's default HTTP port). Without --tftp, the URL's host is the
// TFTP address when it is an IPv4 address. kBadInput naming the value: not IPv4, a URL that
// is not http(s) or holds a character the formats cannot carry (space, quote, backslash,
// comma), neither given.
Result<DhcpOptions> MakeDhcpOptions(const std::vector<std::string>& tftp,
                                    const std::string& base_url);

// The options in `format`'s configuration syntax, ready to paste.
std::string FormatDhcpOptions(const DhcpOptions& options, DhcpFormat format);

// True for a dotted-quad IPv4 address ("192.0.2.10"; no leading zeros, each part 0-255).
bool IsIpv4(std::string_view s);

}  // namespace stepup
