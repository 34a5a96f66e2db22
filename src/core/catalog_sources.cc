#include "core/catalog_sources.h"

#include <cctype>

namespace stepup {
namespace {

bool WordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

}  // namespace

std::vector<const SourceTag*> CitedTags(const std::vector<SourceTag>& tags,
                                        const std::string& source) {
  std::vector<const SourceTag*> out;
  for (const auto& t : tags) {
    if (t.tag.empty()) continue;
    const bool prefix = !WordChar(t.tag.back());
    for (size_t at = source.find(t.tag); at != std::string::npos; at = source.find(t.tag, at + 1)) {
      const size_t end = at + t.tag.size();
      if (at > 0 && WordChar(source[at - 1]) && WordChar(t.tag.front())) continue;
      if (!prefix && end < source.size() && WordChar(source[end])) continue;
      out.push_back(&t);
      break;
    }
  }
  return out;
}

std::optional<std::string> StatusExceedsSources(const std::vector<SourceTag>& tags,
                                                FactStatus status, const std::string& source) {
  auto cited = CitedTags(tags, source);
  if (cited.empty()) return std::nullopt;
  const SourceTag* best = cited.front();
  for (const SourceTag* t : cited) {
    if (StatusRank(t->strength) > StatusRank(best->strength)) best = t;
  }
  if (StatusRank(status) <= StatusRank(best->strength)) return std::nullopt;
  return "status '" + std::string(FactStatusName(status)) + "' is stronger than its sources (\"" +
         source + "\": the strongest, " + best->tag + ", supports at most '" +
         std::string(FactStatusName(best->strength)) + "')";
}

std::vector<std::string> CheckSourceStrength(const Catalog& cat) {
  std::vector<std::string> out;
  auto check = [&](const std::string& what, FactStatus status, const std::string& source) {
    if (auto p = StatusExceedsSources(cat.sources, status, source)) out.push_back(what + ": " + *p);
  };
  auto name = [&](const std::string& what, const FileName& f) {
    if (f.source.empty() && f.status != FactStatus::kInferred) {
      out.push_back(what + ": name " + f.name + " has no source and is not marked inferred");
      return;
    }
    check(what + ": name " + f.name, f.status, f.source);
  };
  for (const auto& f : cat.families) check("family " + f.id, f.status, f.source);
  for (const auto& k : cat.keys) check("key " + k.id, k.status, k.source);
  for (const auto& r : cat.roots) {
    check("root " + r.id, r.status, r.source);
    if (r.breaks.set) check("root " + r.id + ": breaks", r.breaks.status, r.breaks.source);
  }
  for (const auto& m : cat.models) {
    check("model " + m.name, m.status, m.source);
    if (m.max_profile_bytes > 0) {
      check("model " + m.name + ": max_profile_bytes", m.max_profile_status, m.max_profile_source);
    }
  }
  for (const auto& l : cat.loads) {
    const std::string what = "load " + l.family + "/" + l.load;
    check(what, l.status, l.source);
    for (const auto& f : l.file_names) name(what, f);
    for (const auto& b : l.bundle_names) name(what, b);
  }
  for (const auto& r : cat.rules) {
    const std::string what = r.where + ": rule";
    // A rule's facts share its status and source: judge the first it sets.
    bool judged = false;
    VisitFacts(r.facts, [&](const char*, const auto& f) {
      if (!f.set || judged) return;
      judged = true;
      check(what, f.status, f.source);
    });
  }
  for (const auto& m : cat.migrations) check("migration", m.status, m.source);
  for (const auto& h : cat.hardware) {
    check("hardware " + h.revision + " of " + (h.models.empty() ? "" : h.models.front()), h.status,
          h.source);
  }
  return out;
}

}  // namespace stepup
