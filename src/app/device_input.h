// Turning what an operator types or imports into inventory devices: every field validated
// against the catalog, errors naming the field (or CSV row and column) and the value.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/catalog.h"
#include "core/device.h"
#include "core/result.h"

namespace stepup {

struct DeviceFields {
  std::string mac, serial, model, target = "latest", protocol, firmware, hardware;
  Settings settings;
};

// Validates and normalises one device (MAC to 12 lower-case hex digits, model to its canonical
// name). `where` prefixes errors ("--mac" style names are used when it is empty). An unknown
// model is kUnknown. Generates admin_password when the settings have none.
Result<Device> MakeDevice(const Catalog& catalog, const DeviceFields& f, int64_t now,
                          const std::string& where = "");

// Checks a settings key and value (used by --set and CSV columns).
Status CheckSetting(const std::string& key, const std::string& value);

// Checks that a target ("latest", a load name or a version) names a catalogued release of the
// model, and a firmware value parses as a version or a load of the model.
Status CheckTarget(const Catalog& catalog, const Model& model, const std::string& target);
Status CheckFirmware(const Catalog& catalog, const Model& model, const std::string& firmware);

// Parses a device CSV (header: model and mac or serial required; target, protocol, firmware,
// serial, hardware recognised; any other column a setting). All or nothing: the first bad row
// fails the whole file, naming row, line and column.
Result<std::vector<Device>> DevicesFromCsv(const Catalog& catalog, std::string_view csv,
                                           int64_t now, const std::string& file_name);

// What an operator changes on an enrolled device (`stepup device set`, PATCH
// /api/v1/devices/{key}); members left unset stay as they are. An empty firmware, protocol or
// hardware clears it. `set` values are already checked (CheckSetting).
struct DeviceChanges {
  std::optional<std::string> target, firmware, protocol, hardware;
  std::optional<bool> hold;
  Settings set;
  std::vector<std::string> unset;
};

// Applies the changes, each value checked against the device's model in the catalog, and says
// what changed in the words of its `operator` event ("target=7.6.1", "set sip_user"). A new
// target forgets the images it got stuck on; a firmware given forgets the candidates and ends
// the search for it; a device whose profiles become encrypted gets a profile key. kBadInput
// starts with `prefix(field)`: "--" for the command line ("--target \"9.9.9\" is not ..."),
// "field \"target\": " for the API. Nothing is changed when one value is bad.
Result<std::vector<std::string>> ApplyDeviceChanges(
    const Catalog& catalog, Device& device, const DeviceChanges& changes,
    const std::function<std::string(std::string_view field)>& prefix);

// A random 16-character password for devices imported without one.
std::string GenerateSecret();

}  // namespace stepup
