#include "core/planner.h"

#include <algorithm>

#include "core/capability.h"
#include "core/chain_search.h"
#include "core/planner_migration.h"
#include "core/planner_require.h"
#include "core/text.h"

namespace stepup {
namespace {

using chain::HopRules;
using chain::NewerThan;
using chain::Node;
using chain::NodeOf;

// Resolves --from into a Node: a catalog load, or a release placed among the listed ones.
Result<Node> ResolveFrom(const Catalog& cat, const Model& model, const Family& fam,
                         const PlanRequest& req) {
  if (const Load* l = cat.FindLoad(fam.id, req.from)) {
    if (req.protocol && *req.protocol != l->protocol) {
      return BadInput("--from " + req.from + " is a " + std::string(ProtocolName(l->protocol)) +
                      " load, but --protocol says " + std::string(ProtocolName(*req.protocol)));
    }
    return NodeOf(*l);
  }
  auto v = ParseVersion(req.from);
  if (!v) return BadInput("--from: " + v.error().message);
  Protocol proto = req.protocol.value_or(fam.default_protocol);
  if (v->is_load()) {
    if (v->model_code != fam.load_code) {
      return BadInput("--from " + req.from + " is a load for model code '" + v->model_code +
                      "', not for " + model.name + " (code '" + fam.load_code + "')");
    }
    if (req.protocol && *req.protocol != v->protocol) {
      return BadInput("--from " + req.from + " is a " + std::string(ProtocolName(v->protocol)) +
                      " load, but --protocol says " + std::string(ProtocolName(*req.protocol)));
    }
    proto = v->protocol;
  }
  if (std::find(fam.protocols.begin(), fam.protocols.end(), proto) == fam.protocols.end()) {
    return BadInput("--protocol " + std::string(ProtocolName(proto)) + " is not a protocol of " +
                    model.name);
  }
  for (const Load* l : cat.LoadsOf(fam.id)) {
    if (l->protocol != proto) continue;
    if (LoadMatches(*l, *v)) return NodeOf(*l);
  }
  Node n;
  n.name = req.from;
  n.version = *v;
  n.label = ReleaseLabel(*v);
  n.protocol = proto;
  n.facts = cat.RuleFacts(fam.id, proto, *v);
  return n;
}

// `latest`: the newest release the catalog holds as confirmed for the model, protocol and
// (when known) hardware revision; newer ones of weaker status are reachable by name only.
Result<const Load*> ResolveTo(const Catalog& cat, const Model& model, const Family& fam,
                              const PlanRequest& req, Protocol to_proto,
                              const HardwareMinimum* floor) {
  const auto& loads = cat.LoadsOf(fam.id);
  if (req.to == "latest") {
    const Load* best = LatestConfirmed(cat, fam.id, to_proto, floor);
    const Load* newest_any = nullptr;
    for (const Load* l : loads) {
      if (l->protocol != to_proto) continue;
      if (floor && Compare(l->version, floor->min_version) < 0) continue;
      if (!newest_any || NewerThan(l, newest_any)) newest_any = l;
    }
    if (!best) {
      std::string msg = "--to latest: no " + std::string(ProtocolName(to_proto)) + " release of " +
                        model.name + " is catalogued as confirmed";
      if (newest_any) {
        msg += "; name one to take it knowing its status (newest: " + newest_any->load + ", " +
               std::string(FactStatusName(newest_any->status)) + ")";
      }
      return BadInput(msg);
    }
    return best;
  }
  if (const Load* l = cat.FindLoad(fam.id, req.to)) return l;
  auto v = ParseVersion(req.to);
  if (!v) return BadInput("--to: " + v.error().message);
  for (const Load* l : loads) {
    if (LoadMatches(*l, *v) && (v->is_load() || l->protocol == to_proto)) {
      return l;
    }
  }
  return BadInput(
      "--to " + req.to + " is not a catalogued " +
      (v->is_load() ? std::string("load") : std::string(ProtocolName(to_proto)) + " release") +
      " of " + model.name);
}

void TrustWarnings(const Catalog& cat, const Node& n, int64_t now, const std::string& role,
                   std::vector<std::string>& out) {
  if (now <= 0) return;
  for (const auto& id : n.facts.roots.value) {
    const TrustRoot* r = cat.FindRoot(id);
    if (!r || r->not_after_epoch > now) continue;
    std::string w = role + " " + n.name + " (" + n.label + ") ships " + r->subject + ", expired " +
                    r->not_after.substr(0, 10) + " (as of " + IsoDate(now) +
                    "); services that need it (MRA, HTTPS to a server certified under it) fail";
    if (IsShaky(n.facts.roots.status)) {
      w += " [" + std::string(FactStatusName(n.facts.roots.status)) + ": " + n.facts.roots.source +
           "]";
    }
    out.push_back(w);
  }
}

// With no hardware revision given, warns when a revision's floor could refuse a release of
// this plan (the start, a hop or the target).
void HardwareWarnings(const Catalog& cat, const Model& model, const std::string& hardware,
                      const Node& from, Plan& plan) {
  if (!hardware.empty()) return;
  const Load* target = cat.FindLoad(model.family, plan.to_load);
  for (const auto& h : cat.hardware) {
    if (std::find(h.models.begin(), h.models.end(), model.name) == h.models.end()) continue;
    bool matters = Compare(from.version, h.min_version) < 0 ||
                   (target && Compare(target->version, h.min_version) < 0);
    for (const auto& hop : plan.hops) {
      if (Compare(hop.load->version, h.min_version) < 0) matters = true;
    }
    if (!matters) continue;
    plan.warnings.push_back("hardware revision unknown: a " + model.name + " of revision " +
                            h.revision + " or later cannot run releases below " + h.min_label +
                            " (" + h.source + ", " + std::string(FactStatusName(h.status)) +
                            "); pass --hardware to apply it");
  }
}

std::string MissingWhy(const HopRules& s, const Node& start, const std::vector<const Load*>& chain,
                       size_t i) {
  const Load* m = chain[i];
  if (i + 1 == chain.size()) {
    return "the target " + m->load + " (" + m->version_label +
           ") is not in the firmware repository";
  }
  Node prev = i == 0 ? start : NodeOf(*chain[i - 1]);
  std::string why = m->load + " (" + m->version_label + ") is a needed bridge";
  if (auto b = s.Blocker(prev, *chain[i + 1])) why += ": " + *b;
  why += "; " + prev.name + " can install " + m->load + " and " + chain[i + 1]->load +
         " installs from it";
  return why;
}

}  // namespace

const Load* LatestConfirmed(const Catalog& cat, const std::string& family, Protocol protocol,
                            const HardwareMinimum* floor) {
  const Load* best = nullptr;
  for (const Load* l : cat.LoadsOf(family)) {
    if (protocol != Protocol::kNone && l->protocol != protocol) continue;
    if (floor && Compare(l->version, floor->min_version) < 0) continue;
    if (l->status == FactStatus::kConfirmed && (!best || NewerThan(l, best))) best = l;
  }
  return best;
}

std::string_view PlanStatusName(PlanStatus s) {
  switch (s) {
    case PlanStatus::kOk:
      return "ok";
    case PlanStatus::kCurrent:
      return "current";
    case PlanStatus::kNoPath:
      return "no-path";
  }
  return "no-path";
}

Result<Plan> MakePlan(const Catalog& cat, const PlanRequest& req) {
  const Model* model = cat.FindModel(req.model);
  if (!model) return Unknown("unknown model \"" + req.model + "\"");
  const Family* fam = cat.FindFamily(model->family);
  if (!fam) return Unknown("model " + model->name + " has no firmware in the catalog");
  const HardwareMinimum* floor = nullptr;
  if (!req.hardware.empty()) {
    if (!ParseHardwareRevision(req.hardware)) {
      return BadInput("--hardware \"" + req.hardware + "\" is not a revision like V15");
    }
    floor = cat.HardwareFloor(model->name, req.hardware);
  }
  auto from = ResolveFrom(cat, *model, *fam, req);
  if (!from) return from.error();
  Protocol to_proto = req.to_protocol.value_or(from->protocol);
  if (std::find(fam->protocols.begin(), fam->protocols.end(), to_proto) == fam->protocols.end()) {
    if (req.allow_migration) {
      for (const auto& mig : cat.migrations) {
        if (mig.to_protocol == to_proto && mig.from_protocol == from->protocol &&
            std::find(mig.models.begin(), mig.models.end(), model->name) != mig.models.end()) {
          if (!req.require.empty()) {
            return BadInput(
                "--require " + Join(req.require, ",") + " is not planned across a migration to " +
                std::string(ProtocolName(to_proto)) +
                ": the catalog's trust-store facts do not cover the release it ends on");
          }
          return chain::MigrationPlan(cat, *model, mig, *from, req);
        }
      }
    }
    return BadInput("--to-protocol " + std::string(ProtocolName(to_proto)) +
                    " is not a protocol of " + model->name);
  }
  auto target = ResolveTo(cat, *model, *fam, req, to_proto, floor);
  if (!target) return target.error();
  const Load* to = *target;
  if (floor && Compare(from->version, floor->min_version) < 0) {
    return BadInput("--from " + req.from + ": hardware " + floor->revision + " of " + model->name +
                    " cannot run releases below " + floor->min_label);
  }
  chain::RequiredEnd required;
  if (!req.require.empty()) {
    auto end = chain::RequireEnd(cat, *model, req, to, floor);
    if (!end) return end.error();
    required = std::move(end).value();
    to = required.target;
  }
  const bool moved = to != *target;  // --require moved the end past the target

  Plan plan;
  plan.model = model;
  plan.from = req.from;
  plan.to = req.to;
  plan.from_load = from->name;
  plan.from_version = from->label;
  plan.from_catalogued = from->load != nullptr;
  plan.from_protocol = from->protocol;
  plan.to_load = to->load;
  plan.to_version = to->version_label;
  plan.to_protocol = to->protocol;
  plan.to_status = to->status;
  plan.allow_uncertain = req.allow_uncertain;
  plan.allow_downgrade = req.allow_downgrade;
  plan.require = req.require;
  TrustWarnings(cat, *from, req.now, "the running release", plan.warnings);
  plan.warnings.insert(plan.warnings.end(), required.warnings.begin(), required.warnings.end());
  if (!required.refusal.empty()) {
    plan.status = PlanStatus::kNoPath;
    plan.reason = required.refusal;
    return plan;
  }
  if (IsShaky(to->status)) {
    plan.warnings.push_back("the target " + to->load + " exists under this name only as " +
                            std::string(FactStatusName(to->status)) + " (" + to->source + ")");
  }
  if (from->load == to) {
    plan.status = PlanStatus::kCurrent;
    return plan;
  }
  // `latest` is a floor, not a downgrade target: a phone already past the newest confirmed
  // release (on one only third-party sources give) is left where it is, and told so.
  if (req.to == "latest" && !moved && from->protocol == to->protocol &&
      Compare(from->version, to->version) > 0) {
    if (!req.require.empty()) {  // it stays where it is: that release must meet them
      auto c = CheckCapabilities(cat, model->family, from->version, from->facts,
                                 from->name + " (" + from->label + ")", req.require, req.now);
      if (!c.meets || (!c.shaky_fact.empty() && !req.allow_uncertain)) {
        plan.status = PlanStatus::kNoPath;
        plan.reason = "--require " + Join(req.require, ",") + ": " + from->name +
                      " is newer than the newest confirmed release and " +
                      (c.meets ? "meets it only on " + c.shaky_fact : "does not meet it: " + c.why);
        return plan;
      }
    }
    plan.status = PlanStatus::kCurrent;
    plan.warnings.push_back(from->name + " (" + from->label +
                            ") is newer than the newest confirmed release " + to->load + " (" +
                            to->version_label +
                            "); nothing is planned (name a newer target to "
                            "move it, knowing its status)");
    // The target is where it is: a caller keeping the phone on `to_load` must not pull it back.
    plan.to_load = from->name;
    plan.to_version = from->label;
    plan.to_status = from->load ? from->load->status : FactStatus::kUncertain;
    return plan;
  }
  if (!from->facts.accepts.set) {
    plan.reason = "the catalog records no facts (accepted signing keys) for " + from->label +
                  " of " + model->name + ", so no hop can be checked";
    return plan;
  }

  chain::HopPolicy policy{req.allow_uncertain, req.allow_downgrade,
                          req.to == "latest" || moved ? nullptr : to,
                          from->load && !from->load->chip.empty() ? from->load : nullptr,
                          req.on_hand ? &*req.on_hand : nullptr};
  HopRules s(cat, *model, floor, to->protocol, policy);
  const auto& all = cat.LoadsOf(fam->id);
  auto have = [&](const Load* l) { return !req.available || req.available->count(l) > 0; };
  std::vector<const Load*> cands;
  for (const Load* l : all) {
    if (have(l)) cands.push_back(l);
  }
  // --allow-uncertain lifts the refusal only when no chain resting on sure facts exists: a
  // longer chain every hop of which a source confirms beats a shorter one that rests on a
  // doubt (seed 000: through SCCP 8.5(3) rather than straight from 8.5(2) to SIP 9.4(2)).
  chain::HopPolicy sure_policy = policy;
  sure_policy.allow_uncertain = false;
  HopRules sure(cat, *model, floor, to->protocol, sure_policy);
  std::vector<const Load*> chain = chain::ShortestChain(sure, *from, cands, to, to->protocol);
  const HopRules* used = &sure;  // the rules the chain was found under, to explain it
  if (chain.empty() && req.allow_uncertain) {
    chain = chain::ShortestChain(s, *from, cands, to, to->protocol);
    used = &s;
  }
  plan.rejected_files = req.rejected_files;
  if (!chain.empty()) {
    plan.status = PlanStatus::kOk;
    Node prev = *from;
    for (size_t i = 0; i < chain.size(); ++i) {
      PlanHop hop;
      hop.load = chain[i];
      hop.why =
          used->HopWhy(prev, *chain[i], i + 1 < chain.size() ? chain[i + 1] : nullptr, req.now);
      hop.uncertain_facts = s.ShakyFacts(prev, *chain[i]);
      hop.uncertain = !hop.uncertain_facts.empty();
      hop.status = s.HopStatus(prev, *chain[i]);
      hop.downgrade = HopRules::IsDowngrade(prev, *chain[i]);
      if (s.ShakyHop(prev, *chain[i])) hop.allowed_by.push_back("--allow-uncertain");
      if (hop.downgrade) hop.allowed_by.push_back("--allow-downgrade");
      plan.hops.push_back(std::move(hop));
      prev = NodeOf(*chain[i]);
    }
    if (!req.require.empty()) {  // the end rests on its trust-store facts too
      PlanHop& end = plan.hops.back();
      end.why += "; " + required.why;
      if (!required.shaky.empty()) {
        end.uncertain_facts.insert(end.uncertain_facts.end(), required.shaky.begin(),
                                   required.shaky.end());
        end.uncertain = true;
        end.status = Weaker(end.status, required.status);
        if (!chain::Contains(end.allowed_by, "--allow-uncertain")) {
          end.allowed_by.push_back("--allow-uncertain");
        }
      }
    }
    TrustWarnings(cat, prev, req.now, "the target", plan.warnings);
    HardwareWarnings(cat, *model, req.hardware, *from, plan);
    return plan;
  }
  HardwareWarnings(cat, *model, req.hardware, *from, plan);

  // Refused by policy? Say which chain the policy stopped and which option would allow it.
  if (!req.allow_uncertain || !req.allow_downgrade) {
    chain::HopPolicy lax;
    lax.chip_start = policy.chip_start;  // never lifted
    HopRules loose(cat, *model, floor, to->protocol, lax);
    std::vector<const Load*> held = chain::ShortestChain(loose, *from, cands, to, to->protocol);
    if (!held.empty()) {
      plan.status = PlanStatus::kNoPath;
      std::vector<std::string> names, reasons;
      Node prev = *from;
      for (const Load* l : held) {
        names.push_back(l->load);
        if (auto b = s.Blocker(prev, *l)) reasons.push_back(*b);
        prev = NodeOf(*l);
      }
      plan.reason = "refused by policy: the chain " + Join(names, " -> ") +
                    " has a hop the policy refuses: " + Join(reasons, "; ");
      return plan;
    }
  }

  // No path with what is on hand: which missing loads would make one?
  plan.status = PlanStatus::kNoPath;
  std::vector<const Load*> best = chain::FewestMissingChain(s, *from, all, to, to->protocol, have);
  if (best.empty()) {
    auto direct = s.Blocker(*from, *to);
    plan.reason = "no chain of catalogued " + model->name + " releases leads from " + from->label +
                  " to " + to->version_label + (direct ? ": " + *direct : std::string());
    return plan;
  }
  for (size_t i = 0; i < best.size(); ++i) {
    if (have(best[i])) continue;
    MissingLoad m;
    m.load = best[i];
    m.why = MissingWhy(s, *from, best, i);
    Node prev = i == 0 ? *from : NodeOf(*best[i - 1]);
    for (const Load* alt : all) {
      if (alt == best[i] || have(alt) || !s.Allowed(prev, *alt)) continue;
      if (i + 1 < best.size() && !s.Allowed(NodeOf(*alt), *best[i + 1])) continue;
      if (i + 1 == best.size()) continue;  // the target has no alternative
      m.alternatives.push_back(alt);
    }
    std::sort(m.alternatives.begin(), m.alternatives.end(), NewerThan);
    m.fetch = FilesToFetch(*best[i], req.on_hand ? &*req.on_hand : nullptr);
    for (const auto& [file, bad] : req.rejected_files) {
      for (const auto& f : m.fetch) {
        if (ToLower(f) == ToLower(file)) m.why += "; " + f + " is in the repository but " + bad;
      }
    }
    m.access = LoadAccess(*best[i]);
    plan.missing.push_back(std::move(m));
  }
  std::vector<std::string> names;
  for (const auto& m : plan.missing) names.push_back(m.load->load);
  plan.reason = "no chain with the images on hand; adding " + Join(names) + " would make one";
  return plan;
}

}  // namespace stepup
