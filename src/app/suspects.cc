#include "app/suspects.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

namespace stepup {
namespace {

constexpr size_t kNamedShown = 20;

struct Gathering {
  Suspect s;
  std::set<std::string> named;
};

void Saw(Gathering& g, const Event& e) {
  const int64_t last = std::max(e.time, e.last_time);
  if (g.s.first_ms == 0 || e.time < g.s.first_ms) g.s.first_ms = e.time;
  g.s.last_ms = std::max(g.s.last_ms, last);
}

void Name(Gathering& g, const std::string& what) {
  if (!what.empty() && g.named.size() < kNamedShown) g.named.insert(what);
}

}  // namespace

std::string PeerAddress(const std::string& peer) {
  if (!peer.empty() && peer[0] == '[') return peer.substr(1, peer.find(']') - 1);
  return peer.substr(0, peer.rfind(':'));
}

Result<std::vector<Suspect>> FindSuspects(Inventory& inv) {
  std::map<std::string, Gathering> by;
  auto unknown = inv.UnknownAttempts();
  if (!unknown) return unknown.error();
  for (const auto& a : *unknown) {
    std::string ip = PeerAddress(a.event.peer);
    Gathering& g = by[ip];
    g.s.address = ip;
    Saw(g, a.event);
    auto claimed = nlohmann::json::parse(a.claimed, nullptr, /*allow_exceptions=*/false);
    if (a.event.kind == "throttled" && claimed.is_object()) {
      // Each summary holds the totals so far: the newest one counts.
      g.s.counted = std::max(g.s.counted, claimed.value("failures", uint64_t{0}));
      g.s.refused = std::max(g.s.refused, claimed.value("refused", uint64_t{0}));
      g.s.refused_until_ms = std::max(g.s.refused_until_ms, claimed.value("refused_until", int64_t{0}));
      continue;
    }
    ++g.s.unknown;
    if (claimed.is_object()) {
      std::string mac = claimed.value("mac", std::string());
      Name(g, mac.empty() ? claimed.value("serial", std::string()) : mac);
    }
  }
  auto mismatches = inv.EventsOfKind("identity-mismatch");
  if (!mismatches) return mismatches.error();
  for (const auto& [device_id, e] : *mismatches) {
    std::string ip = PeerAddress(e.peer);
    Gathering& g = by[ip];
    g.s.address = ip;
    Saw(g, e);
    g.s.mismatched += 1 + static_cast<uint64_t>(e.repeats);
    if (auto d = inv.FindById(device_id); d && d->has_value()) Name(g, "+" + (*d)->key());
  }
  std::vector<Suspect> out;
  for (auto& [ip, g] : by) {
    g.s.named.assign(g.named.begin(), g.named.end());
    out.push_back(std::move(g.s));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Suspect& a, const Suspect& b) { return a.failures() > b.failures(); });
  return out;
}

}  // namespace stepup
