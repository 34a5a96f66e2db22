// Reading helpers for the catalog's TOML tables: a table reader that reports unknown keys and
// typed values naming file and line, the release-fact reader, and value checks. Internal to
// catalog_loader.cc.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/catalog.h"

namespace stepup::catalog_toml {

using Problems = std::vector<std::string>;

std::string Where(const std::string& file, const toml::node& n);

// Reads one TOML table, remembering which keys were read so unknown ones can be reported.
class TableReader {
 public:
  TableReader(const toml::table& t, std::string where, std::string what, Problems& problems)
      : t_(t), where_(std::move(where)), what_(std::move(what)), problems_(problems) {}

  void Problem(const std::string& msg) { problems_.push_back(where_ + ": " + what_ + ": " + msg); }
  void SetWhat(std::string what) { what_ = std::move(what); }
  const std::string& where() const { return where_; }

  const toml::node* Node(std::string_view key) {
    known_.insert(std::string(key));
    return t_.get(key);
  }

  std::string Str(std::string_view key, bool required) {
    const toml::node* n = Node(key);
    if (!n) {
      if (required) Problem("missing required key '" + std::string(key) + "'");
      return {};
    }
    if (auto v = n->value<std::string>()) return *v;
    Problem("'" + std::string(key) + "' must be a string");
    return {};
  }

  std::vector<std::string> StrList(const toml::node* n, std::string_view key) {
    std::vector<std::string> out;
    if (!n) return out;
    const toml::array* a = n->as_array();
    if (!a) {
      Problem("'" + std::string(key) + "' must be an array of strings");
      return out;
    }
    for (const auto& el : *a) {
      if (auto v = el.value<std::string>()) {
        out.push_back(*v);
      } else {
        Problem("'" + std::string(key) + "' must contain only strings");
      }
    }
    return out;
  }
  std::vector<std::string> StrList(std::string_view key) { return StrList(Node(key), key); }

  int64_t Int(std::string_view key) {
    const toml::node* n = Node(key);
    if (!n) return 0;
    if (auto v = n->value<int64_t>()) return *v;
    Problem("'" + std::string(key) + "' must be an integer");
    return 0;
  }

  FactStatus Status(bool required = true) {
    std::string s = Str("status", required);
    if (s.empty()) return FactStatus::kConfirmed;
    if (auto st = ParseFactStatus(s)) return *st;
    Problem("unknown status '" + s + "' (confirmed, secondary, inferred, uncertain)");
    return FactStatus::kUncertain;
  }

  std::optional<Version> VersionAt(std::string_view key, bool required) {
    std::string s = Str(key, required);
    if (s.empty()) return std::nullopt;
    auto v = ParseVersion(s);
    if (!v) {
      Problem("'" + std::string(key) + "': " + v.error().message);
      return std::nullopt;
    }
    return *v;
  }

  Protocol ProtocolAt(std::string_view key, bool required) {
    std::string s = Str(key, required);
    if (s.empty()) return Protocol::kNone;
    if (auto p = ParseProtocol(s)) return *p;
    Problem("unknown protocol '" + s + "' in '" + std::string(key) + "' (sccp, sip, mpp)");
    return Protocol::kNone;
  }

  std::vector<Protocol> Protocols(std::string_view key) {
    std::vector<Protocol> out;
    for (const auto& s : StrList(key)) {
      if (auto p = ParseProtocol(s)) {
        out.push_back(*p);
      } else {
        Problem("unknown protocol '" + s + "' in '" + std::string(key) + "' (sccp, sip, mpp)");
      }
    }
    return out;
  }

  // Reports keys present in the table but never read.
  void Finish() {
    for (const auto& [k, _] : t_) {
      if (!known_.count(std::string(k.str())))
        Problem("unknown key '" + std::string(k.str()) + "'");
    }
  }

 private:
  const toml::table& t_;
  std::string where_, what_;
  Problems& problems_;
  std::set<std::string> known_;
};

// Reads the four release facts from a [[load]] (value or {value, status, source} table) or a
// [[rule]] (plain values; status, source and why come from the rule itself).
void ReadFacts(TableReader& r, ReleaseFacts& f, FactStatus status, const std::string& source,
               const std::string& why, bool allow_tables);

// A [[root]]'s `breaks`: a list of capability names (as sure as the root, citing its source)
// or a {value, status, source, why} table. Names must be known capabilities (capability.h).
void ReadBreaks(TableReader& r, TrustRoot& root);

// A load's `files` / `bundles`: each a name (as sure as its load, citing the load's source) or a
// table {name, status, source, access, size, sha1} for a name with its own provenance.
std::vector<FileName> ReadNames(TableReader& r, std::string_view key, const Load& l);

// A [[migration]] table (the caller runs Finish).
Migration ReadMigration(TableReader& r);

// Parses "2020-05-30T10:48:38Z" (UTC only) into epoch seconds.
std::optional<int64_t> ParseUtc(const std::string& s);

// True when s holds exactly `digits` hex digits (colons ignored).
bool IsHexFingerprint(const std::string& s, size_t digits);

// Calls fn(table, "file:line") for each [[key]] entry of doc; reports non-table entries.
template <typename Fn>
void EachTable(const toml::table& doc, std::string_view key, const std::string& file,
               Problems& problems, Fn fn) {
  const toml::node* n = doc.get(key);
  if (!n) return;
  const toml::array* a = n->as_array();
  if (!a) {
    problems.push_back(file + ": '" + std::string(key) + "' must be an array of tables ([[" +
                       std::string(key) + "]])");
    return;
  }
  for (const auto& el : *a) {
    if (const toml::table* t = el.as_table()) {
      fn(*t, Where(file, el));
    } else {
      problems.push_back(Where(file, el) + ": '" + std::string(key) + "' entries must be tables");
    }
  }
}

}  // namespace stepup::catalog_toml
