#include "core/catalog_loader.h"

#include <toml++/toml.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/catalog_sources.h"
#include "core/capability.h"
#include "core/catalog_toml.h"
#include "core/text.h"

namespace stepup {
namespace {

using catalog_toml::EachTable;
using catalog_toml::IsHexFingerprint;
using catalog_toml::ParseUtc;
using catalog_toml::Problems;
using catalog_toml::ReadBreaks;
using catalog_toml::ReadFacts;
using catalog_toml::TableReader;
using catalog_toml::Where;

class Builder {
 public:
  Problems problems;
  Catalog cat;
  std::vector<std::string> load_where;  // parallel to cat.loads
  std::vector<ReleaseFacts> load_own;   // per-load facts as written, before rules

  void ReadDocument(const EmbeddedFile& src) {
    toml::table doc;
    try {
      doc = toml::parse(src.text, src.name);
    } catch (const toml::parse_error& e) {
      problems.push_back(src.name + ":" + std::to_string(e.source().begin.line) +
                         ": TOML syntax error: " + std::string(e.description()));
      return;
    }
    static const std::set<std::string> kTables = {
        "key", "family", "model", "load", "rule", "hardware", "root", "source", "migration",
        "feature", "advisory"};
    for (const auto& [k, _] : doc) {
      if (!kTables.count(std::string(k.str()))) {
        problems.push_back(src.name + ": unknown top-level key '" + std::string(k.str()) + "'");
      }
    }
    const std::string& f = src.name;
    EachTable(doc, "key", f, problems,
              [&](const toml::table& t, const std::string& w) { Key(t, w); });
    EachTable(doc, "family", f, problems,
              [&](const toml::table& t, const std::string& w) { Fam(t, w); });
    EachTable(doc, "model", f, problems,
              [&](const toml::table& t, const std::string& w) { Mod(t, w); });
    EachTable(doc, "load", f, problems,
              [&](const toml::table& t, const std::string& w) { Ld(t, w); });
    EachTable(doc, "rule", f, problems,
              [&](const toml::table& t, const std::string& w) { Rul(t, w); });
    EachTable(doc, "hardware", f, problems,
              [&](const toml::table& t, const std::string& w) { Hw(t, w); });
    EachTable(doc, "root", f, problems,
              [&](const toml::table& t, const std::string& w) { Root(t, w); });
    EachTable(doc, "source", f, problems,
              [&](const toml::table& t, const std::string& w) { Src(t, w); });
    EachTable(doc, "migration", f, problems,
              [&](const toml::table& t, const std::string& w) { Mig(t, w); });
    EachTable(doc, "feature", f, problems,
              [&](const toml::table& t, const std::string& w) { Feat(t, w); });
    EachTable(doc, "advisory", f, problems,
              [&](const toml::table& t, const std::string& w) { Adv(t, w); });
  }

  void Adv(const toml::table& t, const std::string& w) {
    TableReader r(t, w, "advisory", problems);
    Advisory a;
    a.id = r.Str("id", true);
    r.SetWhat("advisory " + a.id);
    a.families = r.StrList("families");
    if (a.families.empty()) r.Problem("'families' must name at least one family");
    a.through_label = r.Str("through", false);
    if (!a.through_label.empty()) a.through = r.VersionAt("through", false);
    a.fixed_in = r.Str("fixed_in", false);
    a.severity = r.Str("severity", true);
    if (!a.severity.empty() && a.severity != "high" && a.severity != "medium" &&
        a.severity != "low") {
      r.Problem("severity '" + a.severity + "' is not high, medium or low");
    }
    a.summary = r.Str("summary", true);
    a.fix = r.Str("fix", true);
    a.source = r.Str("source", true);
    a.status = r.Status();
    r.Finish();
    advisory_where.push_back(w);
    cat.advisories.push_back(std::move(a));
  }

