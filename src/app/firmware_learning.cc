#include "app/firmware_learning.h"

#include <algorithm>
#include <map>

namespace stepup {

namespace {

constexpr const char* kFloorVersion = "0.1";  // below every release of every family

Candidate OfLoad(const Load* l) {
  return {l->load, l->load, l->version, l->facts.accepts.value};
}

// Releases older than `oldest` in its protocol: the rules' facts for that range.
Candidate Floor(const Catalog& cat, const Load* oldest) {
  Candidate c;
  c.name = "<" + oldest->load;
  c.from = kFloorVersion;
  c.version = ParseVersion(kFloorVersion).value();
  c.accepts = cat.RuleFacts(oldest->family, oldest->protocol, c.version).accepts.value;
  return c;
}

}  // namespace

std::vector<Candidate> Candidates(const Catalog& cat, const Device& d) {
  const Model* m = cat.FindModel(d.model);
  if (!m) return {};
  std::vector<Candidate> out;
  if (!d.candidates.empty()) {
    for (const auto& name : d.candidates) {
      const bool floor = !name.empty() && name[0] == '<';
      const Load* l = cat.FindLoad(m->family, floor ? name.substr(1) : name);
      if (l) out.push_back(floor ? Floor(cat, l) : OfLoad(l));
    }
    return out;
  }
  std::optional<Protocol> p;
  if (!d.protocol.empty()) p = ParseProtocol(d.protocol);
  if (!p) {
    if (const Load* t = cat.FindLoad(m->family, d.target)) p = t->protocol;
  }
  std::map<Protocol, const Load*> oldest;
  for (const Load* l : cat.LoadsOf(m->family)) {  // oldest first
    if (p && l->protocol != *p) continue;
    out.push_back(OfLoad(l));
    oldest.emplace(l->protocol, l);
  }
  for (const auto& [proto, l] : oldest) out.push_back(Floor(cat, l));
  return out;
}

std::vector<std::string> Names(const std::vector<Candidate>& candidates) {
  std::vector<std::string> out;
  for (const auto& c : candidates) out.push_back(c.name);
  return out;
}

std::string DescribeCandidates(const std::vector<Candidate>& cs) {
  if (cs.empty()) return "no release";
  auto [lo, hi] = std::minmax_element(cs.begin(), cs.end(), [](const auto& a, const auto& b) {
    return Compare(a.version, b.version) < 0;
  });
  auto label = [](const Candidate& c) {
    return c.name[0] == '<' ? "releases before " + c.name.substr(1) : c.name;
  };
  return std::to_string(cs.size()) + (cs.size() == 1 ? " candidate, " : " candidates, ") +
         label(*lo) + (lo == hi ? "" : " to " + label(*hi));
}

std::vector<Candidate> RejectedBy(const std::vector<Candidate>& candidates, const Load& x) {
  std::vector<Candidate> out;
  const std::string& key = x.facts.signed_with.value;
  for (const auto& c : candidates) {
    if (std::find(c.accepts.begin(), c.accepts.end(), key) == c.accepts.end()) out.push_back(c);
  }
  return out;
}

UncertainOffer ChooseUncertainOffer(const ProfileSetup& setup, const Device& d,
                                    const std::vector<Candidate>& candidates,
                                    bool allow_downgrade) {
  UncertainOffer out;
  if (candidates.empty()) {
    out.why = "no load of the catalog is left that it could be running";
    return out;
  }
  const Candidate& newest = *std::max_element(
      candidates.begin(), candidates.end(),
      [](const auto& a, const auto& b) { return Compare(a.version, b.version) < 0; });
  const Model* m = setup.catalog->FindModel(d.model);
  std::map<const Load*, size_t> votes;
  for (const auto& c : candidates) {
    auto plan = PlanForDevice(setup, d, c.from);
    if (!plan) continue;
    const Load* next = nullptr;
    if (plan->status == PlanStatus::kOk) {
      next = plan->hops.front().load;
    } else if (plan->status == PlanStatus::kCurrent && m) {
      // Already there: the target names it, and a phone that runs it fetches nothing.
      next = setup.catalog->FindLoad(m->family, plan->to_load);
      if (next && setup.available && !setup.available->count(next)) next = nullptr;
    }
    if (next) ++votes[next];
  }
  for (const auto& [load, n] : votes) {
    if (!allow_downgrade && Compare(load->version, newest.version) < 0) continue;
    if (n > out.valid_from ||
        (n == out.valid_from && out.load && Compare(load->version, out.load->version) > 0)) {
      out.load = load;
      out.valid_from = n;
    }
  }
  if (out.load) {
    out.why = "firmware unknown: " + out.load->load + " is the next hop from " +
              std::to_string(out.valid_from) + " of the " + DescribeCandidates(candidates) +
              " it may run, and a downgrade from none";
  } else {
    out.why = "firmware unknown (" + DescribeCandidates(candidates) +
              "): every hop on hand would be a downgrade from some of them, or none leads to "
              "the target; waiting to learn what it runs (its web page, its syslog, or "
              "`device set --firmware`)";
  }
  return out;
}

}  // namespace stepup
