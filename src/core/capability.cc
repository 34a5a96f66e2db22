#include "core/capability.h"

#include <algorithm>

#include "core/text.h"

namespace stepup {
namespace {

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

bool Breaks(const TrustRoot& r, const std::string& capability) {
  const auto& v = r.breaks.value;
  return std::find(v.begin(), v.end(), capability) != v.end();
}

}  // namespace

const std::vector<std::string>& ReleaseFeatures() {
  static const std::vector<std::string> kAll{"https", "custom-ca", "aes-profile", "sip-tls",
                                             "srtp"};
  return kAll;
}

bool IsReleaseFeature(std::string_view name) {
  const auto& all = ReleaseFeatures();
  return std::find(all.begin(), all.end(), name) != all.end();
}

std::string ReleaseFeatureList() { return Join(ReleaseFeatures()); }

FeatureVerdict ReleaseHasFeature(const Catalog& cat, std::string_view family,
                                 const Version& version, std::string_view feature) {
  FeatureVerdict out;
  const ReleaseFeature* f = cat.FindFeature(family, feature);
  if (!f) {
    out.status = FactStatus::kUncertain;
    out.why = std::string(feature) + ": the catalog records nothing about it for " +
              std::string(family);
    return out;
  }
  out.judged = true;
  out.status = f->status;
  out.has = !f->since || Compare(version, *f->since) >= 0;
  out.why = std::string(feature) + (f->since ? ": since " + f->since_label : ": in every release") +
            " for " + std::string(family) + " (" + std::string(FactStatusName(f->status)) + ": " +
            f->source + (f->why.empty() ? "" : "; " + f->why) + ")";
  return out;
}

std::vector<std::string> FeaturesLacking(const Catalog& cat, std::string_view family,
                                         const Version& version,
                                         const std::vector<std::string>& wanted) {
  std::vector<std::string> out;
  for (const auto& w : wanted) {
    FeatureVerdict v = ReleaseHasFeature(cat, family, version, w);
    if (v.judged && !v.has) out.push_back(w);
  }
  return out;
}

const std::vector<std::string>& KnownCapabilities() {
  static const std::vector<std::string> kAll = [] {
    std::vector<std::string> all{"mra"};
    for (const auto& f : ReleaseFeatures()) all.push_back(f);
    return all;
  }();
  return kAll;
}

bool IsKnownCapability(std::string_view name) {
  const auto& all = KnownCapabilities();
  return std::find(all.begin(), all.end(), name) != all.end();
}

std::string KnownCapabilityList() { return Join(KnownCapabilities()); }

Result<std::vector<std::string>> ParseCapabilities(const std::vector<std::string>& items,
                                                   const std::string& what) {
  std::vector<std::string> out;
  for (const auto& item : items) {
    size_t start = 0;
    while (start <= item.size()) {
      size_t comma = item.find(',', start);
      if (comma == std::string::npos) comma = item.size();
      std::string c = ToLower(Trim(std::string_view(item).substr(start, comma - start)));
      start = comma + 1;
      if (c.empty()) {
        return BadInput(what + " \"" + item +
                        "\": an empty capability (known: " + KnownCapabilityList() + ")");
      }
      if (!IsKnownCapability(c)) {
        return BadInput(what + ": unknown capability \"" + c +
                        "\" (known: " + KnownCapabilityList() + ")");
      }
      if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
    }
  }
  return out;
}

namespace {

// The release features among `capabilities`: each had (its record's status) or not. Fills
// `out` and returns false when one is lacking; `features` gets the prose of those it has.
bool CheckFeatures(const Catalog& cat, std::string_view family, const Version& version,
                   const std::string& release, const std::vector<std::string>& capabilities,
                   CapabilityCheck& out, std::string& features) {
  std::vector<std::string> lacking;
  FactStatus status = FactStatus::kConfirmed;
  for (const auto& c : capabilities) {
    if (!IsReleaseFeature(c)) continue;
    FeatureVerdict v = ReleaseHasFeature(cat, family, version, c);
    status = Weaker(status, v.status);
    if (v.has) {
      features += (features.empty() ? "" : "; ") + release + " has " + v.why;
      if (IsShaky(v.status) && out.shaky_fact.empty()) out.shaky_fact = release + " has " + v.why;
    } else {
      lacking.push_back(release + " lacks " + v.why);
    }
  }
  out.status = status;
  if (lacking.empty()) return true;
  out.why = Join(lacking, "; ");
  return false;
}

// The trust-store capabilities among them (below).
CapabilityCheck CheckTrust(const Catalog& cat, const ReleaseFacts& facts,
                           const std::string& release,
                           const std::vector<std::string>& capabilities, int64_t now);

}  // namespace

CapabilityCheck CheckCapabilities(const Catalog& cat, std::string_view family,
                                  const Version& version, const ReleaseFacts& facts,
                                  const std::string& release,
                                  const std::vector<std::string>& capabilities, int64_t now) {
  CapabilityCheck out;
  std::string features;
  if (!CheckFeatures(cat, family, version, release, capabilities, out, features)) return out;
  const FactStatus feature_status = out.status;
  std::vector<std::string> trust;
  for (const auto& c : capabilities) {
    if (!IsReleaseFeature(c)) trust.push_back(c);
  }
  if (trust.empty()) {
    out.meets = true;
    out.why = features;
    return out;
  }
  auto with_features = [&](CapabilityCheck c) {
    c.status = Weaker(c.status, feature_status);
    if (!features.empty()) c.why = features + "; " + c.why;
    if (c.shaky_fact.empty()) c.shaky_fact = out.shaky_fact;
    return c;
  };
  return with_features(CheckTrust(cat, facts, release, trust, now));
}

namespace {

CapabilityCheck CheckTrust(const Catalog& cat, const ReleaseFacts& facts,
                           const std::string& release,
                           const std::vector<std::string>& capabilities, int64_t now) {
  CapabilityCheck out;
  std::string caps = Join(capabilities);
  const auto& roots = facts.roots;
  if (!roots.set) {
    out.status = FactStatus::kUncertain;
    out.why = release +
              ": the catalog records no trust-store facts for it, so it is not known "
              "to have " +
              caps;
    return out;
  }
  const std::string ships = "that it ships them is " + std::string(FactStatusName(roots.status)) +
                            " (" + roots.source + ")";
  std::vector<std::string> failing;
  FactStatus status = roots.status;
  for (const auto& cap : capabilities) {
    for (const auto& id : roots.value) {
      const TrustRoot* r = cat.FindRoot(id);
      if (!r || r->not_after_epoch > now || !Breaks(*r, cap)) continue;
      failing.push_back(release + " ships " + r->id + " (expired " + r->not_after.substr(0, 10) +
                        "), on which " + cap + " depends (" +
                        std::string(FactStatusName(r->breaks.status)) + ": " + r->breaks.source +
                        (r->breaks.why.empty() ? "" : "; " + r->breaks.why) + ")");
      status = Weaker(status, r->breaks.status);
    }
  }
  out.status = status;
  if (!failing.empty()) {
    std::string why;
    for (const auto& f : failing) why += (why.empty() ? "" : "; ") + f;
    out.why = why + "; " + ships;
    if (IsShaky(status)) out.why += ": taken as failing (the safe side)";
    return out;
  }
  out.meets = true;
  out.why = release + " ships no root that " + caps + " depends on and that has expired by " +
            IsoDate(now) + " (its trust-store roots: " + std::string(FactStatusName(roots.status)) +
            ", " + roots.source + ")";
  if (IsShaky(roots.status)) {
    out.shaky_fact = release + " ships no expired root that " + caps +
                     " depends on: " + std::string(FactStatusName(roots.status)) + " (" +
                     roots.source + ")";
  }
  return out;
}

}  // namespace

bool CapabilityJudged(const Catalog& cat, std::string_view family, std::string_view capability) {
  if (IsReleaseFeature(capability)) return cat.FindFeature(family, capability) != nullptr;
  const std::string cap(capability);
  bool linked = std::any_of(cat.roots.begin(), cat.roots.end(),
                            [&](const TrustRoot& r) { return Breaks(r, cap); });
  if (!linked) return false;
  const auto& loads = cat.LoadsOf(family);
  return std::any_of(loads.begin(), loads.end(), [](const Load* l) { return l->facts.roots.set; });
}

std::vector<std::string> FamiliesJudged(const Catalog& cat, std::string_view capability) {
  std::vector<std::string> out;
  for (const auto& f : cat.families) {
    if (CapabilityJudged(cat, f.id, capability)) out.push_back(f.id);
  }
  return out;
}

}  // namespace stepup
