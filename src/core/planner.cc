#include "core/planner.h"

#include <algorithm>
#include <climits>
#include <ctime>
#include <functional>
#include <tuple>

namespace stepup {
namespace {

std::string Join(const std::vector<std::string>& v, std::string_view sep = ", ") {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += sep;
    out += v[i];
  }
  return out;
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string Date(int64_t epoch) {
  std::time_t t = static_cast<std::time_t>(epoch);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

// What a phone runs: a catalog load or a release placed among them.
struct Node {
  const Load* load = nullptr;  // nullptr for an uncatalogued start
  std::string name;            // load name as shown
  std::string label;           // release label
  Version version;
  Protocol protocol = Protocol::kNone;
  ReleaseFacts facts;
};

Node NodeOf(const Load& l) { return {&l, l.load, l.version_label, l.version, l.protocol, l.facts}; }

class Search {
 public:
  Search(const Catalog& cat, const Model& model, const HardwareMinimum* floor, Protocol to_proto)
      : cat_(cat), model_(model), floor_(floor), to_proto_(to_proto) {
    // A hop rests on a key fact only where keys can differ: in a family whose loads all use
    // one key, no key fact can change a plan, so it does not make a hop uncertain.
    std::vector<std::string> keys;
    for (const Load* l : cat.LoadsOf(model.family)) {
      keys.push_back(l->facts.signed_with.value);
      keys.insert(keys.end(), l->facts.accepts.value.begin(), l->facts.accepts.value.end());
    }
    std::sort(keys.begin(), keys.end());
    keys_matter_ = std::unique(keys.begin(), keys.end()) - keys.begin() > 1;
  }

  // Why `to` cannot be installed on a phone running `from`; nullopt when it can.
  std::optional<std::string> Blocker(const Node& from, const Load& to) const {
    if (from.load == &to) return "it is already running";
    const auto& key = to.facts.signed_with.value;
    if (!Contains(from.facts.accepts.value, key)) {
      std::string msg = from.name + " (" + from.label + ") accepts only images signed with " +
                        (from.facts.accepts.value.empty() ? std::string("no known key")
                                                          : Join(from.facts.accepts.value)) +
                        "; " + to.load + " is signed with " + key;
      if (!from.facts.accepts.why.empty()) msg += " (" + from.facts.accepts.why + ")";
      return msg;
    }
    if (to.facts.min_from.set && to.facts.min_from.value &&
        Compare(from.version, *to.facts.min_from.value) < 0) {
      std::string msg = to.load + " installs only from " + to.facts.min_from.value->input +
                        " or later; " + from.name + " is older";
      if (!to.facts.min_from.why.empty()) msg += " (" + to.facts.min_from.why + ")";
      return msg;
    }
    if (floor_ && Compare(to.version, floor_->min_version) < 0) {
      return "hardware " + floor_->revision + " of " + model_.name + " cannot run releases below " +
             floor_->min_label + " (" + floor_->source + ")";
    }
    return std::nullopt;
  }

  // Inferred or uncertain facts an allowed hop rests on.
  std::vector<std::string> ShakyFacts(const Node& from, const Load& to) const {
    std::vector<std::string> out;
    if (IsShaky(to.status)) {
      out.push_back(to.load + " exists under this name: " + std::string(FactStatusName(to.status)) +
                    " (" + to.source + ")");
    }
    if (keys_matter_ && IsShaky(to.facts.signed_with.status)) {
      out.push_back(to.load + " is signed with " + to.facts.signed_with.value + ": " +
                    std::string(FactStatusName(to.facts.signed_with.status)) + " (" +
                    to.facts.signed_with.source + ")");
    }
    if (keys_matter_ && IsShaky(from.facts.accepts.status)) {
      out.push_back(from.name + " accepts " + Join(from.facts.accepts.value) + ": " +
                    std::string(FactStatusName(from.facts.accepts.status)) + " (" +
                    from.facts.accepts.source + ")");
    }
    if (to.facts.min_from.set && IsShaky(to.facts.min_from.status)) {
      out.push_back(to.load + " installs from " + to.facts.min_from.value->input +
                    " or later: " + std::string(FactStatusName(to.facts.min_from.status)) + " (" +
                    to.facts.min_from.source + ")");
    }
    return out;
  }

  // Why the hop from -> to is taken, in prose.
  std::string HopWhy(const Node& from, const Load& to, const Load* next, int64_t now) const {
    std::string why =
        "signed with " + to.facts.signed_with.value + ", which " + from.name + " accepts";
    std::vector<std::string> gained;
    for (const auto& k : to.facts.accepts.value) {
      if (!Contains(from.facts.accepts.value, k)) gained.push_back(k);
    }
    if (!gained.empty()) {
      why += "; once running it also accepts " + Join(gained);
      if (!to.facts.accepts.why.empty()) why += " (" + to.facts.accepts.why + ")";
    }
    if (to.facts.min_from.set && to.facts.min_from.value) {
      why += "; it installs only from " + to.facts.min_from.value->input + " or later, which " +
             from.name + " is";
    }
    if (from.protocol != to.protocol) {
      why += "; switches protocol " + std::string(ProtocolName(from.protocol)) + " -> " +
             std::string(ProtocolName(to.protocol));
      if (next && to.protocol != to_proto_)
        why += " as a bridge (the bridge is available in this protocol)";
    }
    if (now > 0) {
      std::vector<std::string> dropped;
      for (const auto& id : from.facts.roots.value) {
        const TrustRoot* r = cat_.FindRoot(id);
        if (r && r->not_after_epoch <= now && !Contains(to.facts.roots.value, id)) {
          dropped.push_back(r->id + " (expired " + r->not_after.substr(0, 10) + ")");
        }
      }
      if (!dropped.empty()) {
        why += "; its trust store drops " + Join(dropped);
        if (!to.facts.roots.why.empty()) why += ": " + to.facts.roots.why;
      }
    }
    if (next) {
      if (auto b = Blocker(from, *next)) why += "; needed as a bridge: " + *b;
    } else {
      why += "; this is the target";
    }
    return why;
  }

  bool Allowed(const Node& from, const Load& to) const { return !Blocker(from, to); }

 private:
  const Catalog& cat_;
  const Model& model_;
  const HardwareMinimum* floor_;
  Protocol to_proto_;
  bool keys_matter_ = true;
};

bool NewerThan(const Load* a, const Load* b) {
  int c = Compare(a->version, b->version);
  if (c != 0) return c > 0;
  return Compare(a->load_version, b->load_version) > 0;
}

// Shortest chain over `cands` (catalog loads) from start to target: fewest hops, then fewest
// hops outside the target protocol, then the newest release at each step. Empty if none.
std::vector<const Load*> ShortestChain(const Search& s, const Node& start,
                                       const std::vector<const Load*>& cands, const Load* target,
                                       Protocol to_proto) {
  const size_t n = cands.size();
  size_t t = n;
  for (size_t i = 0; i < n; ++i) {
    if (cands[i] == target) t = i;
  }
  if (t == n) return {};
  // edge[i][j]: cands[i] -> cands[j]; start edges separately.
  std::vector<std::vector<char>> edge(n, std::vector<char>(n, 0));
  for (size_t i = 0; i < n; ++i) {
    Node from = NodeOf(*cands[i]);
    for (size_t j = 0; j < n; ++j)
      edge[i][j] = static_cast<char>(i != j && s.Allowed(from, *cands[j]));
  }
  std::vector<char> start_edge(n);
  for (size_t j = 0; j < n; ++j) start_edge[j] = static_cast<char>(s.Allowed(start, *cands[j]));
  // Backward BFS: dist to target and the fewest off-protocol hops among shortest chains.
  std::vector<int> dist(n, INT_MAX), off(n, INT_MAX);
  dist[t] = 0;
  off[t] = 0;
  std::vector<size_t> order{t};
  for (size_t head = 0; head < order.size(); ++head) {
    size_t v = order[head];
    for (size_t u = 0; u < n; ++u) {
      if (edge[u][v] && dist[u] == INT_MAX) {
        dist[u] = dist[v] + 1;
        order.push_back(u);
      }
    }
  }
  auto cost_via = [&](size_t v) { return off[v] + (cands[v]->protocol != to_proto ? 1 : 0); };
  for (size_t u : order) {  // increasing distance
    if (u == t) continue;
    for (size_t v = 0; v < n; ++v) {
      if (edge[u][v] && dist[v] == dist[u] - 1) off[u] = std::min(off[u], cost_via(v));
    }
  }
  // Forward: from the start, always step to the best successor.
  auto pick = [&](auto is_edge) {
    size_t best = n;
    for (size_t v = 0; v < n; ++v) {
      if (!is_edge(v) || dist[v] == INT_MAX) continue;
      if (best == n) {
        best = v;
        continue;
      }
      auto key = [&](size_t x) { return std::make_pair(dist[x], cost_via(x)); };
      if (key(v) < key(best) || (key(v) == key(best) && NewerThan(cands[v], cands[best]))) best = v;
    }
    return best;
  };
  std::vector<const Load*> chain;
  size_t cur = pick([&](size_t v) { return start_edge[v] != 0; });
  while (cur != n) {
    chain.push_back(cands[cur]);
    if (cur == t) return chain;
    size_t c = cur;
    cur = pick([&](size_t v) { return edge[c][v] != 0; });
  }
  return {};
}

// With every catalog load allowed, the chain needing the fewest missing loads, then the fewest
// hops, then the fewest hops outside the target protocol; ties go to newer releases.
std::vector<const Load*> FewestMissingChain(const Search& s, const Node& start,
                                            const std::vector<const Load*>& all, const Load* target,
                                            Protocol to_proto,
                                            const std::function<bool(const Load*)>& have) {
  const size_t n = all.size();
  using Cost = std::tuple<int, int, int>;
  const Cost kInf{INT_MAX, INT_MAX, INT_MAX};
  auto step = [&](const Cost& c, size_t v) {
    return Cost{std::get<0>(c) + (have(all[v]) ? 0 : 1), std::get<1>(c) + 1,
                std::get<2>(c) + (all[v]->protocol != to_proto ? 1 : 0)};
  };
  std::vector<Cost> cost(n, kInf);
  std::vector<size_t> prev(n, n + 1);  // n = start
  std::vector<char> done(n, 0);
  for (size_t j = 0; j < n; ++j) {
    if (s.Allowed(start, *all[j])) {
      cost[j] = step(Cost{0, 0, 0}, j);
      prev[j] = n;
    }
  }
  for (;;) {
    size_t u = n;
    for (size_t i = n; i-- > 0;) {  // newest first, so ties go to newer releases
      if (!done[i] && cost[i] != kInf && (u == n || cost[i] < cost[u])) u = i;
    }
    if (u == n || all[u] == target) break;
    done[u] = 1;
    Node from = NodeOf(*all[u]);
    for (size_t v = n; v-- > 0;) {
      if (done[v] || v == u || !s.Allowed(from, *all[v])) continue;
      Cost c = step(cost[u], v);
      if (c < cost[v]) {
        cost[v] = c;
        prev[v] = u;
      }
    }
  }
  size_t t = n;
  for (size_t i = 0; i < n; ++i) {
    if (all[i] == target) t = i;
  }
  if (t == n || cost[t] == kInf) return {};
  std::vector<const Load*> chain;
  for (size_t v = t; v != n; v = prev[v]) chain.push_back(all[v]);
  std::reverse(chain.begin(), chain.end());
  return chain;
}

}  // namespace

namespace {

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
    bool same = v->is_load() ? Compare(l->load_version, *v) == 0 : SameRelease(l->version, *v);
    if (same) return NodeOf(*l);
  }
  Node n;
  n.name = req.from;
  n.version = *v;
  n.label = ReleaseLabel(*v);
  n.protocol = proto;
  n.facts = cat.RuleFacts(fam.id, proto, *v);
  return n;
}

Result<const Load*> ResolveTo(const Catalog& cat, const Model& model, const Family& fam,
                              const PlanRequest& req, Protocol to_proto) {
  const auto& loads = cat.LoadsOf(fam.id);
  if (req.to == "latest") {
    const Load* best = nullptr;
    for (const Load* l : loads) {
      if (l->protocol == to_proto && (!best || NewerThan(l, best))) best = l;
    }
    if (!best) {
      return BadInput("--to latest: no " + std::string(ProtocolName(to_proto)) + " release of " +
                      model.name + " is catalogued");
    }
    return best;
  }
  if (const Load* l = cat.FindLoad(fam.id, req.to)) return l;
  auto v = ParseVersion(req.to);
  if (!v) return BadInput("--to: " + v.error().message);
  for (const Load* l : loads) {
    if (v->is_load() ? Compare(l->load_version, *v) == 0
                     : (l->protocol == to_proto && SameRelease(l->version, *v))) {
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
                    r->not_after.substr(0, 10) + " (as of " + Date(now) +
                    "); services that need it (MRA, HTTPS to a server certified under it) fail";
    if (IsShaky(n.facts.roots.status)) {
      w += " [" + std::string(FactStatusName(n.facts.roots.status)) + ": " + n.facts.roots.source +
           "]";
    }
    out.push_back(w);
  }
}

std::string MissingWhy(const Search& s, const Node& start, const std::vector<const Load*>& chain,
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
    return BadInput("--to-protocol " + std::string(ProtocolName(to_proto)) +
                    " is not a protocol of " + model->name);
  }
  auto target = ResolveTo(cat, *model, *fam, req, to_proto);
  if (!target) return target.error();
  const Load* to = *target;
  if (floor && Compare(from->version, floor->min_version) < 0) {
    return BadInput("--from " + req.from + ": hardware " + floor->revision + " of " + model->name +
                    " cannot run releases below " + floor->min_label);
  }

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
  TrustWarnings(cat, *from, req.now, "the running release", plan.warnings);
  if (from->load == to) {
    plan.status = PlanStatus::kCurrent;
    return plan;
  }
  if (!from->facts.accepts.set) {
    plan.reason = "the catalog records no facts (accepted signing keys) for " + from->label +
                  " of " + model->name + ", so no hop can be checked";
    return plan;
  }

  Search s(cat, *model, floor, to->protocol);
  const auto& all = cat.LoadsOf(fam->id);
  auto have = [&](const Load* l) { return !req.available || req.available->count(l) > 0; };
  std::vector<const Load*> cands;
  for (const Load* l : all) {
    if (have(l)) cands.push_back(l);
  }
  std::vector<const Load*> chain = ShortestChain(s, *from, cands, to, to->protocol);
  if (!chain.empty()) {
    plan.status = PlanStatus::kOk;
    Node prev = *from;
    for (size_t i = 0; i < chain.size(); ++i) {
      PlanHop hop;
      hop.load = chain[i];
      hop.why = s.HopWhy(prev, *chain[i], i + 1 < chain.size() ? chain[i + 1] : nullptr, req.now);
      hop.uncertain_facts = s.ShakyFacts(prev, *chain[i]);
      hop.uncertain = !hop.uncertain_facts.empty();
      plan.hops.push_back(std::move(hop));
      prev = NodeOf(*chain[i]);
    }
    TrustWarnings(cat, prev, req.now, "the target", plan.warnings);
    return plan;
  }

  // No path with what is on hand: which missing loads would make one?
  plan.status = PlanStatus::kNoPath;
  std::vector<const Load*> best = FewestMissingChain(s, *from, all, to, to->protocol, have);
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
    plan.missing.push_back(std::move(m));
  }
  std::vector<std::string> names;
  for (const auto& m : plan.missing) names.push_back(m.load->load);
  plan.reason = "no chain with the images on hand; adding " + Join(names) + " would make one";
  return plan;
}

}  // namespace stepup
