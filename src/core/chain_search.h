// Hop rules and chain searches behind the planner (planner.h is the public interface).
// HopRules decides whether a phone running one release can install a load, and explains why;
// the searches find chains over a family's loads. Pure; internal to core/.
#pragma once

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/catalog.h"
#include "core/text.h"

namespace stepup::chain {

bool Contains(const std::vector<std::string>& v, const std::string& s);

// What a phone runs: a catalog load or a release placed among them.
struct Node {
  const Load* load = nullptr;  // nullptr for an uncatalogued start
  std::string name;            // load name as shown
  std::string label;           // release label
  Version version;
  Protocol protocol = Protocol::kNone;
  ReleaseFacts facts;
};

Node NodeOf(const Load& l);

// What a chain may contain beyond the catalog's constraints (planner.h, PlanRequest).
struct HopPolicy {
  bool allow_uncertain = true;
  bool allow_downgrade = true;
  const Load* named_target =
      nullptr;  // a target chosen by name: its name status is shown, not refused
  // The phone runs a chip-specific build (Load::chip): no build without that chip at or
  // below its release, anywhere in the chain (not only right after it).
  const Load* chip_start = nullptr;
  // Lower-case file names on hand (--firmware). A load whose name is inferred is as sure as
  // the repository when its manifest `<load>.loads` is there (the load name is the manifest's
  // name without .loads: 79xx sheet section 1, UCM-NZ), and the size/hash checks passed.
  const std::unordered_set<std::string>* on_hand = nullptr;
};

class HopRules {
 public:
  HopRules(const Catalog& cat, const Model& model, const HardwareMinimum* floor, Protocol to_proto,
           HopPolicy policy = {})
      : cat_(cat), model_(model), floor_(floor), to_proto_(to_proto), policy_(policy) {
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
      if (from.facts.rejects.set && Contains(from.facts.rejects.value, key)) {
        msg += "; that it refuses " + key + " is " +
               std::string(FactStatusName(from.facts.rejects.status)) + " (" +
               from.facts.rejects.source + "), and the plan does not rely on the contrary";
      }
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
    if (const Load* c = policy_.chip_start;
        c && to.chip != c->chip && Compare(to.version, c->version) <= 0) {
      return "the phone runs " + c->load + ", the build for the " + c->chip + " chip, and " +
             to.load + " is not: it must never replace it (" + c->source + ")";
    }
    if (!policy_.allow_downgrade && IsDowngrade(from, to)) {
      return to.load + " (" + to.version_label + ") is older than " + from.name + " (" +
             from.label + "): a downgrade, refused unless --allow-downgrade";
    }
    if (!policy_.allow_uncertain && ShakyHop(from, to)) {
      auto facts = ShakyFacts(from, to, /*for_refusal=*/true);
      return "the hop to " + to.load + " rests on " + (facts.empty() ? "" : facts.front()) +
             ": refused unless --allow-uncertain";
    }
    return std::nullopt;
  }

  static bool IsDowngrade(const Node& from, const Load& to) {
    return Compare(to.version, from.version) < 0;
  }

  // True when `to` was reported installing on a phone running what `from` runs.
  static bool Evidenced(const Node& from, const Load& to) {
    const auto& e = to.facts.installs_from;
    if (!e.set || e.value.empty()) return false;
    if (Compare(from.version, e.value[0]) < 0) return false;
    return e.value.size() < 2 || Compare(from.version, e.value[1]) < 0;
  }

  // True when the sources doubt the hop itself from what `from` runs (doubt_from).
  static bool Doubted(const Node& from, const Load& to) {
    const auto& d = to.facts.doubt_from;
    if (!d.set || d.value.empty() || !IsShaky(d.status)) return false;
    if (Compare(from.version, d.value[0]) < 0) return false;
    return d.value.size() < 2 || Compare(from.version, d.value[1]) < 0;
  }

  // The status of the load's name: an inferred name whose manifest is in the repository is
  // taken as the repository shows it (see HopPolicy::on_hand).
  FactStatus NameStatus(const Load& to) const {
    if (!IsShaky(to.status) || !policy_.on_hand) return to.status;
    return policy_.on_hand->count(ToLower(to.load + ".loads")) ? FactStatus::kConfirmed : to.status;
  }

