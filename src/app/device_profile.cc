#include "app/device_profile.h"

#include <algorithm>

#include "core/capability.h"

namespace stepup {

Result<std::vector<std::string>> RequiredCapabilities(const Catalog& cat, const Device& d) {
  auto it = d.settings.find(kRequireSetting);
  if (it == d.settings.end()) return std::vector<std::string>();
  const std::string what = "device " + d.key() + ": setting " + kRequireSetting;
  auto caps = ParseCapabilities({it->second}, what);
  if (!caps) return caps.error();
  const Model* m = cat.FindModel(d.model);
  for (const auto& c : *caps) {
    if (!m || !CapabilityJudged(cat, m->family, c)) {
      return BadInput(what + "=" + it->second + ": " + c + " does not apply to " + d.model +
                      ": the catalog records no " +
                      (IsReleaseFeature(c) ? std::string("release-feature") : "trust-store") +
                      " facts bearing on it for that model's releases");
    }
  }
  return caps;
}

Result<Plan> PlanForDevice(const ProfileSetup& s, const Device& d, const std::string& running) {
  auto require = RequiredCapabilities(*s.catalog, d);
  if (!require) return require.error();
  const std::string from = running.empty() ? d.firmware : running;
  if (from.empty()) {
    return BadInput("device " + d.key() +
                    ": what it runs is unknown (pass --running, or record --firmware)");
  }
  PlanRequest req;
  req.model = d.model;
  req.from = from;
  req.to = d.target.empty() ? "latest" : d.target;
  if (!d.protocol.empty()) {
    // The device's protocol is where it should end up; a load it runs mid-chain may be in the
    // other one (a bridge taken in SCCP), and then the load name says which.
    req.to_protocol = ParseProtocol(d.protocol);
    auto v = ParseVersion(from);
    if (!v || v->protocol == Protocol::kNone) req.protocol = req.to_protocol;
  }
  req.hardware = d.hardware;
  req.now = s.now;
  req.allow_uncertain = s.allow_uncertain;
  req.allow_downgrade = s.allow_downgrade;
  req.allow_migration = s.allow_migration;
  req.require = std::move(require).value();
  if (s.available || !d.excluded.empty()) {
    std::unordered_set<const Load*> avail;
    const Model* m = s.catalog->FindModel(d.model);
    for (const Load* l : s.catalog->LoadsOf(m ? m->family : "")) {
      if (s.available && !s.available->count(l)) continue;
      if (std::find(d.excluded.begin(), d.excluded.end(), l->load) != d.excluded.end()) continue;
      avail.insert(l);
    }
    req.available = std::move(avail);
  }
  return MakePlan(*s.catalog, req);
}

Result<DeviceProfile> RenderForDevice(const ProfileSetup& s, const Device& d,
                                      const std::string& running, int attempt, const Plan* given) {
  DeviceProfile out;
  RenderInput in;
  in.model = s.catalog->FindModel(d.model);
  if (!in.model) return Unknown("device " + d.key() + ": unknown model \"" + d.model + "\"");
  in.family = s.catalog->FindFamily(in.model->family);
  in.mac = d.mac;
  in.serial = d.serial;
  in.settings = d.settings;
  in.defaults = s.defaults;
  in.base_url = s.base_url;
  in.profile_base_url = s.profile_base_url;
  in.transport_managed = s.transport_managed;
  in.profile_rule_b = s.profile_rule_b;
  in.custom_ca_rule = s.custom_ca_rule;
  in.come_back_soon = s.come_back_soon;
  in.handoff_url = s.handoff_url;
  in.running = running.empty() ? d.firmware : running;
  if (auto v = ParseVersion(in.running)) {
    in.lacking = FeaturesLacking(*s.catalog, in.model->family, *v, ReleaseFeatures());
  }
  in.attempt = attempt;
  auto plan = given ? Result<Plan>(*given) : PlanForDevice(s, d, running);
  if (!plan) {
    out.note = plan.error().message;
  } else {
    out.plan = *plan;
    // What an enterprise phone keeps when no hop is offered: its own load (never a target it
    // cannot reach), or the target once it is there.
    in.target = s.catalog->FindLoad(
        in.model->family, plan->status == PlanStatus::kCurrent ? plan->to_load : in.running);
    if (d.hold) {
      out.note = "device " + d.key() + " is on hold: no upgrade is offered";
    } else if (plan->status == PlanStatus::kOk) {
      in.next = plan->hops.front().load;
    } else if (plan->status == PlanStatus::kNoPath) {
      out.note = "no path: " + plan->reason;
    } else {
      out.note = "at target " + plan->to_load;
    }
  }
  auto r = s.renderer->Profile(in);
  if (!r) return r.error();
  out.rendered = std::move(r).value();
  out.next = in.next;
  return out;
}

}  // namespace stepup
