#include "core/catalog_toml.h"

#include <cctype>
#include <cstdio>
#include <ctime>

#include "core/capability.h"
#include "core/text.h"

namespace stepup::catalog_toml {

std::string Where(const std::string& file, const toml::node& n) {
  return file + ":" + std::to_string(n.source().begin.line);
}

void ReadFacts(TableReader& r, ReleaseFacts& f, FactStatus status, const std::string& source,
               const std::string& why, bool allow_tables) {
  auto read = [&](std::string_view key, auto& fact, auto convert) {
    const toml::node* n = r.Node(key);
    if (!n) return;
    fact.set = true;
    fact.status = status;
    fact.source = source;
    fact.why = why;
    const toml::node* value = n;
    if (const toml::table* t = n->as_table(); t && allow_tables) {
      value = t->get("value");
      for (const auto& [k, _] : *t) {
        std::string ks(k.str());
        if (ks != "value" && ks != "status" && ks != "source" && ks != "why") {
          r.Problem("unknown key '" + ks + "' in '" + std::string(key) + "'");
        }
      }
      if (!value) {
        r.Problem("'" + std::string(key) + "' table needs a 'value'");
        fact.set = false;
        return;
      }
      if (auto s = t->get("status")) {
        auto st = ParseFactStatus(s->value<std::string>().value_or(""));
        if (st) {
          fact.status = *st;
        } else {
          r.Problem("bad status in '" + std::string(key) + "'");
        }
      }
      if (auto s = t->get("source")) fact.source = s->value<std::string>().value_or(source);
      if (auto s = t->get("why")) fact.why = s->value<std::string>().value_or(why);
    }
    convert(*value, fact);
  };
  read("signed_with", f.signed_with, [&](const toml::node& v, Fact<std::string>& fact) {
    if (auto s = v.value<std::string>()) {
      fact.value = *s;
    } else {
      r.Problem("'signed_with' must be a key id");
      fact.set = false;
    }
  });
  read("accepts", f.accepts, [&](const toml::node& v, Fact<std::vector<std::string>>& fact) {
    fact.value = r.StrList(&v, "accepts");
  });
  read("rejects", f.rejects, [&](const toml::node& v, Fact<std::vector<std::string>>& fact) {
    fact.value = r.StrList(&v, "rejects");
  });
  // [from] or [from, below): a range of running releases (installs_from, doubt_from).
  auto range = [&](const char* key) {
    return [&r, key](const toml::node& v, Fact<std::vector<Version>>& fact) {
      for (const auto& s : r.StrList(&v, key)) {
        auto parsed = ParseVersion(s);
        if (parsed) {
          fact.value.push_back(*parsed);
        } else {
          r.Problem("'" + std::string(key) + "': " + parsed.error().message);
        }
      }
      if (fact.value.empty() || fact.value.size() > 2) {
        r.Problem("'" + std::string(key) + "' is [from] or [from, below]");
        fact.set = false;
      }
    };
  };
  read("installs_from", f.installs_from, range("installs_from"));
  read("doubt_from", f.doubt_from, range("doubt_from"));
  read("roots", f.roots, [&](const toml::node& v, Fact<std::vector<std::string>>& fact) {
    fact.value = r.StrList(&v, "roots");
  });
  read("min_from", f.min_from, [&](const toml::node& v, Fact<std::optional<Version>>& fact) {
    auto s = v.value<std::string>();
    auto parsed = s ? ParseVersion(*s) : Result<Version>(BadInput("'min_from' must be a string"));
    if (parsed) {
      fact.value = *parsed;
    } else {
      r.Problem("'min_from': " + parsed.error().message);
      fact.set = false;
    }
  });
}

void ReadBreaks(TableReader& r, TrustRoot& root) {
  const toml::node* n = r.Node("breaks");
  if (!n) return;
  Fact<std::vector<std::string>>& f = root.breaks;
  f.set = true;
  f.status = root.status;
  f.source = root.source;
  const toml::node* value = n;
  if (const toml::table* t = n->as_table()) {
    for (const auto& [k, _] : *t) {
      std::string ks(k.str());
      if (ks != "value" && ks != "status" && ks != "source" && ks != "why") {
        r.Problem("unknown key '" + ks + "' in 'breaks'");
      }
    }
    value = t->get("value");
    if (!value) {
      r.Problem("'breaks' table needs a 'value'");
      f.set = false;
      return;
    }
    if (const toml::node* s = t->get("status")) {
      if (auto st = ParseFactStatus(s->value<std::string>().value_or(""))) {
        f.status = *st;
      } else {
        r.Problem("bad status in 'breaks'");
      }
    }
    // A table gives the link its own provenance: it must say where it comes from.
    if (const toml::node* s = t->get("source")) {
      f.source = s->value<std::string>().value_or("");
    } else {
      r.Problem("'breaks' table needs a 'source'");
    }
    if (const toml::node* s = t->get("why")) f.why = s->value<std::string>().value_or("");
  }
  f.value = r.StrList(value, "breaks");
  for (const auto& c : f.value) {
    if (!IsKnownCapability(c)) {
      r.Problem("unknown capability '" + c + "' in 'breaks' (known: " + KnownCapabilityList() +
                ")");
    }
  }
}

namespace {

// size: a positive integer; sha1 / sha256: 40 / 64 hex digits. Errors name the entry.
void CheckSizeAndHashes(TableReader& r, const toml::table& t, std::string_view key, FileName& f) {
  const std::string what = "'" + std::string(key) + "' entry " + f.name + ": ";
  if (const toml::node* sz = t.get("size")) {
    f.size = sz->value<int64_t>().value_or(0);
    if (!sz->is_integer() || f.size <= 0) {
      r.Problem(what + "'size' must be a positive integer (bytes)");
      f.size = 0;
    }
  }
  auto hex = [&](const char* k, size_t digits, std::string& out) {
    const toml::node* h = t.get(k);
    if (!h) return;
    out = ToLower(h->value<std::string>().value_or(""));
    if (out.size() != digits || !IsHexFingerprint(out, digits)) {
      r.Problem(what + "'" + k + "' must be " + std::to_string(digits) + " hex digits");
      out.clear();
    }
  };
  hex("sha1", 40, f.sha1);
  hex("sha256", 64, f.sha256);
}

}  // namespace

// files / bundles: each a name (as sure as its load, citing the load's source) or a table
// {name, status, source, access, size, sha1, sha256} for a name with its own provenance.
std::vector<FileName> ReadNames(TableReader& r, std::string_view key, const Load& l) {
  std::vector<FileName> out;
  const toml::node* n = r.Node(key);
  if (!n) return out;
  const toml::array* a = n->as_array();
  if (!a) {
    r.Problem("'" + std::string(key) + "' must be an array");
    return out;
  }
  for (const auto& el : *a) {
    FileName f;
    f.status = l.status;
    f.access = l.access;
    if (auto v = el.value<std::string>()) {
      f.name = *v;
      f.source = l.source;
    } else if (const toml::table* t = el.as_table()) {
      for (const auto& [k, _] : *t) {
        std::string ks(k.str());
        if (ks != "name" && ks != "status" && ks != "source" && ks != "access" && ks != "size" &&
            ks != "sha1" && ks != "sha256") {
          r.Problem("unknown key '" + ks + "' in a '" + std::string(key) + "' entry");
        }
      }
      f.name = t->get("name") ? t->get("name")->value<std::string>().value_or("") : "";
      if (f.name.empty()) r.Problem("a '" + std::string(key) + "' entry needs a 'name'");
      if (auto st = t->get("status")) {
        if (auto parsed = ParseFactStatus(st->value<std::string>().value_or(""))) {
          f.status = *parsed;
        } else {
          r.Problem("bad status for " + f.name);
        }
      }
      if (auto src = t->get("source")) f.source = src->value<std::string>().value_or("");
      if (auto ac = t->get("access")) {
        if (auto parsed = ParseAccess(ac->value<std::string>().value_or(""))) {
          f.access = *parsed;
        } else {
          r.Problem("bad access for " + f.name + " (free, contract, unknown)");
        }
      }
      CheckSizeAndHashes(r, *t, key, f);
    } else {
      r.Problem("'" + std::string(key) + "' entries must be names or tables");
      continue;
    }
    out.push_back(std::move(f));
  }
  return out;
}

Migration ReadMigration(TableReader& r) {
  Migration m;
  m.models = r.StrList("models");
  if (m.models.empty()) r.Problem("'models' must name at least one model");
  m.from_protocol = r.ProtocolAt("from_protocol", true);
  m.to_protocol = r.ProtocolAt("to_protocol", true);
  m.min_from_label = r.Str("min_from", true);
  m.one_step_label = r.Str("one_step_from", true);
  m.min_to_label = r.Str("min_to", false);
  if (auto v = ParseVersion(m.min_from_label))
    m.min_from = *v;
  else if (!m.min_from_label.empty())
    r.Problem("'min_from': " + v.error().message);
  if (auto v = ParseVersion(m.one_step_label))
    m.one_step_from = *v;
  else if (!m.one_step_label.empty())
    r.Problem("'one_step_from': " + v.error().message);
  if (auto v = ParseVersion(m.min_to_label))
    m.min_to = *v;
  else if (!m.min_to_label.empty())
    r.Problem("'min_to': " + v.error().message);
  m.settings = r.StrList("settings");
  if (const toml::node* n = r.Node("factory_reset"))
    m.factory_reset = n->value<bool>().value_or(false);
  m.source = r.Str("source", true);
  m.why = r.Str("why", false);
  m.status = r.Status();
  return m;
}

std::optional<int64_t> ParseUtc(const std::string& s) {
  std::tm tm{};
  int y, mo, d, h, mi, se;
  char z = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &se, &z) != 7 ||
      z != 'Z' || s.size() != 20) {
    return std::nullopt;
  }
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = se;
  return static_cast<int64_t>(timegm(&tm));
}

bool IsHexFingerprint(const std::string& s, size_t digits) {
  size_t n = 0;
  for (char c : s) {
    if (c == ':') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
    ++n;
  }
  return n == digits;
}

}  // namespace stepup::catalog_toml