  // True when ShakyFacts would be non-empty (without building the strings).
  bool ShakyHop(const Node& from, const Load& to) const {
    if (IsShaky(NameStatus(to)) && &to != policy_.named_target) return true;
    if (Doubted(from, to)) return true;
    if (Evidenced(from, to)) return IsShaky(to.facts.installs_from.status);
    if (keys_matter_ &&
        (IsShaky(to.facts.signed_with.status) || IsShaky(from.facts.accepts.status)))
      return true;
    return to.facts.min_from.set && IsShaky(to.facts.min_from.status);
  }

  // The weakest status among the load's name and the facts the hop rests on.
  FactStatus HopStatus(const Node& from, const Load& to) const {
    FactStatus s = NameStatus(to);
    if (Doubted(from, to)) s = Weaker(s, to.facts.doubt_from.status);
    if (Evidenced(from, to)) return Weaker(s, to.facts.installs_from.status);
    if (keys_matter_) {
      s = Weaker(s, to.facts.signed_with.status);
      s = Weaker(s, from.facts.accepts.status);
    }
    if (to.facts.min_from.set) s = Weaker(s, to.facts.min_from.status);
    return s;
  }

  // Inferred or uncertain facts an allowed hop rests on. For a refusal, a target chosen by
  // name is exempt for its own name (the caller chose it knowing its status; the plan still
  // lists it) but not for its other facts.
  std::vector<std::string> ShakyFacts(const Node& from, const Load& to,
                                      bool for_refusal = false) const {
    std::vector<std::string> out;
    if (IsShaky(NameStatus(to)) && !(for_refusal && &to == policy_.named_target)) {
      out.push_back(to.load + " exists under this name: " + std::string(FactStatusName(to.status)) +
                    " (" + to.source + ")");
    }
    if (Doubted(from, to)) {
      const auto& d = to.facts.doubt_from;
      out.push_back("installing " + to.load + " straight from " + from.name + " is " +
                    std::string(FactStatusName(d.status)) + " (" + d.source + ")" +
                    (d.why.empty() ? std::string() : ": " + d.why));
    }
    if (Evidenced(from, to)) {
      if (IsShaky(to.facts.installs_from.status)) {
        out.push_back(to.load + " was reported installing from " + from.name + ": " +
                      std::string(FactStatusName(to.facts.installs_from.status)) + " (" +
                      to.facts.installs_from.source + ")");
      }
      return out;
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
    if (IsShaky(to.status) && !IsShaky(NameStatus(to))) {
      why += "; its name (" + std::string(FactStatusName(to.status)) +
             " in the catalog) is the manifest " + to.load + ".loads in the repository";
    }
    if (Evidenced(from, to)) {
      why += "; reported installing on phones running " + to.facts.installs_from.value[0].input +
             (to.facts.installs_from.value.size() > 1
                  ? " up to (not including) " + to.facts.installs_from.value[1].input
                  : std::string(" or later")) +
             " (" + std::string(FactStatusName(to.facts.installs_from.status)) + ": " +
             to.facts.installs_from.source + ")";
    }
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
  HopPolicy policy_;
  bool keys_matter_ = true;
};

// True when a is a newer release than b (release, then load build).
bool NewerThan(const Load* a, const Load* b);

// Shortest chain over `cands` from start to target: fewest hops, then fewest hops outside the
// target protocol, then the newest release at each step. Empty if none.
std::vector<const Load*> ShortestChain(const HopRules& s, const Node& start,
                                       const std::vector<const Load*>& cands, const Load* target,
                                       Protocol to_proto);

// With every catalog load allowed, the chain needing the fewest missing loads, then the fewest
// hops, then the fewest missing loads that are not free to download (LoadAccess), then the
// fewest hops outside the target protocol; ties go to newer releases.
std::vector<const Load*> FewestMissingChain(const HopRules& s, const Node& start,
                                            const std::vector<const Load*>& all, const Load* target,
                                            Protocol to_proto,
                                            const std::function<bool(const Load*)>& have);

}  // namespace stepup::chain
