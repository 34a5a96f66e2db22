// Renders versions, catalog loads and plans as the JSON and human text contract.md defines.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/catalog.h"
#include "core/planner.h"
#include "core/version.h"

namespace stepup {

nlohmann::json VersionToJson(const Version& v);
// One entry of `stepup catalog list`, for one model of the load's family.
nlohmann::json LoadToJson(const Load& load, const Model& model);
nlohmann::json PlanToJson(const Plan& plan);
std::string PlanToText(const Plan& plan);

}  // namespace stepup
