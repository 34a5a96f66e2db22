// --require: the release a chain must end on so that it has the required capabilities
// (capability.h). planner.h is the public interface; internal to core/.
#pragma once

#include <string>
#include <vector>

#include "core/planner.h"

namespace stepup::chain {

struct RequiredEnd {
  // Where the chain ends: the resolved target when it meets the requirement, else the lowest
  // release of the target's protocol at or above it (and above a hardware floor) that does.
  const Load* target = nullptr;
  std::vector<std::string> warnings;  // the target was moved; the end meets only on a weak fact
  std::string why;                    // how the end meets it, for the last hop's `why`
  std::vector<std::string> shaky;     // inferred/uncertain facts the end's meeting rests on
  FactStatus status = FactStatus::kConfirmed;
  std::string refusal;  // non-empty: no catalogued release meets it; the plan is no-path
};

// Checks req.require (known capabilities, judged by the catalog for the model's family, a
// date given) and picks the end. A release that fails only on an uncertain fact fails; one
// that meets only on an inferred or uncertain fact is taken only under allow_uncertain, as is
// a release whose name is not sure. Errors: kBadInput naming the capability.
Result<RequiredEnd> RequireEnd(const Catalog& cat, const Model& model, const PlanRequest& req,
                               const Load* to, const HardwareMinimum* floor);

}  // namespace stepup::chain
