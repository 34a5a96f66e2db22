#include "app/rollout_groups.h"

#include <set>

#include "app/device_input.h"
#include "core/device_json.h"
#include "core/planner.h"
#include "core/version.h"

namespace stepup {
namespace {

// The release a target names for one model ("latest" and "" : its newest confirmed one).
const Load* TargetLoad(const Catalog& cat, const Family& family, Protocol p,
                       const std::string& target, std::optional<Version>& version) {
  if (target.empty() || target == "latest") return LatestConfirmed(cat, family.id, p);
  if (const Load* l = cat.FindLoad(family.id, target)) return l;
  if (auto v = ParseVersion(target)) version = *v;
  return nullptr;
}

}  // namespace

RolloutView RolloutOf(const Catalog& catalog, const Device& d, const RolloutGroup* group,
                      int64_t now_ms) {
  bool fits = true;
  if (group && !group->target.empty() && group->target != "latest") {
    const Model* m = catalog.FindModel(d.model);
    fits = m && CheckTarget(catalog, *m, group->target).ok();
  }
  return RolloutFor(d, group, now_ms, fits);
}

Result<RolloutGroup> ApplyGroupChanges(const Catalog& catalog, RolloutGroup g,
                                       const GroupChanges& c, int64_t now_ms) {
  if (auto s = CheckGroupName(g.name); !s) return s.error();
  if (c.target) {
    const std::string& t = *c.target;
    bool known = t.empty() || t == "latest";
    auto v = ParseVersion(t);
    for (size_t i = 0; !known && i < catalog.loads.size(); ++i) {
      const Load& l = catalog.loads[i];
      known = l.load == t || (v && LoadMatches(l, *v));
    }
    if (!known)
      return BadInput("target \"" + t.substr(0, 80) +
                      "\": neither \"latest\" nor a release or load name the catalog lists");
    g.target = t == "latest" ? "latest" : t;
  }
  if (c.window) {
    if (!c.window->empty()) {
      if (auto w = ParseWindow(*c.window); !w) return w.error();
    }
    g.window = *c.window;
  }
  if (c.paused) g.paused = *c.paused;
  for (const auto& [k, v] : c.set) g.settings[k] = v;
  for (const auto& k : c.unset) g.settings.erase(k);
  if (c.resync) g.resync_at = now_ms;
  g.updated = now_ms / 1000;
  if (g.created == 0) g.created = g.updated;
  return g;
}

GroupReport ReportGroup(const Catalog& catalog, const RolloutGroup& g,
                        const std::vector<Device>& devices, int64_t now_ms) {
  GroupReport r;
  std::map<std::pair<std::string, std::string>, Behind> behind;  // (model, target)
  for (const Device& d : devices) {
    if (GroupOf(d) != g.name) continue;
    ++r.members;
    ++r.by_state[d.state];
    const Model* m = catalog.FindModel(d.model);
    const Family* f = m ? catalog.FindFamily(m->family) : nullptr;
    if (!f) continue;
    Protocol p = f->default_protocol;
    if (auto dp = ParseProtocol(d.protocol); dp && *dp != Protocol::kNone) p = *dp;
    const Load* newest = LatestConfirmed(catalog, f->id, p);
    if (!newest) continue;
    const std::string target = RolloutOf(catalog, d, &g, now_ms).target;
    std::optional<Version> v;
    const Load* t = TargetLoad(catalog, *f, p, target, v);
    if (t) v = t->version;
    if (!v || Compare(*v, newest->version) >= 0) continue;
    Behind& b = behind[{d.model, target}];
    b.model = d.model;
    b.target = target;
    b.newest = newest->version_label;
    b.newest_load = newest->load;
    ++b.devices;
  }
  for (auto& [_, b] : behind) r.behind.push_back(std::move(b));
  return r;
}

nlohmann::json GroupToJson(const RolloutGroup& g, const GroupReport& r, int64_t now_ms,
                           long held) {
  bool open = !g.paused;
  if (open && !g.window.empty()) {
    auto w = ParseWindow(g.window);
    open = !w || w->Contains(now_ms);
  }
  nlohmann::json behind = nlohmann::json::array();
  for (const auto& b : r.behind) {
    behind.push_back({{"model", b.model},
                      {"target", b.target},
                      {"newest", b.newest},
                      {"newest_load", b.newest_load},
                      {"devices", b.devices}});
  }
  nlohmann::json j = {{"name", g.name},
                      {"target", g.target.empty() ? "" : g.target},
                      {"window", g.window},
                      {"paused", g.paused},
                      {"open", open},
                      {"resync_at", g.resync_at},
                      {"settings", [&] {
                         nlohmann::json out = nlohmann::json::object();
                         for (const auto& [k, v] : g.settings)
                           out[k] = IsSecretSetting(k) ? std::string("***") : v;
                         return out;
                       }()},
                      {"members", r.members},
                      {"by_state", r.by_state},
                      {"behind", behind},
                      {"created", g.created},
                      {"updated", g.updated}};
  if (held >= 0) j["held"] = held;
  return j;
}

std::string EffectiveSetting(const Device& d, const RolloutGroup* group, const Settings& defaults,
                             const std::string& key) {
  if (auto it = d.settings.find(key); it != d.settings.end()) return it->second;
  if (group) {
    if (auto it = group->settings.find(key); it != group->settings.end()) return it->second;
  }
  auto it = defaults.find(key);
  return it == defaults.end() ? "" : it->second;
}

std::vector<std::string> UnknownGroups(const std::vector<RolloutGroup>& groups,
                                       const std::vector<Device>& devices) {
  std::set<std::string> known, unknown;
  for (const auto& g : groups) known.insert(g.name);
  for (const auto& d : devices) {
    const std::string name = GroupOf(d);
    if (!name.empty() && !known.count(name)) unknown.insert(name);
  }
  return {unknown.begin(), unknown.end()};
}

}  // namespace stepup