  void Feat(const toml::table& t, const std::string& w) {
    TableReader r(t, w, "feature", problems);
    ReleaseFeature f;
    f.id = r.Str("id", true);
    r.SetWhat("feature " + f.id);
    if (!f.id.empty() && !IsReleaseFeature(f.id)) {
      r.Problem("unknown feature '" + f.id + "' (known: " + ReleaseFeatureList() + ")");
    }
    f.families = r.StrList("families");
    if (f.families.empty()) r.Problem("'families' must name at least one family");
    f.since_label = r.Str("since", false);
    if (!f.since_label.empty()) f.since = r.VersionAt("since", false);
    f.settings = r.StrList("settings");
    f.source = r.Str("source", true);
    f.why = r.Str("why", false);
    f.status = r.Status();
    r.Finish();
    feature_where.push_back(w);
    cat.features.push_back(std::move(f));
  }

  void Mig(const toml::table& t, const std::string& w) {
    TableReader r(t, w, "migration", problems);
    cat.migrations.push_back(catalog_toml::ReadMigration(r));
    r.Finish();
    migration_where.push_back(w);
  }

  void Src(const toml::table& t, const std::string& w) {
    TableReader r(t, w, "source", problems);
    SourceTag s;
    s.tag = r.Str("tag", true);
    r.SetWhat("source " + s.tag);
    s.description = r.Str("description", false);
    std::string st = r.Str("strength", true);
    if (auto parsed = ParseFactStatus(st)) {
      s.strength = *parsed;
    } else if (!st.empty()) {
      r.Problem("unknown strength '" + st + "' (confirmed, secondary, inferred, uncertain)");
    }
    r.Finish();
    cat.sources.push_back(std::move(s));
  }

  void Key(const toml::table& t, const std::string& w) {
    TableReader r(t, w, "key", problems);
    SigningKey k;
    k.id = r.Str("id", true);
    r.SetWhat("key " + k.id);
    k.description = r.Str("description", false);
    k.source = r.Str("source", true);
    k.status = r.Status();
    r.Finish();
    cat.keys.push_back(std::move(k));
  }

  void Fam(const toml::table& t, const std::string& w) {
    TableReader r(t, w, "family", problems);
    Family f;
    f.id = r.Str("id", true);
    r.SetWhat("family " + f.id);
    f.line = r.Str("line", true);
    f.load_code = r.Str("load_code", false);
    f.protocols = r.Protocols("protocols");
    if (f.protocols.empty()) r.Problem("'protocols' must name at least one protocol");
    f.default_protocol = r.ProtocolAt("default_protocol", true);
    if (f.default_protocol != Protocol::kNone &&
        std::find(f.protocols.begin(), f.protocols.end(), f.default_protocol) ==
            f.protocols.end()) {
      r.Problem("default_protocol is not one of its protocols");
    }
    f.source = r.Str("source", true);
    f.note = r.Str("note", false);
    f.status = r.Status();
    r.Finish();
    cat.families.push_back(std::move(f));
  }

  void Mod(const toml::table& t, const std::string& w) {
    TableReader r(t, w, "model", problems);
    Model m;
    m.name = r.Str("name", true);
    r.SetWhat("model " + m.name);
    m.family = r.Str("family", false);
    m.vendor = r.Str("vendor", true);
    m.aliases = r.StrList("aliases");
    m.device_type = static_cast<int>(r.Int("device_type"));
    m.source = r.Str("source", true);
    m.status = r.Status();
    // max_profile_bytes: a number (as sure as the model) or {value, status, source}.
    m.max_profile_status = m.status;
    m.max_profile_source = m.source;
    if (const toml::node* n = r.Node("max_profile_bytes")) {
      if (const toml::table* t = n->as_table()) {
        m.max_profile_bytes =
            static_cast<int>(t->get("value") ? t->get("value")->value<int64_t>().value_or(0) : 0);
        if (m.max_profile_bytes <= 0)
          r.Problem("'max_profile_bytes' table needs a positive 'value'");
        auto st = t->get("status")
                      ? ParseFactStatus(t->get("status")->value<std::string>().value_or(""))
                      : std::optional<FactStatus>(m.status);
        if (!st) r.Problem("bad status in 'max_profile_bytes'");
        m.max_profile_status = st.value_or(FactStatus::kUncertain);
        if (auto src = t->get("source"))
          m.max_profile_source = src->value<std::string>().value_or("");
      } else {
        m.max_profile_bytes = static_cast<int>(n->value<int64_t>().value_or(0));
        if (!n->is_integer()) r.Problem("'max_profile_bytes' must be an integer or a table");
      }
    }
    r.Finish();
    model_where[m.name] = w;
    cat.models.push_back(std::move(m));
  }

