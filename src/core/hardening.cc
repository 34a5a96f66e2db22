#include "core/hardening.h"

#include <algorithm>
#include <cctype>

#include "core/text.h"

namespace stepup {
namespace {

const HardenedSetting* Find(const std::string& key) {
  for (const auto& h : HardenedSettings()) {
    if (key == h.key) return &h;
  }
  return nullptr;
}

bool IsPort(const std::string& v) {
  if (v.empty() || v.size() > 5 || !std::all_of(v.begin(), v.end(), [](char c) {
        return c >= '0' && c <= '9';
      }))
    return false;
  int n = std::stoi(v);
  return n >= 1 && n <= 65535;
}

}  // namespace

const std::vector<HardenedSetting>& HardenedSettings() {
  static const std::vector<HardenedSetting> kAll = {
      // SIP transport of line 1. UDP stays the default: it is what every call server takes;
      // TLS is turned on where the site's call server supports it.
      {"sip_transport", "udp", "udp|tcp|tls|auto"},
      // SRTP (secure calls by default); off by default for the same reason.
      {"srtp", "no", "yes|no"},
      // How SRTP keys are negotiated: s-descriptor is RFC 4568 SDES, which third-party call
      // servers speak; x-sipura is the phones' legacy method (their factory default).
      {"srtp_method", "s-descriptor", "s-descriptor|x-sipura"},
      // SIP TCP source ports moved into the dynamic range (seed 002 "Mitigation").
      {"sip_tcp_port_min", "49152", "port"},
      {"sip_tcp_port_max", "65535", "port"},
      // The phone's web server, and (MPP phones) HTTPS for it.
      {"web_server", "yes", "yes|no"},
      {"web_protocol", "https", "https|http"},
      // MPP phones: honour the ua="na" user-access attributes on the phone's own menus.
      {"phone_ui_user_mode", "yes", "yes|no"},
      // The URL of a CA certificate (PEM) the phone adds to its trust store; none by default.
      {"custom_ca_rule", "", "url"},
      // Encrypted profiles (SPA/MPP, Profile_Rule's --key option) under the device's own
      // profile_key; off by default.
      {"profile_encryption", "none", "aes|none"},
  };
  return kAll;
}

std::string EffectiveSetting(const std::string& key, const Settings& defaults,
                             const Settings& device) {
  if (auto it = device.find(key); it != device.end()) return it->second;
  if (auto it = defaults.find(key); it != defaults.end()) return it->second;
  const HardenedSetting* h = Find(key);
  return h ? h->fallback : "";
}

Status CheckHardenedSetting(const std::string& key, const std::string& value) {
  const HardenedSetting* h = Find(key);
  if (!h) return Ok{};
  const std::string values = h->values;
  if (values == "port") {
    if (IsPort(value)) return Ok{};
    return BadInput("setting " + key + "=\"" + value + "\": a port number 1-65535 is expected");
  }
  if (values == "url") {
    const std::string v = ToLower(value);
    if (value.empty() || v.rfind("http://", 0) == 0 || v.rfind("https://", 0) == 0 ||
        v.rfind("tftp://", 0) == 0)
      return Ok{};
    return BadInput("setting " + key + "=\"" + value +
                    "\": a URL starting http://, https:// or tftp:// is expected");
  }
  const std::string v = ToLower(value);
  size_t start = 0;
  while (start <= values.size()) {
    size_t bar = values.find('|', start);
    if (bar == std::string::npos) bar = values.size();
    if (values.compare(start, bar - start, v) == 0) return Ok{};
    start = bar + 1;
  }
  return BadInput("setting " + key + "=\"" + value + "\": one of " + values + " is expected");
}

bool WeakAdminPassword(const std::string& password) {
  static const char* const kWellKnown[] = {"admin", "cisco", "password", "1234"};
  const std::string p = ToLower(password);
  if (p.empty()) return true;
  return std::any_of(std::begin(kWellKnown), std::end(kWellKnown),
                     [&](const char* w) { return p == w; });
}

}  // namespace stepup
