// Enterprise -> MPP migration as a planned hop (planner.h is the public interface). Internal
// to core/.
#pragma once

#include "core/chain_search.h"
#include "core/planner.h"

namespace stepup::chain {

// The plan for `model` running `from` to the MPP release `req.to` names (or the newest
// confirmed one) under `mig` (spa-ata-mpp.md section 3.5 row 11): the phone first reaches the
// one-step release of its own line when it is below it, then installs the MPP target
// directly, with the licence settings the migration needs.
Result<Plan> MigrationPlan(const Catalog& cat, const Model& model, const Migration& mig,
                           const Node& from, const PlanRequest& req);

}  // namespace stepup::chain