  void Ld(const toml::table& t, const std::string& w) {
    TableReader r(t, w, "load", problems);
    Load l;
    l.family = r.Str("family", true);
    l.load = r.Str("load", true);
    r.SetWhat("load " + l.load);
    l.version_label = r.Str("version", true);
    if (!l.load.empty()) {
      if (auto v = ParseVersion(l.load)) {
        l.load_version = *v;
      } else {
        r.Problem(v.error().message);
      }
    }
    if (!l.version_label.empty()) {
      if (auto v = ParseVersion(l.version_label)) {
        l.version = *v;
      } else {
        r.Problem("'version': " + v.error().message);
      }
    }
    l.protocol = r.ProtocolAt("protocol", false);
    l.released = r.Str("released", false);
    l.chip = r.Str("chip", false);
    l.source = r.Str("source", true);
    l.note = r.Str("note", false);
    l.status = r.Status();
    l.access_source = r.Str("access_source", false);
    std::string access = r.Str("access", false);
    if (!access.empty() && l.access_source.empty()) {
      r.Problem("'access' needs an 'access_source' (where the download terms come from)");
    }
    if (!access.empty()) {
      if (auto a = ParseAccess(access)) {
        l.access = *a;
      } else {
        r.Problem("unknown access '" + access + "' (free, contract, unknown)");
      }
    }
    l.file_names = catalog_toml::ReadNames(r, "files", l);
    l.bundle_names = catalog_toml::ReadNames(r, "bundles", l);
    for (const auto& f : l.file_names) l.files.push_back(f.name);
    for (const auto& b : l.bundle_names) l.bundles.push_back(b.name);
    if (l.files.empty() && l.bundles.empty()) {
      r.Problem("'files' or 'bundles' must name at least one file");
    }
    ReleaseFacts own;
    ReadFacts(r, own, l.status, l.source, l.note, /*allow_tables=*/true);
    r.Finish();
    cat.loads.push_back(std::move(l));
    load_where.push_back(w);
    load_own.push_back(std::move(own));
  }

  void Rul(const toml::table& t, const std::string& w) {
    TableReader r(t, w, "rule", problems);
    Rule rule;
    rule.where = w;
    rule.families = r.StrList("families");
    if (rule.families.empty()) r.Problem("'families' must name at least one family");
    rule.protocols = r.Protocols("protocols");
    rule.from = r.VersionAt("from", false);
    rule.below = r.VersionAt("below", false);
    FactStatus status = r.Status();
    std::string source = r.Str("source", true);
    std::string why = r.Str("why", false);
    ReadFacts(r, rule.facts, status, source, why, /*allow_tables=*/false);
    bool any = false;
    VisitFacts(rule.facts, [&](const char*, const auto& fact) { any = any || fact.set; });
    if (!any) {
      r.Problem(
          "sets no fact (signed_with, accepts, rejects, min_from, roots, installs_from or "
          "doubt_from)");
    }
    if (rule.from && rule.below && Compare(*rule.from, *rule.below) >= 0) {
      r.Problem("empty range: 'from' is not below 'below'");
    }
    r.Finish();
    cat.rules.push_back(std::move(rule));
  }

  void Hw(const toml::table& t, const std::string& w) {
    TableReader r(t, w, "hardware", problems);
    HardwareMinimum h;
    h.models = r.StrList("models");
    h.revision = r.Str("revision", true);
    r.SetWhat("hardware " + h.revision);
    if (auto n = ParseHardwareRevision(h.revision)) {
      h.revision_number = *n;
    } else if (!h.revision.empty()) {
      r.Problem("revision '" + h.revision + "' is not of the form V<number>");
    }
    h.min_label = r.Str("min_version", true);
    if (auto v = r.VersionAt("min_version", false)) h.min_version = *v;
    h.source = r.Str("source", true);
    h.note = r.Str("note", false);
    h.status = r.Status();
    r.Finish();
    hardware_where.push_back(w);
    cat.hardware.push_back(std::move(h));
  }

