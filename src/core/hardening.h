// The hardened defaults of the shipped SPA/MPP templates: each is a lower-case setting whose
// built-in default is the safer value, overridden by the operator's defaults (DATA/defaults.toml)
// and then by the device's own settings. The renderer and `stepup audit` read the same
// effective values from here, so what the audit reports is what the phone is sent.
// README "Hardened defaults" lists each key, what it renders and the source of the name.
#pragma once

#include <string>
#include <vector>

#include "core/device.h"
#include "core/result.h"

namespace stepup {

struct HardenedSetting {
  const char* key;
  const char* fallback;  // the built-in default
  const char* values;    // allowed values ("udp|tcp|tls|auto"), or "port" / "url"
};

// Every hardened setting, in the order the README lists them.
const std::vector<HardenedSetting>& HardenedSettings();

// The value a device gets for a hardened key: its own setting, else the operator default,
// else the built-in default. A key that is not hardened gives the device's, else the
// operator's value, else "".
std::string EffectiveSetting(const std::string& key, const Settings& defaults,
                             const Settings& device);

// Checks a hardened key's value (case-insensitive for the word values); Ok for other keys.
// The error names the key, the value and what is allowed.
Status CheckHardenedSetting(const std::string& key, const std::string& value);

// Admin passwords an operator may have typed that anyone can guess (compared
// case-insensitively), and the empty one.
bool WeakAdminPassword(const std::string& password);

// The lowest port of the dynamic range (RFC 6335): a SIP TCP source port below it is not random.
inline constexpr int kRandomPortMin = 49152;

}  // namespace stepup
