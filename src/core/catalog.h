// The firmware catalog: models, families, loads and the range rules that give each load its
// facts (signing key, keys accepted once running, minimum starting release, trust roots).
// Built by catalog_loader.h from TOML data; immutable afterwards, so any number of threads may
// read one Catalog at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/version.h"

namespace stepup {

enum class FactStatus { kConfirmed, kSecondary, kInferred, kUncertain };

std::string_view FactStatusName(FactStatus s);
std::optional<FactStatus> ParseFactStatus(std::string_view s);
// Inferred and uncertain facts make a plan hop "uncertain".
inline bool IsShaky(FactStatus s) {
  return s == FactStatus::kInferred || s == FactStatus::kUncertain;
}
// Strength order: confirmed 3, secondary 2, inferred and uncertain 1.
inline int StatusRank(FactStatus s) {
  switch (s) {
    case FactStatus::kConfirmed:
      return 3;
    case FactStatus::kSecondary:
      return 2;
    default:
      return 1;
  }
}
// The weaker of two statuses (uncertain counts as weaker than inferred).
inline FactStatus Weaker(FactStatus a, FactStatus b) {
  if (StatusRank(a) != StatusRank(b)) return StatusRank(a) < StatusRank(b) ? a : b;
  return a == FactStatus::kUncertain ? a : b;
}

// One fact with its provenance. `set` is false when neither the load nor a rule gives it.
template <typename T>
struct Fact {
  T value{};
  bool set = false;
  FactStatus status = FactStatus::kConfirmed;
  std::string source;
  std::string why;  // prose for plan output (from the rule or the load's note)
};

// Whether an image can be downloaded without a service contract.
enum class Access { kUnknown, kFree, kContract };
std::string_view AccessName(Access a);  // "unknown", "free", "contract"
std::optional<Access> ParseAccess(std::string_view s);

// A file or bundle name with its own provenance: a name may be less sure than its load (a
// confirmed release whose image name follows a pattern nobody quoted).
struct FileName {
  std::string name;
  FactStatus status = FactStatus::kConfirmed;
  std::string source;  // "" only for an inferred name
  Access access = Access::kUnknown;
  int64_t size = 0;    // bytes, 0 when unknown; a file of another size is not on hand
  std::string sha1;    // hex, "" when unknown (recorded, not checked)
  std::string sha256;  // 64 lower-case hex digits, "" when unknown; checked when given
};

// A source tag ("WZ", "GH#", "seed") and the strongest status it can give a fact.
struct SourceTag {
  std::string tag, description;
  FactStatus strength = FactStatus::kConfirmed;
};

struct SigningKey {
  std::string id, description, source;
  FactStatus status = FactStatus::kConfirmed;
};

struct Family {
  std::string id, line, load_code, source, note;
  std::vector<Protocol> protocols;
  Protocol default_protocol = Protocol::kNone;
  FactStatus status = FactStatus::kConfirmed;
};

struct Model {
  std::string name, family, vendor, source;
  std::vector<std::string> aliases;
  int device_type = 0;
  int max_profile_bytes = 0;  // largest configuration the model accepts; 0: no known limit
  FactStatus max_profile_status = FactStatus::kConfirmed;
  std::string max_profile_source;
  FactStatus status = FactStatus::kConfirmed;
};

// The facts that hold for one release of one family in one protocol.
struct ReleaseFacts {
  Fact<std::string> signed_with;
  Fact<std::vector<std::string>> accepts;
  // Keys a release is reported to refuse. The planner never relies on it (a key not in
  // `accepts` is refused anyway); it carries its own status, since "accepts only the new key"
  // can be surer about what is accepted than about what is refused.
  Fact<std::vector<std::string>> rejects;
  Fact<std::optional<Version>> min_from;
  Fact<std::vector<std::string>> roots;
  // Field evidence for the hop itself: this image was reported installing on phones running
  // [value[0], value[1]) (value[1] optional). Such a hop rests on this fact, not on the key
  // and min_from facts that model why it works (a key inferred from "factory loads install
  // 8.5(2)" is less sure than the report it was inferred from).
  Fact<std::vector<Version>> installs_from;
  // Doubt about the hop itself: installing this image on a phone running [value[0],
  // value[1]) is not confirmed by any source (79xx sheet section 4: "whether 8.5(2) ->
  // 9.4(2) directly works: U"). Such a hop rests on this fact's (weak) status, so the
  // default policy refuses it and --allow-uncertain marks it.
  Fact<std::vector<Version>> doubt_from;
};

// Calls fn(name, fact) for each release fact of f, in a fixed order.
template <typename Facts, typename Fn>
void VisitFacts(Facts& f, Fn&& fn) {
  fn("signed_with", f.signed_with);
  fn("accepts", f.accepts);
  fn("rejects", f.rejects);
  fn("min_from", f.min_from);
  fn("roots", f.roots);
  fn("installs_from", f.installs_from);
  fn("doubt_from", f.doubt_from);
}
// Calls fn(name, a.fact, b.fact) for each release fact, pairing the same fact of a and b.
template <typename A, typename B, typename Fn>
void VisitFactPairs(A& a, B& b, Fn&& fn) {
  fn("signed_with", a.signed_with, b.signed_with);
  fn("accepts", a.accepts, b.accepts);
  fn("rejects", a.rejects, b.rejects);
  fn("min_from", a.min_from, b.min_from);
  fn("roots", a.roots, b.roots);
  fn("installs_from", a.installs_from, b.installs_from);
  fn("doubt_from", a.doubt_from, b.doubt_from);
}

struct Load {
  std::string family;
  std::string load;      // load name as the phone reports it
  Version load_version;  // parsed load name
  std::string version_label;
  Version version;  // parsed release label
  Protocol protocol = Protocol::kNone;
  std::vector<std::string> files, bundles;
  std::vector<FileName> file_names, bundle_names;  // parallel to files / bundles
  Access access = Access::kUnknown;                // default for its files and bundles
  std::string access_source;                       // where `access` comes from
  std::string released, source, note;
  FactStatus status = FactStatus::kConfirmed;
  ReleaseFacts facts;  // resolved: per-load values over rules
  // A build for one hardware variant (SPA112/122 1.3.5p: the Silicon Labs chip). A phone
  // running it is never given a build without this chip at or below its release.
  std::string chip;
};

struct Rule {
  std::vector<std::string> families;
  std::vector<Protocol> protocols;  // empty: all
  std::optional<Version> from, below;
  ReleaseFacts facts;  // only the facts this rule sets have set == true
  std::string where;   // "catalog/79xx.toml:12", for problem messages