  void Root(const toml::table& t, const std::string& w) {
    TableReader r(t, w, "root", problems);
    TrustRoot root;
    root.id = r.Str("id", true);
    r.SetWhat("root " + root.id);
    root.subject = r.Str("subject", true);
    root.sha1 = r.Str("sha1", true);
    root.sha256 = r.Str("sha256", false);
    if (!root.sha1.empty() && !IsHexFingerprint(root.sha1, 40)) {
      r.Problem("sha1 '" + root.sha1 + "' is not 40 hex digits");
    }
    if (!root.sha256.empty() && !IsHexFingerprint(root.sha256, 64)) {
      r.Problem("sha256 '" + root.sha256 + "' is not 64 hex digits");
    }
    root.not_after = r.Str("not_after", true);
    if (auto e = ParseUtc(root.not_after)) {
      root.not_after_epoch = *e;
    } else if (!root.not_after.empty()) {
      r.Problem("not_after '" + root.not_after + "' is not YYYY-MM-DDTHH:MM:SSZ");
    }
    root.source = r.Str("source", true);
    root.note = r.Str("note", false);
    root.status = r.Status();
    ReadBreaks(r, root);
    r.Finish();
    cat.roots.push_back(std::move(root));
  }

  // Cross-table checks and rule resolution; run after every document is read.
  void Resolve() {
    std::set<std::string> ids;
    auto unique = [&](const std::string& kind, const std::string& id) {
      if (!ids.insert(kind + "\x1f" + id).second)
        problems.push_back("duplicate " + kind + " '" + id + "'");
    };
    std::set<std::string> key_ids;
    for (const auto& k : cat.keys) {
      unique("key", k.id);
      key_ids.insert(k.id);
    }
    for (const auto& f : cat.families) unique("family", f.id);
    for (const auto& r : cat.roots) unique("root", r.id);

    std::map<std::string, std::string> names;  // lower-case name/alias -> model
    for (const auto& m : cat.models) {
      const std::string& w = model_where[m.name];
      if (!m.family.empty() && !cat.FindFamily(m.family)) {
        problems.push_back(w + ": model " + m.name + ": unknown family '" + m.family + "'");
      }
      std::vector<std::string> all = m.aliases;
      all.insert(all.begin(), m.name);
      for (const auto& a : all) {
        auto [it, fresh] = names.emplace(ToLower(a), m.name);
        if (!fresh && !(it->second == m.name && a != m.name)) {
          problems.push_back(w + ": model " + m.name + ": name or alias '" + a +
                             "' is already used by model " + it->second);
        }
      }
    }
    for (const auto& r : cat.rules) {
      for (const auto& f : r.families) {
        if (!cat.FindFamily(f)) problems.push_back(r.where + ": rule: unknown family '" + f + "'");
      }
      CheckFactRefs(r.facts, r.where + ": rule", key_ids);
    }
    for (size_t i = 0; i < cat.hardware.size(); ++i) {
      for (const auto& m : cat.hardware[i].models) {
        if (!names.count(ToLower(m)) || names[ToLower(m)] != m) {
          problems.push_back(hardware_where[i] + ": hardware " + cat.hardware[i].revision +
                             ": unknown model '" + m + "' (use the canonical name)");
        }
      }
    }
    for (size_t i = 0; i < cat.migrations.size(); ++i) {
      for (const auto& m : cat.migrations[i].models) {
        for (const std::string& name : {m, MigrationCounterpart(m, cat.migrations[i])}) {
          if (!names.count(ToLower(name)) || names[ToLower(name)] != name) {
            problems.push_back(migration_where[i] + ": migration: unknown model '" + name +
                               "' (use the canonical name)");
          }
        }
      }
    }
    std::set<std::string> feature_keys;  // one record per feature and family
    for (size_t i = 0; i < cat.features.size(); ++i) {
      const ReleaseFeature& f = cat.features[i];
      for (const auto& fam : f.families) {
        if (!cat.FindFamily(fam)) {
          problems.push_back(feature_where[i] + ": feature " + f.id + ": unknown family '" + fam +
                             "'");
        } else if (!feature_keys.insert(f.id + "\x1f" + fam).second) {
          problems.push_back(feature_where[i] + ": feature " + f.id + ": family " + fam +
                             " already has a record for it");
        }
      }
    }
    for (size_t i = 0; i < cat.advisories.size(); ++i) {
      for (const auto& fam : cat.advisories[i].families) {
        if (!cat.FindFamily(fam)) {
          problems.push_back(advisory_where[i] + ": advisory " + cat.advisories[i].id +
                             ": unknown family '" + fam + "'");
        }
      }
    }
    std::set<std::string> seen_loads, seen_releases;
    for (size_t i = 0; i < cat.loads.size(); ++i)
      ResolveLoad(i, key_ids, seen_loads, seen_releases);
  }

