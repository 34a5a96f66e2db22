#include "core/dhcp_options.h"

#include <nlohmann/json.hpp>

#include "core/render.h"
#include "core/text.h"

namespace stepup {
namespace {

// Serve's default HTTP port (contract.md "Serving").
constexpr const char* kDefaultHttpPort = "8069";

// Names given to the two options no standard definition covers in Kea and ISC dhcpd.
constexpr const char* kOption150Name = "tftp-server-address";
constexpr const char* kOption160Name = "cisco-provisioning-url";

std::string HostOf(const std::string& url) {
  size_t start = url.find("://");
  if (start == std::string::npos) return "";
  start += 3;
  size_t end = url.find_first_of(":/?", start);
  return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

Result<std::string> CheckUrl(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  const std::string lower = ToLower(url);
  if (lower.rfind("http://", 0) != 0 && lower.rfind("https://", 0) != 0) {
    return BadInput("--url \"" + url + "\" is not an http:// or https:// URL");
  }
  for (char c : url) {
    const unsigned char u = static_cast<unsigned char>(c);
    // Kea splits option data at commas; quotes and backslashes would need escaping in each of
    // the three syntaxes; no URL of this server needs any of them.
    if (u <= 0x20 || u >= 0x7f || c == '"' || c == '\\' || c == ',' || c == '\'') {
      return BadInput(
          "--url \"" + url + "\" holds a character DHCP option text cannot carry here (" +
          (u <= 0x20 ? std::string("a space or control character") : std::string(1, c)) + ")");
    }
  }
  if (HostOf(url).empty()) return BadInput("--url \"" + url + "\" names no host");
  return url;
}

std::string Kea(const DhcpOptions& o) {
  // Kea has standard definitions for option 66 (tftp-server-name, string) but none for 150
  // or, since Kea 2.1.2, 160 (v4-captive-portal moved to 114, RFC 8910), so both are defined
  // here. The option-def fields (name, code, type, array, space) are those of the Kea ARM,
  // "Custom DHCPv4 Options" (kea.readthedocs.io/en/latest/arm/dhcp4-srv.html#custom-dhcpv4-options;
  // isc-projects/kea doc/sphinx/arm/dhcp4-srv.rst), whose standard option table lists 66 and,
  // in current releases, neither 150 nor 160. A Kea older than 2.1.2 defines 160 itself as
  // v4-captive-portal (string): drop the 160 definition there and keep its data.
  nlohmann::json defs = nlohmann::json::array();
  defs.push_back({{"name", kOption150Name},
                  {"code", 150},
                  {"type", "ipv4-address"},
                  {"array", true},
                  {"space", "dhcp4"}});
  defs.push_back({{"name", kOption160Name},
                  {"code", 160},
                  {"type", "string"},
                  {"array", false},
                  {"space", "dhcp4"}});
  nlohmann::json data = nlohmann::json::array();
  data.push_back(
      {{"name", "tftp-server-name"}, {"code", 66}, {"space", "dhcp4"}, {"data", o.tftp_name}});
  data.push_back({{"name", kOption150Name},
                  {"code", 150},
                  {"space", "dhcp4"},
                  {"csv-format", true},
                  {"data", Join(o.tftp_addresses, ", ")}});
  data.push_back(
      {{"name", kOption160Name}, {"code", 160}, {"space", "dhcp4"}, {"data", o.provisioning_url}});
  return nlohmann::json{{"Dhcp4", {{"option-def", defs}, {"option-data", data}}}}.dump(2) + "\n";
}

std::string Isc(const DhcpOptions& o) {
  // dhcpd.conf(5) / dhcp-options(5): tftp-server-name is a standard option (66, text); 150
  // and 160 are declared with `option NAME code N = TYPE;` before they are given values.
  std::string out =
      "# stepup: DHCP options for Cisco phones (ISC dhcpd, dhcpd.conf). The declarations go at\n"
      "# the top level; the values in the scope that serves the phones (subnet, class, host).\n";
  out += std::string("option ") + kOption150Name + " code 150 = array of ip-address;\n";
  out += std::string("option ") + kOption160Name + " code 160 = text;\n";
  out += "option tftp-server-name \"" + o.tftp_name + "\";\n";
  out += std::string("option ") + kOption150Name + " " + Join(o.tftp_addresses, ", ") + ";\n";
  out += std::string("option ") + kOption160Name + " \"" + o.provisioning_url + "\";\n";
  return out;
}

std::string Dnsmasq(const DhcpOptions& o) {
  // dnsmasq(8) --dhcp-option: 66 is known to dnsmasq as a name option (tftp-server), 150 is
  // given as a list of addresses, 160 as a quoted string.
  std::string out = "# stepup: DHCP options for Cisco phones (dnsmasq.conf)\n";
  out += "dhcp-option=66,\"" + o.tftp_name + "\"\n";
  out += "dhcp-option=150," + Join(o.tftp_addresses, ",") + "\n";
  out += "dhcp-option=160,\"" + o.provisioning_url + "\"\n";
  return out;
}

}  // namespace

std::optional<DhcpFormat> ParseDhcpFormat(std::string_view s) {
  if (s == "kea") return DhcpFormat::kKea;
  if (s == "isc") return DhcpFormat::kIsc;
  if (s == "dnsmasq") return DhcpFormat::kDnsmasq;
  return std::nullopt;
}

bool IsIpv4(std::string_view s) {
  for (int part = 0; part < 4; ++part) {
    const size_t dot = s.find('.');
    if ((part < 3) == (dot == std::string_view::npos)) return false;  // exactly three dots
    const std::string_view digits = s.substr(0, dot);
    uint64_t v = 0;
    if (!ParseDecimal(digits, 3, &v) || v > 255 || (digits.size() > 1 && digits[0] == '0')) {
      return false;
    }
    s = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
  }
  return true;
}

Result<DhcpOptions> MakeDhcpOptions(const std::vector<std::string>& tftp,
                                    const std::string& base_url) {
  DhcpOptions o;
  for (const auto& t : tftp) {
    std::string addr = t;
    if (size_t colon = t.find(':'); colon != std::string::npos) {
      addr = t.substr(0, colon);
      uint64_t port = 0;
      if (!ParseDecimal(std::string_view(t).substr(colon + 1), 5, &port) || port == 0 ||
          port > 65535) {
        return BadInput("--tftp \"" + t + "\" is not ADDR or ADDR:PORT");
      }
      if (port != 69) {
        o.warnings.push_back("--tftp " + t + ": phones ask for TFTP on port 69, and DHCP cannot " +
                             "name another; serve with --tftp " + addr +
                             ":69 or forward port 69 to " + std::to_string(port));
      }
    }
    if (!IsIpv4(addr)) {
      return BadInput("--tftp \"" + t + "\" is not an IPv4 address (option 150 carries IPv4 only)");
    }
    if (addr.rfind("127.", 0) == 0 || addr == "0.0.0.0") {
      return BadInput("--tftp \"" + t +
                      "\" is not an address phones can reach: give the one they see");
    }
    o.tftp_addresses.push_back(addr);
  }
  std::string url;
  if (!base_url.empty()) {
    auto checked = CheckUrl(base_url);
    if (!checked) return checked.error();
    url = std::move(checked).value();
    if (o.tftp_addresses.empty()) {
      const std::string host = HostOf(url);
      if (!IsIpv4(host)) {
        return BadInput("--url \"" + base_url +
                        "\" names no IPv4 address for option 150: give --tftp ADDR");
      }
      o.tftp_addresses.push_back(host);
    }
  } else if (!o.tftp_addresses.empty()) {
    url = "http://" + o.tftp_addresses.front() + ":" + kDefaultHttpPort;
  } else {
    return BadInput("give --tftp ADDR (the IPv4 address phones reach this server at) or --url URL");
  }
  o.tftp_name = o.tftp_addresses.front();
  o.provisioning_url = Renderer::ProfileRule(url);
  return o;
}

std::string FormatDhcpOptions(const DhcpOptions& options, DhcpFormat format) {
  switch (format) {
    case DhcpFormat::kKea:
      return Kea(options);
    case DhcpFormat::kIsc:
      return Isc(options);
    case DhcpFormat::kDnsmasq:
      return Dnsmasq(options);
  }
  return "";
}

}  // namespace stepup
