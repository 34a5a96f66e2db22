#include "core/planner_migration.h"

namespace stepup::chain {
namespace {

Result<Plan> MakePlanNoMigration(const Catalog& cat, PlanRequest req) {
  req.allow_migration = false;
  return MakePlan(cat, req);
}

}  // namespace

Result<Plan> MigrationPlan(const Catalog& cat, const Model& model, const Migration& mig,
                           const Node& from, const PlanRequest& req) {
  const Model* to_model = cat.FindModel(MigrationCounterpart(model.name, mig));
  const Family* to_fam = to_model ? cat.FindFamily(to_model->family) : nullptr;
  if (!to_fam) {
    return Unknown("model " + model.name + " has no " + std::string(ProtocolName(mig.to_protocol)) +
                   " counterpart in the catalog");
  }
  const HardwareMinimum* to_floor =
      req.hardware.empty() ? nullptr : cat.HardwareFloor(to_model->name, req.hardware);
  const Load* target = nullptr;
  if (req.to == "latest") {
    target = LatestConfirmed(cat, to_fam->id, mig.to_protocol, to_floor);
  } else if (!(target = cat.FindLoad(to_fam->id, req.to))) {
    auto v = ParseVersion(req.to);
    if (!v) return BadInput("--to: " + v.error().message);
    for (const Load* l : cat.LoadsOf(to_fam->id)) {
      if (l->protocol == mig.to_protocol && LoadMatches(*l, *v)) target = l;
    }
  }
  if (!target) {
    return BadInput("--to " + req.to + " is not a catalogued " +
                    std::string(ProtocolName(mig.to_protocol)) + " release of " + to_model->name);
  }
  Plan plan;
  plan.model = &model;
  plan.to_model = to_model;
  plan.from = req.from;
  plan.to = req.to;
  plan.from_load = from.name;
  plan.from_version = from.label;
  plan.from_catalogued = from.load != nullptr;
  plan.from_protocol = from.protocol;
  plan.to_load = target->load;
  plan.to_version = target->version_label;
  plan.to_protocol = target->protocol;
  plan.to_status = target->status;
  plan.allow_uncertain = req.allow_uncertain;
  plan.allow_downgrade = req.allow_downgrade;
  plan.settings = mig.settings;
  plan.status = PlanStatus::kNoPath;
  if (mig.min_to && Compare(target->version, *mig.min_to) < 0) {
    plan.reason = "migrating to " + target->load + " (" + target->version_label +
                  ") needs a transition load (the E2M COP), whose file names no source "
                  "gives; the one-step migration installs " +
                  mig.min_to_label + " or later (" + mig.source + ")";
    return plan;
  }
  if (to_floor && Compare(target->version, to_floor->min_version) < 0) {
    plan.reason = "hardware " + to_floor->revision + " of " + to_model->name +
                  " cannot run releases below " + to_floor->min_label;
    return plan;
  }
  std::string before = from.name;
  if (Compare(from.version, mig.one_step_from) < 0) {
    // First reach the newest confirmed release of the phone's own line (at least one_step).
    const HardwareMinimum* floor =
        req.hardware.empty() ? nullptr : cat.HardwareFloor(model.name, req.hardware);
    const Load* bridge = LatestConfirmed(cat, model.family, from.protocol, floor);
    if (!bridge || Compare(bridge->version, mig.one_step_from) < 0) {
      plan.reason = "the migration needs " + model.name + " on " + mig.one_step_label +
                    " or later first, and no confirmed release at or above it is catalogued";
      return plan;
    }
    PlanRequest first = req;
    first.to = bridge->load;
    first.to_protocol = from.protocol;
    auto p = MakePlanNoMigration(cat, first);
    if (!p) return p.error();
    plan.warnings = p->warnings;
    if (p->status == PlanStatus::kNoPath) {
      plan.reason = "before migrating, " + model.name + " must run " + mig.one_step_label +
                    " or later (" + mig.source + "): " + p->reason;
      plan.missing = p->missing;
      return plan;
    }
    plan.hops = p->hops;
    if (!plan.hops.empty()) {
      std::string& why = plan.hops.back().why;
      const std::string tail = "; this is the target";
      if (why.size() >= tail.size() &&
          why.compare(why.size() - tail.size(), tail.size(), tail) == 0) {
        why.resize(why.size() - tail.size());
      }
      why += "; the release the migration starts from (" + mig.one_step_label + " or later)";
    }
    before = bridge->load;
  }
  if (req.available && !req.available->count(target)) {
    MissingLoad m;
    m.load = target;
    m.why = "the migration target " + target->load + " (" + target->version_label +
            ") is not in the firmware repository";
    m.fetch = FilesToFetch(*target, req.on_hand ? &*req.on_hand : nullptr);
    m.access = LoadAccess(*target);
    plan.missing.push_back(std::move(m));
    plan.hops.clear();
    plan.reason = "no chain with the images on hand; adding " + target->load + " would make one";
    return plan;
  }
  PlanHop hop;
  hop.load = target;
  hop.migration = true;
  hop.status = Weaker(mig.status, target->status);
  hop.uncertain = IsShaky(hop.status);
  if (IsShaky(target->status)) {
    hop.uncertain_facts.push_back(
        target->load + " exists under this name: " + std::string(FactStatusName(target->status)) +
        " (" + target->source + ")");
  }
  hop.why = "migrates " + before + " (" + std::string(ProtocolName(from.protocol)) + ") to " +
            to_model->name + " firmware " + target->load + ": " + mig.why + "; the device needs " +
            Join(mig.settings) +
            (mig.factory_reset ? "; the phone factory-resets (its settings are lost)" : "") +
            "; this is the target";
  plan.hops.push_back(std::move(hop));
  if (mig.factory_reset) {
    plan.warnings.push_back("the migration to " + to_model->name +
                            " firmware factory-resets the phone (" + mig.source + ")");
  }
  plan.status = PlanStatus::kOk;
  return plan;
}

}  // namespace stepup::chain
