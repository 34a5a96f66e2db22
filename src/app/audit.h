// `stepup audit`: what each device falls short of the security baseline (issue 17), from its
// record, its history and the catalog. Pure logic: the caller reads the inventory.
// contract.md "Operations" fixes the JSON shape; README "stepup audit" lists the findings.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/catalog.h"
#include "core/device.h"

namespace stepup {

struct Finding {
  std::string id;        // stable: "admin-password-weak", "secrets-plain", ...
  std::string severity;  // "high" | "medium" | "low"
  std::string detail;    // prose naming the device's facts
  std::string fix;       // a command or setting
};

struct DeviceAudit {
  std::string mac, serial, model;
  std::vector<Finding> findings;
};

struct AuditSetup {
  const Catalog* catalog = nullptr;
  Settings defaults;  // operator defaults (DATA/defaults.toml)
  int64_t now = 0;    // seconds since the epoch (trust-store expiry); 0: not checked
};

// Audits one device. `events` is its history (only "secrets-sent" events are read).
DeviceAudit AuditDevice(const AuditSetup& setup, const Device& device,
                        const std::vector<Event>& events);

struct AuditTotals {
  int devices = 0, devices_with_findings = 0;
  std::map<std::string, int> by_severity;  // every severity, 0 when none
  std::map<std::string, int> by_id;
};
AuditTotals Totals(const std::vector<DeviceAudit>& audits);

// The contract's JSON document, and a plain-text table for people.
std::string AuditJson(const std::vector<DeviceAudit>& audits);
std::string AuditTable(const std::vector<DeviceAudit>& audits);

}  // namespace stepup
