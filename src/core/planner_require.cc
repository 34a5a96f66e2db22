#include "core/planner_require.h"

#include <algorithm>

#include "core/capability.h"
#include "core/chain_search.h"

namespace stepup::chain {

Result<RequiredEnd> RequireEnd(const Catalog& cat, const Model& model, const PlanRequest& req,
                               const Load* to, const HardwareMinimum* floor) {
  for (const auto& c : req.require) {
    if (!IsKnownCapability(c)) {
      return BadInput("--require: unknown capability \"" + c +
                      "\" (known: " + KnownCapabilityList() + ")");
    }
    if (!CapabilityJudged(cat, model.family, c)) {
      auto judged = FamiliesJudged(cat, c);
      return BadInput("--require " + c + " does not apply to " + model.name +
                      ": the catalog records no " +
                      (IsReleaseFeature(c) ? "[[feature]] record of " + c
                                           : "trust-store facts bearing on " + c) +
                      " for its releases (family " + model.family + ")" +
                      (judged.empty() ? std::string("; none for any family")
                                      : "; it covers the families " + Join(judged)));
    }
  }
  const bool trust = std::any_of(req.require.begin(), req.require.end(),
                                 [](const std::string& c) { return !IsReleaseFeature(c); });
  if (trust && req.now <= 0) {
    return BadInput("--require " + Join(req.require, ",") +
                    " needs the plan's date: trust-store roots expire");
  }
  const std::string what = "--require " + Join(req.require, ",");
  auto label = [](const Load& l) { return l.load + " (" + l.version_label + ")"; };
  auto check = [&](const Load& l) {
    return CheckCapabilities(cat, l.family, l.version, l.facts, label(l), req.require, req.now);
  };
  auto shaky_name = [&](const Load& l) { return IsShaky(l.status) && !req.allow_uncertain; };

  RequiredEnd out;
  auto take = [&](const Load* l, const CapabilityCheck& c) {
    out.target = l;
    out.status = c.status;
    out.why = "meets " + what + ": " + c.why;
    if (!c.shaky_fact.empty()) {
      out.shaky.push_back(c.shaky_fact);
      out.warnings.push_back(what + ": " + label(*l) + " meets it only on an " +
                             std::string(FactStatusName(c.status)) + " fact: " + c.shaky_fact);
    }
  };
  const CapabilityCheck at_target = check(*to);
  if (at_target.meets && (at_target.shaky_fact.empty() || req.allow_uncertain)) {
    take(to, at_target);
    return out;
  }
  const std::string fails =
      at_target.meets
          ? label(*to) + " meets it only on an " + std::string(FactStatusName(at_target.status)) +
                " fact (" + at_target.shaky_fact + "), refused unless --allow-uncertain"
          : "the target " + label(*to) + " does not meet it: " + at_target.why;

  // The lowest release at or above the target that meets it; failing that, the lowest one the
  // policy holds back, to name in the refusal.
  const Load* best = nullptr;
  const Load* held = nullptr;
  CapabilityCheck best_check;
  std::string held_fact;
  for (const Load* l : cat.LoadsOf(model.family)) {
    if (l == to || l->protocol != to->protocol || NewerThan(to, l)) continue;
    if (floor && Compare(l->version, floor->min_version) < 0) continue;
    CapabilityCheck c = check(*l);
    if (!c.meets) continue;
    if (shaky_name(*l) || (!c.shaky_fact.empty() && !req.allow_uncertain)) {
      if (!held || NewerThan(held, l)) {
        held = l;
        held_fact = shaky_name(*l)
                        ? l->load +
                              " exists under this name: " + std::string(FactStatusName(l->status)) +
                              " (" + l->source + ")"
                        : c.shaky_fact;
      }
      continue;
    }
    if (!best || NewerThan(best, l)) {
      best = l;
      best_check = c;
    }
  }
  if (best) {
    out.warnings.push_back(what + ": " + fails + "; the plan ends on " + label(*best) +
                           ", the lowest " + std::string(ProtocolName(best->protocol)) +
                           " release at or above it that meets it");
    take(best, best_check);
    return out;
  }
  out.target = to;
  out.refusal = what + ": " + fails + "; no other catalogued " +
                std::string(ProtocolName(to->protocol)) + " release of " + model.name +
                " at or above it meets it" + (req.allow_uncertain ? "" : " on sure facts");
  if (held) {
    out.refusal += " except " + label(*held) + ", which rests on " + held_fact +
                   ": refused unless --allow-uncertain";
  }
  return out;
}

}  // namespace stepup::chain
