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
  std::string hardware;  // hardware revision ("V15"), "" if unknown
  int64_t now = 0;       // seconds since the epoch, for trust-store expiry; 0: skip
};

struct PlanHop {
  const Load* load = nullptr;
  std::string why;
  bool uncertain = false;
  std::vector<std::string> uncertain_facts;  // which inferred/uncertain facts it rests on
};

struct MissingLoad {
  const Load* load = nullptr;
  std::string why;
  std::vector<const Load*> alternatives;  // other missing loads that would serve as well
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
  std::vector<std::string> warnings;  // e.g. expired trust-store roots
};

// Plans a chain. Errors: kUnknown for an unknown model (or one without firmware), kBadInput
// for an unparsable or inapplicable --from/--to/--protocol/--hardware. "No path" is not an
// error: it is a Plan with status kNoPath.
Result<Plan> MakePlan(const Catalog& catalog, const PlanRequest& request);

}  // namespace stepup
