// The upgrade planner: the shortest valid chain of catalog loads from what a phone runs to a
// target, using only available images, under every constraint the catalog records (signing
// keys, minimum starting release, hardware floors, protocol). Explains each hop and, when no
// chain exists, which missing loads would make one possible. Pure and deterministic; a Catalog
// may be shared by any number of concurrent planners.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/catalog.h"
#include "core/result.h"

namespace stepup {

struct PlanRequest {
  std::string model;                    // canonical name or alias
  std::string from;                     // load name or version
  std::string to = "latest";            // load name, version or "latest"
  std::optional<Protocol> protocol;     // protocol of a bare --from version
  std::optional<Protocol> to_protocol;  // target protocol (default: the from protocol)
  // Loads whose images are on hand; nullopt means every catalog load counts as available.
  std::optional<std::unordered_set<const Load*>> available;
  // Lower-case file names on hand (--firmware), for naming exactly what to fetch; optional.
  std::optional<std::unordered_set<std::string>> on_hand;
  // Files in the repository refused because their size or sha256 differs from the catalog's
  // (store/firmware_dir.h); they are not in on_hand, and the plan names them.
  std::vector<std::pair<std::string, std::string>> rejected_files;  // (file, why)
  std::string hardware;  // hardware revision ("V15"), "" if unknown
  int64_t now = 0;       // seconds since the epoch, for trust-store expiry; 0: skip
  // Policy. By default a plan takes no hop resting on an inferred or uncertain fact (the
  // target's own name excepted when the caller named it: a target chosen by name is shown
  // with its status) and never goes to an older release; `latest` is the newest release the
  // catalog holds as confirmed. allow_uncertain / allow_downgrade lift the first two; each
  // hop they let through says so. The server passes its own policy (app/device_profile.h).
  bool allow_uncertain = false;
  bool allow_downgrade = false;
  // A --to-protocol the model's own firmware line lacks (enterprise -> mpp) is planned as a
  // migration hop when the catalog has a [[migration]] for the model.
  bool allow_migration = true;
  // Capabilities the release the chain ends on must have (core/capability.h: "mra"). A target
  // the catalog's trust-store facts show failing one on `now` is not an end: the plan ends on
  // the lowest release at or above it that meets them, and says so in a warning; with none,
  // it is no-path. Needs `now`; not planned across a migration.
  std::vector<std::string> require;
};

struct PlanHop {
  const Load* load = nullptr;
  std::string why;
  bool uncertain = false;
  std::vector<std::string> uncertain_facts;  // which inferred/uncertain facts it rests on
  // The weakest status among the load's name and the facts the hop rests on.
  FactStatus status = FactStatus::kConfirmed;
  bool downgrade = false;               // to an older release (only with allow_downgrade)
  std::vector<std::string> allowed_by;  // "--allow-uncertain", "--allow-downgrade"
  bool migration = false;  // moves the phone to another firmware line (another model name)
};

struct MissingLoad {
  const Load* load = nullptr;
  std::string why;
  std::vector<const Load*> alternatives;  // other missing loads that would serve as well
  std::vector<std::string> fetch;         // exactly the files (or bundle) to fetch
  Access access = Access::kUnknown;       // free to download, or needs a contract
};

enum class PlanStatus { kOk, kCurrent, kNoPath };
std::string_view PlanStatusName(PlanStatus s);

struct Plan {
  const Model* model = nullptr;
  std::string from, to;            // as given
  std::string from_load, to_load;  // resolved load names
  std::string from_version, to_version;
  bool from_catalogued = false;  // false: --from placed by order among listed releases
  Protocol from_protocol = Protocol::kNone, to_protocol = Protocol::kNone;
  PlanStatus status = PlanStatus::kNoPath;
  std::vector<PlanHop> hops;
  std::vector<MissingLoad> missing;
  std::string reason;                 // why there is no path, in prose
  std::vector<std::string> warnings;  // e.g. expired trust-store roots, unknown hardware
  std::vector<std::pair<std::string, std::string>> rejected_files;  // (file, why) from the request
  FactStatus to_status = FactStatus::kConfirmed;  // status of the target load's name
  const Model* to_model = nullptr;                // differs from model after a migration
  std::vector<std::string> settings;              // KEY=VALUE the device needs (migration licence)
  bool allow_uncertain = false, allow_downgrade = false;  // the policy it was made under
  std::vector<std::string> require;                       // capabilities the end must have
};

// What `latest` means: the newest load of a family in a protocol (kNone: any) that the
// catalog holds as confirmed, at or above a hardware floor when one is given; nullptr if none.
const Load* LatestConfirmed(const Catalog& catalog, const std::string& family, Protocol protocol,
                            const HardwareMinimum* floor = nullptr);

// Plans a chain. Errors: kUnknown for an unknown model (or one without firmware), kBadInput
// for an unparsable or inapplicable --from/--to/--protocol/--hardware. "No path" is not an
// error: it is a Plan with status kNoPath.
Result<Plan> MakePlan(const Catalog& catalog, const PlanRequest& request);

}  // namespace stepup
