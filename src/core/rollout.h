// Rollout groups (issue 18, item 4): devices that move together, with their own target, a
// maintenance window (upgrades are offered only inside it; configurations are always served),
// and a pause. A device joins a group by its `group` setting (`device set MAC group=NAME`, a
// `group` column in `device import`). The inventory stores the groups (app/inventory.h); the
// provisioner asks RolloutFor on every request whether it may offer a hop now.
//
// Pure: no clock (callers pass the time), no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/device.h"
#include "core/result.h"

namespace stepup {

// The device setting naming the device's rollout group.
inline constexpr const char* kGroupSetting = "group";

struct RolloutGroup {
  std::string name;    // [A-Za-z0-9._-], 1 to 64 characters
  std::string target;  // load, version or "latest"; "" : each device's own target
  std::string window;  // "HH:MM-HH:MM" in UTC (may wrap past midnight); "" : always open
  bool paused = false;
  // Milliseconds since the epoch of the operator's latest "resync now" (0: never): the
  // server sends its members a resync trigger when this moves.
  int64_t resync_at = 0;
  int64_t created = 0, updated = 0;  // seconds since the epoch
  // Settings its members get unless they have their own (over the data directory's
  // defaults.toml): a hand-off target (handoff_url, handoff_call_control, handoff_tftp), a
  // hardened setting relaxed for one site...
  Settings settings;
};

// A group name an operator may use; the error names it.
Status CheckGroupName(std::string_view name);

// A maintenance window: minutes of the UTC day it opens and closes at. open == close is
// refused (a window of no time or of all day says nothing a missing window does not).
struct RolloutWindow {
  int open = 0, close = 0;  // 0..1439
  // Whether the time (milliseconds since the epoch) falls inside it.
  bool Contains(int64_t now_ms) const;
};
// Parses "HH:MM-HH:MM" (24-hour, UTC); kBadInput naming the text.
Result<RolloutWindow> ParseWindow(std::string_view text);

// What a device's group says of it now.
struct RolloutView {
  const RolloutGroup* group = nullptr;  // nullptr: in no (known) group
  std::string target;                   // the target the walk plans for
  std::string held;                     // why no hop is offered now ("" : offers are allowed)
};
// The device's target is its own unless it is "latest" and its group names one that fits its
// model (`group_target_fits`: a release of its family, which the caller checks against the
// catalog; a mixed group's version target does not fit its other models); a paused group, or
// a closed window, holds its hops back.
RolloutView RolloutFor(const Device& d, const RolloutGroup* group, int64_t now_ms,
                       bool group_target_fits = true);

// The group the device names ("" : none).
std::string GroupOf(const Device& d);

}  // namespace stepup
