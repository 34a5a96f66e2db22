#include "store/inventory_export.h"

#include <map>
#include <nlohmann/json.hpp>
#include <set>

namespace stepup {
namespace {

using nlohmann::json;

json DeviceRecord(const Device& d) {
  return {{"type", "device"},
          {"id", d.id},
          {"mac", d.mac},
          {"serial", d.serial},
          {"model", d.model},
          {"protocol", d.protocol},
          {"target", d.target},
          {"firmware", d.firmware},
          {"hardware", d.hardware},
          {"settings", d.settings},
          {"state", d.state},
          {"state_detail", d.state_detail},
          {"hold", d.hold},
          {"pending_load", d.pending_load},
          {"pending_offers", d.pending_offers},
          {"excluded", d.excluded},
          {"candidates", d.candidates},
          {"firmware_source", d.firmware_source},
          {"transport", d.transport},
          {"created", d.created},
          {"updated", d.updated}};
}

json EventFields(const Event& e) {
  return {{"time", e.time},
          {"kind", e.kind},
          {"detail", e.detail},
          {"transport", e.transport},
          {"peer", e.peer}};
}

// Reads one record's fields, remembering the first problem (named by file, line and key).
class Fields {
 public:
  Fields(const json& j, std::string where) : j_(j), where_(std::move(where)) {}

  std::string Str(const char* key) {
    const json* v = Get(key, json::value_t::string);
    return v ? v->get<std::string>() : "";
  }
  int64_t Int(const char* key) {
    seen_.insert(key);
    auto it = j_.find(key);
    if (it == j_.end() || !it->is_number_integer()) {
      Problem(key, "an integer");
      return 0;
    }
    return it->get<int64_t>();
  }
  bool Bool(const char* key) {
    const json* v = Get(key, json::value_t::boolean);
    return v && v->get<bool>();
  }
  std::vector<std::string> Strings(const char* key) {
    std::vector<std::string> out;
    const json* v = Get(key, json::value_t::array);
    if (!v) return out;
    for (const auto& s : *v) {
      if (!s.is_string()) {
        Problem(key, "a list of strings");
        return {};
      }
      out.push_back(s.get<std::string>());
    }
    return out;
  }
  Settings Map(const char* key) {
    Settings out;
    const json* v = Get(key, json::value_t::object);
    if (!v) return out;
    for (const auto& [k, s] : v->items()) {
      if (!s.is_string()) {
        Problem(key, "an object of strings");
        return {};
      }
      out[k] = s.get<std::string>();
    }
    return out;
  }
  // The first problem, or one naming a key this reader did not ask for.
  Status Done() {
    if (!problem_.empty()) return BadInput(problem_);
    for (const auto& [k, v] : j_.items()) {
      if (k != "type" && !seen_.count(k)) return BadInput(where_ + ": unknown key \"" + k + "\"");
    }
    return Ok{};
  }

 private:
  const json* Get(const char* key, json::value_t type) {
    seen_.insert(key);
    auto it = j_.find(key);
    if (it == j_.end() || it->type() != type) {
      Problem(key, type == json::value_t::string    ? "a string"
                   : type == json::value_t::boolean ? "true or false"
                   : type == json::value_t::array   ? "a list"
                                                    : "an object");
      return nullptr;
    }
    return &*it;
  }
  void Problem(const char* key, const char* want) {
    if (problem_.empty())
      problem_ =
          where_ + ": \"" + key + "\" is " + (j_.contains(key) ? "not " : "missing; want ") + want;
  }

