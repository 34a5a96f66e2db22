// `stepup firmware list`: the firmware repository against the catalog (per family, the loads
// complete and those missing files) and against the inventory (the devices whose chain to
// their target needs an image the repository lacks: the planner's own "missing" loads).
// Pure: the caller lists the repository and reads the inventory.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/catalog.h"
#include "core/device.h"
#include "core/firmware_repo.h"

namespace stepup {

// A load a device's chain needs and the repository lacks (core/planner.h MissingLoad).
struct NeededLoad {
  LoadState state;  // missing: the files to fetch given what is on hand
  std::string why;  // the planner's reason it is on the chain
};

// One device's need, from the plan the server would make for it now.
struct DeviceNeed {
  std::string key, model, firmware, target;
  // "ok" (a chain exists from images on hand), "current", "blocked" (only missing images stand
  // in the way: `missing`), "no-path" (no image would help: `reason`), "unplanned" (what it
  // runs or its model is unknown: `reason`).
  std::string status;
  std::vector<NeededLoad> missing;  // every one is needed, in chain order
  std::string reason;
};

struct FirmwareReportInput {
  const Catalog* catalog = nullptr;
  const std::unordered_set<std::string>* on_hand = nullptr;   // lower-case names, after checks
  std::vector<std::pair<std::string, std::string>> rejected;  // (file, why): failed checks
  int64_t now = 0;  // seconds since the epoch (trust-store checks), 0: skipped
};

// The need of each device, in the order given.
std::vector<DeviceNeed> DeviceNeeds(const FirmwareReportInput& in,
                                    const std::vector<Device>& devices);

// {"families": [{"family", "complete": N, "total": N, "loads": [{"family", "load", "version",
// "protocol", "complete", "missing": [file, ...]}]}], "devices": [{"device", "model", "firmware",
// "target", "status", "reason", "missing": [{"load", "version", "files", "why"}]}], "rejected":
// [{"file", "why"}]}
std::string FirmwareListJson(const FirmwareReportInput& in,
                             const std::vector<FamilyState>& families,
                             const std::vector<DeviceNeed>& needs);
// The same for people: a line per family, its missing loads, then the blocked devices.
std::string FirmwareListText(const FirmwareReportInput& in,
                             const std::vector<FamilyState>& families,
                             const std::vector<DeviceNeed>& needs);

// `stepup firmware needed` (contract.md "Operations"): the images some device's chain needs
// and the repository lacks, one entry per model and load, with the devices (MAC, else serial)
// whose chains need it ("unblocks": each is unblocked once every load it needs is on hand), in
// chain order of first need: [{"model", "load", "version", "files": [...], "unblocks": [...],
// "why"}].
std::string FirmwareNeededJson(const std::vector<DeviceNeed>& needs);
// The same for people: a block per model, each load with the files to fetch and its devices.
std::string FirmwareNeededText(const std::vector<DeviceNeed>& needs);

}  // namespace stepup
