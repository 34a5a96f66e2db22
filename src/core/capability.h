// Capabilities a plan can require of the release it ends on (`stepup plan --require`, the
// device setting `require`). The catalog's trust-store facts decide them: a release fails a
// capability on a day when its `roots` fact names a [[root]] that has expired by that day and
// whose `breaks` lists the capability (catalog/README.md). Pure; no clock: the day is given.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/catalog.h"
#include "core/result.h"

namespace stepup {

// The capabilities the planner understands, in order: "mra" (Mobile and Remote Access
// through Expressway).
const std::vector<std::string>& KnownCapabilities();
bool IsKnownCapability(std::string_view name);
std::string KnownCapabilityList();  // "mra", for messages

// Splits comma-separated items ("mra", "mra,mra"), trims and lower-cases them and drops
// repeats, keeping their order. BadInput names `what` (the flag or setting) and the unknown
// item.
Result<std::vector<std::string>> ParseCapabilities(const std::vector<std::string>& items,
                                                   const std::string& what);

// Whether one release has the capabilities on a day, and on what the verdict rests.
struct CapabilityCheck {
  bool meets = false;
  // The weakest status among the facts the verdict rests on. A release that fails on an
  // inferred or uncertain fact still fails (the safe side); one that meets only on such a
  // fact meets only as far as that fact goes.
  FactStatus status = FactStatus::kConfirmed;
  std::string why;         // prose naming the roots, dates and sources
  std::string shaky_fact;  // when meets on an inferred/uncertain fact: that fact, for the plan
};

// The verdict for a release with these facts (`release` names it in the prose) on `now`
// (seconds since the epoch) for every capability in `capabilities`. A release without a
// `roots` fact does not meet any (the catalog cannot tell).
CapabilityCheck CheckCapabilities(const Catalog& cat, const ReleaseFacts& facts,
                                  const std::string& release,
                                  const std::vector<std::string>& capabilities, int64_t now);

// Whether the catalog can judge `capability` for a family's releases: a [[root]] lists it in
// `breaks` and the family's releases carry `roots` facts. Families that can, for messages.
bool CapabilityJudged(const Catalog& cat, std::string_view family, std::string_view capability);
std::vector<std::string> FamiliesJudged(const Catalog& cat, std::string_view capability);

}  // namespace stepup