  bool Covers(std::string_view family, Protocol p, const Version& v) const;
};

struct HardwareMinimum {
  std::vector<std::string> models;
  std::string revision;  // "V15"
  int revision_number = 0;
  std::string min_label;
  Version min_version;
  std::string source, note;
  FactStatus status = FactStatus::kConfirmed;
};

struct TrustRoot {
  std::string id, subject, sha1, sha256, not_after, source, note;
  int64_t not_after_epoch = 0;  // seconds since 1970-01-01T00:00:00Z
  FactStatus status = FactStatus::kConfirmed;
  // Capabilities (core/capability.h: "mra") known to fail on a phone whose trust store still
  // holds this root once it has expired, with their own status and source; empty when no
  // source ties the root to one.
  Fact<std::vector<std::string>> breaks;
};

// A release feature (core/capability.h: "https", "custom-ca", ...) of a family's releases: the
// first release that has it (`since`; releases below it lack it), or every catalogued release
// when `since` is unset. A family without a record for a feature is not judged: the catalog
// cannot tell, and nothing is withheld from its phones on that account.
struct ReleaseFeature {
  std::string id;
  std::vector<std::string> families;
  std::optional<Version> since;
  std::string since_label;  // as written
  std::vector<std::string> settings;  // the phone parameters that need it, for messages
  std::string source, why;
  FactStatus status = FactStatus::kConfirmed;
};

// A published vulnerability of a family's releases (`stepup audit`: firmware-advisory). It
// affects every release up to `through` (inclusive), or every release when `through` is unset;
// `fixed_in` names the first fixed release when one exists ("" : no fix).
struct Advisory {
  std::string id;  // "cisco-sa-...", or the CVE ids when the advisory's id is not known
  std::vector<std::string> families;
  std::optional<Version> through;
  std::string through_label, fixed_in;
  std::string severity;  // high | medium | low
  std::string summary, fix, source;
  FactStatus status = FactStatus::kConfirmed;
};

// Moving a phone between firmware lines (enterprise <-> MPP) as one planned hop. The MPP
// model of an enterprise model M is "M-3PCC" (the contract's canonical names).
struct Migration {
  std::vector<std::string> models;  // the models it applies to (enterprise or -3PCC names)
  Protocol from_protocol = Protocol::kSip, to_protocol = Protocol::kMpp;
  Version min_from;               // the phone must run at least this (enterprise)
  Version one_step_from;          // from here on, no transition load is needed
  std::optional<Version> min_to;  // the oldest target the one-step migration installs
  std::string min_from_label, one_step_label, min_to_label;
  std::vector<std::string> settings;  // KEY=VALUE the device needs for the migration
  bool factory_reset = false;
  std::string source, why;
  FactStatus status = FactStatus::kConfirmed;
};

// The model a migration moves `model` to: "M-3PCC" for one to MPP, "M" for "M-3PCC" back.
std::string MigrationCounterpart(const std::string& model, const Migration& m);

class Catalog {
 public:
  Catalog() = default;
  Catalog(const Catalog&) = delete;  // the indexes point into the vectors
  Catalog& operator=(const Catalog&) = delete;
  Catalog(Catalog&&) = default;
  Catalog& operator=(Catalog&&) = default;

