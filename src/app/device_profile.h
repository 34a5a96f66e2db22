// A device's personal configuration now: the planner's next hop from what it runs, then the
// render. Shared by `stepup render` and the server, so both give a phone the same answer.
#pragma once

#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/catalog.h"
#include "core/device.h"
#include "core/planner.h"
#include "core/render.h"

namespace stepup {

struct ProfileSetup {
  const Catalog* catalog = nullptr;
  const Renderer* renderer = nullptr;
  // Loads whose images are in the firmware repository; nullopt: every catalog load.
  const std::unordered_set<const Load*>* available = nullptr;
  std::string base_url;
  // Transport escalation for this device (RenderInput's fields of the same names).
  std::string profile_base_url, profile_rule_b, custom_ca_rule;
  bool transport_managed = false;
  bool come_back_soon = false;  // RenderInput's: a pending hop held back this time
  std::string handoff_url;      // RenderInput's: the bench hands the phone off to this URL
  Settings defaults;
  int64_t now = 0;  // seconds since the epoch (trust-store checks)
  // The server's planning policy (PlanRequest). It takes hops resting on inferred or
  // uncertain facts, as `stepup plan --allow-uncertain` shows them: the operator enrolled the
  // device with its target after planning it, and a phone that refuses an image is noticed
  // as stuck and the image excluded. It never plans a downgrade; `latest` is the newest
  // confirmed release, as for `stepup plan`.
  bool allow_uncertain = true;
  bool allow_downgrade = false;
  // It does not migrate enterprise phones to MPP: the licence settings and the factory reset
  // a migration needs are not rendered yet (`stepup plan --to-protocol mpp` plans one).
  bool allow_migration = false;
};

struct DeviceProfile {
  Rendered rendered;
  std::optional<Plan> plan;    // nullopt when no plan could be made (see note)
  const Load* next = nullptr;  // the hop offered, nullptr when none
  std::string note;            // why no hop is offered, in prose ("" when one is)
};

// Plans from `running` (or the device's recorded firmware) to its target, leaving out images
// it got stuck on, and renders. A held device, one at target, or one without a path still gets
// its configuration, with no upgrade offered.
// `plan`, when given, is the plan already made for this device and `running` (the server
// makes it once per request).
Result<DeviceProfile> RenderForDevice(const ProfileSetup& setup, const Device& device,
                                      const std::string& running, int attempt,
                                      const Plan* plan = nullptr);

// The device setting naming capabilities the end of its plan must have ("require=mra",
// comma-separated: PlanRequest::require, core/capability.h).
inline constexpr const char* kRequireSetting = "require";

// The capabilities the device's `require` setting names (empty without one). kBadInput names
// the setting: an unknown capability, or one the catalog cannot judge for the model's
// releases (no trust-store facts for it).
Result<std::vector<std::string>> RequiredCapabilities(const Catalog& catalog, const Device& device);

// The plan for a device from what it runs (empty running: its recorded firmware), requiring
// what its `require` setting names.
Result<Plan> PlanForDevice(const ProfileSetup& setup, const Device& device,
                           const std::string& running);

}  // namespace stepup