  const json& j_;
  std::string where_;
  std::set<std::string> seen_;
  std::string problem_;
};

Event ReadEvent(Fields& f) {
  Event e;
  e.time = f.Int("time");
  e.kind = f.Str("kind");
  e.detail = f.Str("detail");
  e.transport = f.Str("transport");
  e.peer = f.Str("peer");
  return e;
}

}  // namespace

std::string ExportToJsonLines(const InventoryDump& dump, int64_t schema) {
  std::string out = json{{"stepup_export", kExportFormat}, {"schema", schema},
                         {"devices", dump.devices.size()}, {"events", dump.events.size()},
                         {"unknown", dump.unknown.size()}, {"groups", dump.groups.size()}}
                        .dump() +
                    "\n";
  for (const auto& d : dump.devices) out += DeviceRecord(d).dump() + "\n";
  for (const auto& [id, e] : dump.events) {
    json j = EventFields(e);
    j["type"] = "event";
    j["device"] = id;
    j["repeats"] = e.repeats;
    j["last_time"] = e.last_time;
    out += j.dump() + "\n";
  }
  for (const auto& a : dump.unknown) {
    json j = EventFields(a.event);
    j["type"] = "unknown";
    j["claimed"] = a.claimed;
    out += j.dump() + "\n";
  }
  for (const auto& g : dump.groups) {
    out += json{{"type", "group"},        {"name", g.name},       {"target", g.target},
                {"window", g.window},     {"paused", g.paused},   {"resync_at", g.resync_at},
                {"settings", g.settings}, {"created", g.created}, {"updated", g.updated}}
               .dump() +
           "\n";
  }
  return out;
}

Result<InventoryDump> ImportFromJsonLines(std::string_view text, const std::string& name) {
  InventoryDump dump;
  std::map<std::string, int64_t> declared;
  size_t line_no = 0;
  bool header = false;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const std::string where = name + ":" + std::to_string(line_no);
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return BadInput(where + ": not a JSON object");
    if (!header) {
      auto format = j.find("stepup_export");
      if (format == j.end() || !format->is_number_integer())
        return BadInput(where + ": not a stepup export (its first line has no \"stepup_export\")");
      if (format->get<int64_t>() != kExportFormat)
        return BadInput(where + ": export format " + format->dump() + " (this stepup reads " +
                        std::to_string(kExportFormat) + ")");
      for (const char* k : {"devices", "events", "unknown", "groups"}) {
        auto n = j.find(k);
        if (n == j.end() || !n->is_number_unsigned())
          return BadInput(where + ": the header's \"" + k + "\" count is missing");
        declared[k] = n->get<int64_t>();
      }
      header = true;
      continue;
    }
    auto type = j.find("type");
    if (type == j.end() || !type->is_string()) return BadInput(where + ": no \"type\"");
    const std::string t = type->get<std::string>();
    Fields f(j, where);
    if (t == "device") {
      Device d;
      d.id = f.Int("id");
      d.mac = f.Str("mac");
      d.serial = f.Str("serial");
      d.model = f.Str("model");
      d.protocol = f.Str("protocol");
      d.target = f.Str("target");
      d.firmware = f.Str("firmware");
      d.hardware = f.Str("hardware");
      d.settings = f.Map("settings");
      d.state = f.Str("state");
      d.state_detail = f.Str("state_detail");
      d.hold = f.Bool("hold");
      d.pending_load = f.Str("pending_load");
      d.pending_offers = static_cast<int>(f.Int("pending_offers"));
      d.excluded = f.Strings("excluded");
      d.candidates = f.Strings("candidates");
      d.firmware_source = f.Str("firmware_source");
      d.transport = f.Str("transport");
      d.created = f.Int("created");
      d.updated = f.Int("updated");
      if (auto s = f.Done(); !s) return s.error();
      dump.devices.push_back(std::move(d));
    } else if (t == "event") {
      const int64_t device = f.Int("device");
      Event e = ReadEvent(f);
      e.repeats = f.Int("repeats");
      e.last_time = f.Int("last_time");
      if (auto s = f.Done(); !s) return s.error();
      dump.events.emplace_back(device, std::move(e));
    } else if (t == "unknown") {
      UnknownAttempt a{ReadEvent(f), f.Str("claimed")};
      if (auto s = f.Done(); !s) return s.error();
      dump.unknown.push_back(std::move(a));
    } else if (t == "group") {
      RolloutGroup g;
      g.name = f.Str("name");
      g.target = f.Str("target");
      g.window = f.Str("window");
      g.paused = f.Bool("paused");
      g.resync_at = f.Int("resync_at");
      g.settings = f.Map("settings");
      g.created = f.Int("created");
      g.updated = f.Int("updated");
      if (auto s = f.Done(); !s) return s.error();
      dump.groups.push_back(std::move(g));
    } else {
      return BadInput(where + ": unknown record type \"" + t + "\"");
    }
  }
  if (!header) return BadInput(name + ": empty (not a stepup export)");
  const std::map<std::string, size_t> got{{"devices", dump.devices.size()},
                                          {"events", dump.events.size()},
                                          {"unknown", dump.unknown.size()},
                                          {"groups", dump.groups.size()}};
  for (const auto& [k, n] : got) {
    if (static_cast<int64_t>(n) != declared[k])
      return BadInput(name + ": the header counts " + std::to_string(declared[k]) + " " + k +
                      " records, the file holds " + std::to_string(n) + " (truncated?)");
  }
  return dump;
}

}  // namespace stepup