 private:
  std::map<std::string, std::string> model_where;
  std::vector<std::string> hardware_where;
  std::vector<std::string> migration_where;
  std::vector<std::string> feature_where;
  std::vector<std::string> advisory_where;

  void CheckFactRefs(const ReleaseFacts& f, const std::string& what,
                     const std::set<std::string>& key_ids) {
    if (f.signed_with.set && !key_ids.count(f.signed_with.value)) {
      problems.push_back(what + ": unknown key '" + f.signed_with.value + "' in signed_with");
    }
    for (const auto& k : f.accepts.value) {
      if (!key_ids.count(k)) problems.push_back(what + ": unknown key '" + k + "' in accepts");
    }
    for (const auto& k : f.rejects.value) {
      if (!key_ids.count(k)) problems.push_back(what + ": unknown key '" + k + "' in rejects");
    }
    for (const auto& id : f.roots.value) {
      if (!cat.FindRoot(id)) problems.push_back(what + ": unknown root '" + id + "' in roots");
    }
  }

  void ResolveLoad(size_t i, const std::set<std::string>& key_ids,
                   std::set<std::string>& seen_loads, std::set<std::string>& seen_releases) {
    Load& l = cat.loads[i];
    const std::string what = load_where[i] + ": load " + l.load;
    const Family* fam = cat.FindFamily(l.family);
    if (!fam) {
      problems.push_back(what + ": unknown family '" + l.family + "'");
      return;
    }
    if (l.load_version.scheme.empty() || l.version.scheme.empty()) return;  // already reported
    // The load name must agree with its family, protocol and release label.
    if (l.load_version.is_load()) {
      if (l.load_version.model_code != fam->load_code) {
        problems.push_back(what + ": model code '" + l.load_version.model_code +
                           "' does not match family " + fam->id + " (load_code '" + fam->load_code +
                           "')");
      }
      if (l.protocol == Protocol::kNone) {
        l.protocol = l.load_version.protocol;
      } else if (l.protocol != l.load_version.protocol) {
        problems.push_back(what + ": protocol '" + std::string(ProtocolName(l.protocol)) +
                           "' but the load name implies '" +
                           std::string(ProtocolName(l.load_version.protocol)) + "'");
      }
    } else if (!fam->load_code.empty()) {
      problems.push_back(what + ": family " + fam->id + " expects load names with code '" +
                         fam->load_code + "'");
    }
    if (l.protocol == Protocol::kNone) l.protocol = fam->default_protocol;
    if (std::find(fam->protocols.begin(), fam->protocols.end(), l.protocol) ==
        fam->protocols.end()) {
      problems.push_back(what + ": protocol '" + std::string(ProtocolName(l.protocol)) +
                         "' is not one of family " + fam->id + "'s");
    }
    if (!SameRelease(l.load_version, l.version)) {
      problems.push_back(what + ": load name release " + ReleaseLabel(l.load_version) +
                         " does not match version '" + l.version_label + "'");
    }
    if (!seen_loads.insert(ToLower(l.family + "/" + l.load)).second) {
      problems.push_back(what + ": duplicate load in family " + l.family);
    }
    std::string rel = l.family + "/" + std::string(ProtocolName(l.protocol)) + "/" +
                      ReleaseLabel(l.version) + "/" + l.version.letter;
    if (!seen_releases.insert(rel).second) {
      problems.push_back(what + ": a second " + std::string(ProtocolName(l.protocol)) +
                         " load for release " + l.version_label + " in family " + l.family);
    }
    // Facts: the load's own values over the rules; two rules may not set the same fact.
    const ReleaseFacts& own = load_own[i];
    CheckFactRefs(own, what, key_ids);
    VisitFacts(own, [&](const char* fact, const auto& f) {
      if (!f.set) return;
      if (auto p = StatusExceedsSources(cat.sources, f.status, f.source)) {
        problems.push_back(what + ": " + fact + ": " + *p);
      }
    });
    std::map<std::string, std::string> setters;
    for (const auto& r : cat.rules) {
      if (!r.Covers(l.family, l.protocol, l.version)) continue;
      VisitFactPairs(r.facts, own, [&](const char* fact, const auto& rf, const auto& of) {
        if (!rf.set || of.set) return;
        auto [it, fresh] = setters.emplace(fact, r.where);
        if (!fresh) {
          problems.push_back(what + ": both rules at " + it->second + " and " + r.where + " set '" +
                             fact + "'");
        }
      });
    }
    ReleaseFacts resolved = cat.RuleFacts(l.family, l.protocol, l.version);
    VisitFactPairs(own, resolved, [](const char*, const auto& o, auto& res) {
      if (o.set) res = o;
    });
    for (const auto& k : resolved.rejects.value) {
      if (std::find(resolved.accepts.value.begin(), resolved.accepts.value.end(), k) !=
          resolved.accepts.value.end()) {
        problems.push_back(what + ": key '" + k + "' both accepted and rejected");
      }
    }
    if (!resolved.signed_with.set)
      problems.push_back(what + ": no signed_with (no rule covers it)");
    if (!resolved.accepts.set) problems.push_back(what + ": no accepts (no rule covers it)");
    l.facts = std::move(resolved);
  }
};

// One file name, one size and one sha256 across the catalog (loads share images).
void CheckFileFacts(const Catalog& cat, Problems& problems) {
  std::map<std::string, std::pair<const FileName*, const Load*>> seen;
  for (const auto& l : cat.loads) {
    for (const auto* names : {&l.file_names, &l.bundle_names}) {
      for (const auto& f : *names) {
        if (f.size <= 0 && f.sha256.empty()) continue;
        auto [it, fresh] = seen.emplace(ToLower(f.name), std::make_pair(&f, &l));
        const FileName& o = *it->second.first;
        if (fresh || ((f.size <= 0 || o.size <= 0 || f.size == o.size) &&
                      (f.sha256.empty() || o.sha256.empty() || f.sha256 == o.sha256))) {
          continue;
        }
        problems.push_back("load " + l.family + "/" + l.load + ": file " + f.name +
                           ": size/sha256 differ from load " + it->second.second->family + "/" +
                           it->second.second->load + "'s");
      }
    }
  }
}

}  // namespace

Result<Catalog> LoadCatalog(const std::vector<EmbeddedFile>& sources) {
  Builder b;
  if (sources.empty()) b.problems.push_back("the catalog is empty: no TOML sources");
  for (const auto& s : sources) b.ReadDocument(s);
  b.Resolve();
  CheckFileFacts(b.cat, b.problems);
  for (auto& p : CheckSourceStrength(b.cat)) b.problems.push_back(std::move(p));
  if (!b.problems.empty()) {
    std::string msg = std::to_string(b.problems.size()) + " problem(s) in the catalog:";
    for (const auto& p : b.problems) msg += "\n  " + p;
    return BadInput(msg);
  }
  b.cat.Index();
  return std::move(b.cat);
}

}  // namespace stepup
