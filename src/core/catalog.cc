#include "core/catalog.h"

#include <algorithm>
#include <cctype>

#include "core/text.h"

namespace stepup {
namespace {

// Overlays the facts a rule sets onto `into`.
void Overlay(const ReleaseFacts& from, ReleaseFacts& into) {
  VisitFactPairs(from, into, [](const char*, const auto& f, auto& t) {
    if (f.set) t = f;
  });
}

}  // namespace

std::string_view FactStatusName(FactStatus s) {
  switch (s) {
    case FactStatus::kConfirmed:
      return "confirmed";
    case FactStatus::kSecondary:
      return "secondary";
    case FactStatus::kInferred:
      return "inferred";
    case FactStatus::kUncertain:
      return "uncertain";
  }
  return "uncertain";
}

std::optional<FactStatus> ParseFactStatus(std::string_view s) {
  std::string l = ToLower(s);
  if (l == "confirmed" || l == "c") return FactStatus::kConfirmed;
  if (l == "secondary" || l == "c2" || l == "s") return FactStatus::kSecondary;
  if (l == "inferred" || l == "i") return FactStatus::kInferred;
  if (l == "uncertain" || l == "u") return FactStatus::kUncertain;
  return std::nullopt;
}

std::string MigrationCounterpart(const std::string& model, const Migration& m) {
  const std::string suffix = "-3PCC";
  if (m.to_protocol == Protocol::kMpp) return model + suffix;
  if (model.size() > suffix.size() &&
      model.compare(model.size() - suffix.size(), suffix.size(), suffix) == 0) {
    return model.substr(0, model.size() - suffix.size());
  }
  return model;
}

std::string_view AccessName(Access a) {
  switch (a) {
    case Access::kFree:
      return "free";
    case Access::kContract:
      return "contract";
    case Access::kUnknown:
      break;
  }
  return "unknown";
}

std::optional<Access> ParseAccess(std::string_view s) {
  std::string l = ToLower(s);
  if (l == "free") return Access::kFree;
  if (l == "contract") return Access::kContract;
  if (l == "unknown") return Access::kUnknown;
  return std::nullopt;
}

std::optional<int> ParseHardwareRevision(std::string_view rev) {
  if (rev.size() < 2 || rev.size() > 6 || (rev[0] != 'V' && rev[0] != 'v')) return std::nullopt;
  int n = 0;
  for (char c : rev.substr(1)) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

bool Rule::Covers(std::string_view family, Protocol p, const Version& v) const {
  if (std::find(families.begin(), families.end(), family) == families.end()) return false;
  if (!protocols.empty() && std::find(protocols.begin(), protocols.end(), p) == protocols.end()) {
    return false;
  }
  if (from && Compare(v, *from) < 0) return false;
  if (below && Compare(v, *below) >= 0) return false;
  return true;
}

void Catalog::Index() {
  model_index_.clear();
  for (size_t i = 0; i < models.size(); ++i) {
    model_index_.emplace(ToLower(models[i].name), i);
    for (const auto& a : models[i].aliases) model_index_.emplace(ToLower(a), i);
  }
  family_loads_.clear();
  load_index_.clear();
  for (const auto& l : loads) {
    family_loads_[l.family].push_back(&l);
    load_index_.emplace(l.family + "\x1f" + ToLower(l.load), &l);
  }
  for (auto& [_, v] : family_loads_) {
    std::stable_sort(v.begin(), v.end(), [](const Load* a, const Load* b) {
      int c = Compare(a->version, b->version);
      if (c != 0) return c < 0;
      return Compare(a->load_version, b->load_version) < 0;
    });
  }
}

const Model* Catalog::FindModel(std::string_view name) const {
  auto it = model_index_.find(ToLower(name));
  return it == model_index_.end() ? nullptr : &models[it->second];
}

const Family* Catalog::FindFamily(std::string_view id) const {
  for (const auto& f : families) {
    if (f.id == id) return &f;
  }
  return nullptr;
}

const TrustRoot* Catalog::FindRoot(std::string_view id) const {
  for (const auto& r : roots) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

const ReleaseFeature* Catalog::FindFeature(std::string_view family, std::string_view id) const {
  for (const auto& f : features) {
    if (f.id != id) continue;
    for (const auto& fam : f.families) {
      if (fam == family) return &f;
    }
  }
  return nullptr;
}

std::vector<const Advisory*> Catalog::AdvisoriesFor(std::string_view family,
                                                    const Version& v) const {
  std::vector<const Advisory*> out;
  for (const auto& a : advisories) {
    if (std::find(a.families.begin(), a.families.end(), family) == a.families.end()) continue;
    if (a.through && Compare(v, *a.through) > 0) continue;
    out.push_back(&a);
  }
  return out;
}

const std::vector<const Load*>& Catalog::LoadsOf(std::string_view family) const {
  static const std::vector<const Load*> kNone;
  auto it = family_loads_.find(std::string(family));
  return it == family_loads_.end() ? kNone : it->second;
}

const Load* Catalog::FindLoad(std::string_view family, std::string_view load_name) const {
  auto it = load_index_.find(std::string(family) + "\x1f" + ToLower(load_name));
  return it == load_index_.end() ? nullptr : it->second;
}

ReleaseFacts Catalog::RuleFacts(std::string_view family, Protocol p, const Version& v) const {
  ReleaseFacts out;
  for (const auto& r : rules) {
    if (r.Covers(family, p, v)) Overlay(r.facts, out);
  }
  return out;
}

const HardwareMinimum* Catalog::HardwareFloor(std::string_view model,
                                              std::string_view revision) const {
  auto rev = ParseHardwareRevision(revision);
  if (!rev) return nullptr;
  const HardwareMinimum* best = nullptr;
  for (const auto& h : hardware) {
    if (h.revision_number > *rev) continue;
    if (std::find(h.models.begin(), h.models.end(), model) == h.models.end()) continue;
    if (!best || Compare(h.min_version, best->min_version) > 0) best = &h;
  }
  return best;
}

}  // namespace stepup

namespace stepup {

bool LoadMatches(const Load& load, const Version& v) {
  return v.is_load() ? Compare(load.load_version, v) == 0 : SameRelease(load.version, v);
}

Access LoadAccess(const Load& load) {
  bool contract = false;
  for (const auto& b : load.bundle_names) {
    if (b.access == Access::kFree) return Access::kFree;
    contract = contract || b.access == Access::kContract;
  }
  bool all_free = !load.file_names.empty();
  for (const auto& f : load.file_names) {
    all_free = all_free && f.access == Access::kFree;
    contract = contract || f.access == Access::kContract;
  }
  if (all_free) return Access::kFree;
  return contract ? Access::kContract : Access::kUnknown;
}

std::vector<std::string> FilesToFetch(const Load& load,
                                      const std::unordered_set<std::string>* lower_names) {
  std::vector<std::string> missing;
  bool some_here = false;
  for (const auto& f : load.files) {
    if (lower_names && lower_names->count(ToLower(f))) {
      some_here = true;
    } else {
      missing.push_back(f);
    }
  }
  if (!some_here && !load.bundles.empty()) {
    for (const auto& b : load.bundle_names) {
      if (b.access == Access::kFree) return {b.name};
    }
    return {load.bundles.front()};
  }
  return missing;
}

std::unordered_map<std::string, FileCheck> FileChecks(const Catalog& catalog) {
  std::unordered_map<std::string, FileCheck> out;
  for (const auto& l : catalog.loads) {
    for (const auto* names : {&l.file_names, &l.bundle_names}) {
      for (const auto& f : *names) {
        if (f.size <= 0 && f.sha256.empty()) continue;
        FileCheck& c = out[ToLower(f.name)];
        if (f.size > 0) c.size = f.size;
        if (!f.sha256.empty()) c.sha256 = ToLower(f.sha256);
        if (c.source.empty()) c.source = l.family + "/" + l.load + ": " + f.source;
      }
    }
  }
  return out;
}

bool LoadAvailable(const Load& load, const std::unordered_set<std::string>& lower_names) {
  for (const auto& b : load.bundles) {
    if (lower_names.count(ToLower(b))) return true;
  }
  if (load.files.empty()) return false;
  for (const auto& f : load.files) {
    if (!lower_names.count(ToLower(f))) return false;
  }
  return true;
}

}  // namespace stepup
