// Rollout groups as operators change and read them, shared by `stepup rollout` and the admin
// API (/api/v1/groups): the checks on a change, and a group's report (members by state,
// which phones are held back, and whether its target is behind the newest release the catalog
// knows: the "newsletter" seed 002 misses).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/catalog.h"
#include "core/device.h"
#include "core/result.h"
#include "core/rollout.h"

namespace stepup {

// What an operator changes of a group; an absent field is left as it is.
struct GroupChanges {
  std::optional<std::string> target;  // "" or "latest" as well as a load or version
  std::optional<std::string> window;  // "" removes the window
  std::optional<bool> paused;
  Settings set;                    // settings added or replaced (already checked: CheckSetting)
  std::vector<std::string> unset;  // settings removed
  bool resync = false;  // "resync now": resync_at moves to now_ms
};

// The group with the changes applied, checked: kBadInput naming the field ("target": neither
// "latest" nor a version nor a load the catalog knows; "window": not HH:MM-HH:MM).
Result<RolloutGroup> ApplyGroupChanges(const Catalog& catalog, RolloutGroup g,
                                       const GroupChanges& c, int64_t now_ms);

// One model's members whose target is older than the newest confirmed release of their
// family and protocol.
struct Behind {
  std::string model, target, newest, newest_load;
  int devices = 0;
};

// The device's rollout view (core/rollout.h) with the group's target checked against the
// device's model in the catalog.
RolloutView RolloutOf(const Catalog& catalog, const Device& d, const RolloutGroup* group,
                      int64_t now_ms);

// The group's members (devices whose `group` setting names it) and what they are behind.
struct GroupReport {
  std::map<std::string, int> by_state;
  int members = 0;
  std::vector<Behind> behind;
};
GroupReport ReportGroup(const Catalog& catalog, const RolloutGroup& g,
                        const std::vector<Device>& devices, int64_t now_ms);

// The group as the API and `rollout list --json` show it. `held`: members this server held
// back (-1: not known here, left out).
nlohmann::json GroupToJson(const RolloutGroup& g, const GroupReport& r, int64_t now_ms,
                           long held = -1);

// The bench's hand-off settings (issue 19): where an SPA/MPP phone's Profile_Rule points
// once it is at target, the call control an enterprise phone's configuration names then, and
// the TFTP server its DHCP option 150 must name to finish the move (reported, not served).
inline constexpr const char* kHandoffUrl = "handoff_url";
inline constexpr const char* kHandoffCallControl = "handoff_call_control";
inline constexpr const char* kHandoffTftp = "handoff_tftp";

// A setting as the device's group and the operator's defaults make it: the device's own, else
// its group's, else the default ("" : none).
std::string EffectiveSetting(const Device& d, const RolloutGroup* group, const Settings& defaults,
                             const std::string& key);

// Groups devices name that do not exist (their devices follow their own targets).
std::vector<std::string> UnknownGroups(const std::vector<RolloutGroup>& groups,
                                       const std::vector<Device>& devices);

}  // namespace stepup