  std::vector<SigningKey> keys;
  std::vector<Family> families;
  std::vector<Model> models;
  std::vector<Load> loads;
  std::vector<Rule> rules;
  std::vector<HardwareMinimum> hardware;
  std::vector<TrustRoot> roots;
  std::vector<SourceTag> sources;
  std::vector<Migration> migrations;
  std::vector<ReleaseFeature> features;
  std::vector<Advisory> advisories;

  // Builds the lookup indexes; the loader calls it once all tables are read.
  void Index();

  // Finds a model by canonical name or alias, case-insensitively; nullptr if unknown.
  const Model* FindModel(std::string_view name) const;
  const Family* FindFamily(std::string_view id) const;
  const TrustRoot* FindRoot(std::string_view id) const;
  // The record of a release feature for a family, or nullptr (not judged).
  const ReleaseFeature* FindFeature(std::string_view family, std::string_view id) const;
  // The advisories that affect a release of a family.
  std::vector<const Advisory*> AdvisoriesFor(std::string_view family, const Version& v) const;
  // Loads of a family, oldest first.
  const std::vector<const Load*>& LoadsOf(std::string_view family) const;
  // The load of a family with this exact load name (case-insensitive), or nullptr.
  const Load* FindLoad(std::string_view family, std::string_view load_name) const;
  // Facts the rules give a release (listed or not) of a family in a protocol.
  ReleaseFacts RuleFacts(std::string_view family, Protocol p, const Version& v) const;
  // The strictest minimum release for a model at a hardware revision ("V15"), if any.
  const HardwareMinimum* HardwareFloor(std::string_view model, std::string_view revision) const;

 private:
  std::unordered_map<std::string, size_t> model_index_;  // lower-case name/alias -> models[i]
  std::unordered_map<std::string, std::vector<const Load*>> family_loads_;
  std::unordered_map<std::string, const Load*> load_index_;  // "family\x1f" + lower-case load name
};

// "V15" -> 15; nullopt when not of the form V<digits> (case-insensitive).
std::optional<int> ParseHardwareRevision(std::string_view rev);

}  // namespace stepup

namespace stepup {

// True when `v` names this load: the same load name (build included) when `v` is a load
// name, else the same release (numbers, letter, service release).
bool LoadMatches(const Load& load, const Version& v);

// How the images of a load can be had: free when one of its bundles is free, or all of its
// files are; contract when none is free and one needs a contract; unknown otherwise.
Access LoadAccess(const Load& load);

// The names to fetch to make a load available, given the lower-case names on hand (nullptr:
// nothing is known to be on hand): the files still missing when some are there or no bundle
// is known, else its first bundle.
std::vector<std::string> FilesToFetch(const Load& load,
                                      const std::unordered_set<std::string>* lower_names);

// True when a load's images are among `names` (lower-case file names): one of its bundles, or
// all of its files.
bool LoadAvailable(const Load& load, const std::unordered_set<std::string>& lower_names);

// What the catalog says a file must be: its size and sha256 when recorded, with the source.
struct FileCheck {
  int64_t size = 0;    // 0: not checked
  std::string sha256;  // "": not checked
  std::string source;  // the load (and source) that records it, for messages
};
// Lower-case file or bundle name -> what it must be, for every name with a size or sha256.
std::unordered_map<std::string, FileCheck> FileChecks(const Catalog& catalog);

}  // namespace stepup
