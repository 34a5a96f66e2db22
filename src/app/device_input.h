// Turning what an operator types or imports into inventory devices: every field validated
// against the catalog, errors naming the field (or CSV row and column) and the value.
#pragma once

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

// A random 16-character password for devices imported without one.
std::string GenerateSecret();

}  // namespace stepup
