// The admin API's routes over devices, the catalog, the firmware on hand and the audit
// (app/admin_api.h has the table).
#include <algorithm>
#include <map>
#include <set>

#include "app/admin_api.h"
#include "app/admin_json.h"
#include "app/audit.h"
#include "app/device_input.h"
#include "app/provisioner.h"
#include "core/device_json.h"
#include "core/identify.h"
#include "core/plan_format.h"

namespace stepup {
namespace {

int FromHex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// The query string's parameters, %-decoded ('+' is a space); kBadInput for a malformed escape.
Result<std::map<std::string, std::string>> Query(const std::string& target) {
  std::map<std::string, std::string> out;
  const size_t q = target.find('?');
  if (q == std::string::npos) return out;
  auto decode = [](std::string_view s) -> std::optional<std::string> {
    std::string r;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '+') {
        r += ' ';
      } else if (s[i] == '%') {
        if (i + 2 >= s.size()) return std::nullopt;
        const int hi = FromHex(s[i + 1]), lo = FromHex(s[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        r += static_cast<char>(hi * 16 + lo);
        i += 2;
      } else {
        r += s[i];
      }
    }
    return r;
  };
  std::string_view rest(target);
  rest.remove_prefix(q + 1);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    std::string_view item = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    auto k = decode(item.substr(0, eq));
    auto v = decode(eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1));
    if (!k || !v) return BadInput("query: malformed %-escape in \"" + std::string(item) + "\"");
    out[*k] = *v;
  }
  return out;
}

// A JSON object body; kBadInput naming what is wrong.
Result<nlohmann::json> Body(const Request& req) {
  nlohmann::json j = nlohmann::json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return BadInput("body: not JSON");
  if (!j.is_object()) return BadInput("body: a JSON object is expected");
  return j;
}

// A string field of the body ("" when absent); kBadInput when of another type.
Status StringField(const nlohmann::json& j, const char* name, std::string& out) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return Ok{};
  if (!it->is_string()) return BadInput(std::string("field \"") + name + "\" must be a string");
  out = it->get<std::string>();
  return Ok{};
}

Status OnlyFields(const nlohmann::json& j, std::initializer_list<const char*> known) {
  for (const auto& item : j.items()) {
    const std::string& k = item.key();
    if (std::none_of(known.begin(), known.end(), [&](const char* f) { return k == f; })) {
      return BadInput("unknown field \"" + k.substr(0, 64) + "\" (known: " +
                      Join(std::vector<std::string>(known.begin(), known.end())) + ")");
    }
  }
  return Ok{};
}

// The settings object: each value a string (or null in a PATCH, to remove the setting).
Status SettingsField(const nlohmann::json& j, Settings& set, std::vector<std::string>* removed) {
  auto it = j.find("settings");
  return it == j.end() ? Status(Ok{}) : SettingsObject(*it, set, removed);
}

// MakeDevice's "--mac: ..." as the API's "field \"mac\": ...".
Error AsField(Error e) {
  if (e.message.starts_with("--")) {
    const size_t colon = e.message.find(':');
    if (colon != std::string::npos)
      e.message = "field \"" + e.message.substr(2, colon - 2) + "\"" + e.message.substr(colon);
  }
  return e;
}

Event ApiEvent(int64_t now_ms, const std::string& detail, const Request& req) {
  return {now_ms, "operator", detail, "api", req.peer};
}

}  // namespace

Response AdminApi::ListDevices(const std::string&, const Request& req) {
  auto q = Query(req.target);
  if (!q) return ErrorAnswer(q.error());
  static const std::set<std::string> kFilters = {"model", "firmware", "state", "target"};
  for (const auto& [k, _] : *q) {
    if (!kFilters.count(k))
      return JsonError(400, "unknown filter \"" + k.substr(0, 64) +
                                "\" (model, firmware, state, target)");
  }
  auto list = cfg_.inventory->List();
  if (!list) return ErrorAnswer(list.error());
  auto want = [&](const char* k, const std::string& v) {
    auto it = q->find(k);
    return it == q->end() || it->second == v;
  };
  const Model* model = nullptr;
  if (q->count("model")) {
    model = Cat() ? Cat()->FindModel(q->at("model")) : nullptr;
    if (!model) return JsonError(400, "filter \"model\": unknown model \"" + q->at("model") + "\"");
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& d : *list) {
    if (model && d.model != model->name) continue;
    if (!want("firmware", d.firmware) || !want("state", d.state) || !want("target", d.target))
      continue;
    out.push_back(DeviceToJson(d, /*show_secrets=*/false));
  }
  return Json(200, out);
}

Response AdminApi::CreateDevice(const std::string&, const Request& req) {
  auto j = Body(req);
  if (!j) return ErrorAnswer(j.error());
  if (auto s = OnlyFields(*j, {"mac", "serial", "model", "target", "protocol", "firmware",
                               "hardware", "settings"});
      !s)
    return ErrorAnswer(s.error());
  DeviceFields f;
  for (auto [name, into] : {std::pair{"mac", &f.mac}, std::pair{"serial", &f.serial},
                            std::pair{"model", &f.model}, std::pair{"target", &f.target},
                            std::pair{"protocol", &f.protocol}, std::pair{"firmware", &f.firmware},
                            std::pair{"hardware", &f.hardware}}) {
    if (auto s = StringField(*j, name, *into); !s) return ErrorAnswer(s.error());
  }
  if (f.target.empty()) f.target = "latest";
  if (auto s = SettingsField(*j, f.settings, nullptr); !s) return ErrorAnswer(s.error());
  if (!Cat()) return JsonError(503, "no catalog");
  auto d = MakeDevice(*Cat(), f, cfg_.now_ms() / 1000);
  if (!d) {
    Error e = AsField(d.error());
    if (e.kind == ErrorKind::kUnknown) e.kind = ErrorKind::kBadInput;  // a field's value
    return ErrorAnswer(e);
  }
  auto stored = cfg_.inventory->Add(*d);
  if (!stored) {
    // A MAC or serial already enrolled is a conflict, not bad input.
    if (stored.error().kind == ErrorKind::kBadInput) return JsonError(409, stored.error().message);
    return ErrorAnswer(stored.error());
  }
  (void)cfg_.inventory->AppendEvent(stored->id, ApiEvent(cfg_.now_ms(), "enrolled", req));
  return Json(201, DeviceToJson(*stored, /*show_secrets=*/false));
}

Response AdminApi::GetDevice(const std::string& key, const Request&) {
  auto d = cfg_.inventory->FindByKey(key);
  if (!d) return ErrorAnswer(d.error());
  nlohmann::json j = DeviceToJson(*d, /*show_secrets=*/false);
  auto events = cfg_.inventory->Events(d->id);
  if (!events) return ErrorAnswer(events.error());
  j["events"] = EventsToJson(*events);
  return Json(200, j);
}

Response AdminApi::UpdateDevice(const std::string& key, const Request& req) {
  auto j = Body(req);
  if (!j) return ErrorAnswer(j.error());
  if (auto s = OnlyFields(*j, {"target", "protocol", "firmware", "hardware", "hold", "settings"});
      !s)
    return ErrorAnswer(s.error());
  auto found = cfg_.inventory->FindByKey(key);
  if (!found) return ErrorAnswer(found.error());
  if (!Cat()) return JsonError(503, "no catalog");
  Device d = *found;
  DeviceChanges c;
  for (auto [name, into] : {std::pair{"target", &c.target}, std::pair{"protocol", &c.protocol},
                            std::pair{"firmware", &c.firmware}, std::pair{"hardware", &c.hardware}}) {
    if (!j->contains(name)) continue;
    std::string value;
    if (auto s = StringField(*j, name, value); !s) return ErrorAnswer(s.error());
    *into = value;
  }
  if (auto it = j->find("hold"); it != j->end()) {
    if (!it->is_boolean()) return JsonError(400, "field \"hold\" must be true or false");
    c.hold = it->get<bool>();
  }
  if (auto s = SettingsField(*j, c.set, &c.unset); !s) return ErrorAnswer(s.error());
  auto applied = ApplyDeviceChanges(*Cat(), d, c, [](std::string_view field) {
    return "field \"" + std::string(field) + "\": ";
  });
  if (!applied) return ErrorAnswer(applied.error());
  const std::vector<std::string>& changes = *applied;
  if (changes.empty()) return JsonError(400, "body: nothing to change");
  d.updated = cfg_.now_ms() / 1000;
  if (auto s = cfg_.inventory->Update(d); !s) return ErrorAnswer(s.error());
  (void)cfg_.inventory->AppendEvent(d.id, ApiEvent(cfg_.now_ms(), Join(changes), req));
  return Json(200, DeviceToJson(d, /*show_secrets=*/false));
}

Response AdminApi::DeleteDevice(const std::string& key, const Request&) {
  auto d = cfg_.inventory->FindByKey(key);
  if (!d) return ErrorAnswer(d.error());
  auto events = cfg_.inventory->Events(d->id);
  if (auto s = cfg_.inventory->Remove(d->id); !s) return ErrorAnswer(s.error());
  return Json(200, {{"removed", d->key()},
                    {"events_removed", events ? static_cast<int64_t>(events->size()) : -1}});
}

Response AdminApi::DevicePlan(const std::string& key, const Request&) {
  auto d = cfg_.inventory->FindByKey(key);
  if (!d) return ErrorAnswer(d.error());
  if (!cfg_.provisioner) return JsonError(503, "no provisioner");
  if (d->firmware.empty()) {
    return Json(200, {{"status", "unknown-firmware"},
                      {"reason", "what it runs is not known yet: the server narrows it down from "
                                 "what the phone asks for (GET .../firmware)"},
                      {"candidates", d->candidates}});
  }
  auto plan = cfg_.provisioner->PlanFor(*d);
  if (!plan) return ErrorAnswer(plan.error());
  return Json(200, PlanToJson(*plan));
}

Response AdminApi::DeviceHistory(const std::string& key, const Request&) {
  auto d = cfg_.inventory->FindByKey(key);
  if (!d) return ErrorAnswer(d.error());
  auto events = cfg_.inventory->Events(d->id);
  if (!events) return ErrorAnswer(events.error());
  return Json(200, EventsToJson(*events));
}

Response AdminApi::DeviceFirmware(const std::string& key, const Request&) {
  auto d = cfg_.inventory->FindByKey(key);
  if (!d) return ErrorAnswer(d.error());
  auto or_null = [](const std::string& s) {
    return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s);
  };
  return Json(200, {{"firmware", or_null(d->firmware)},
                    {"source", or_null(d->firmware_source)},
                    {"known", !d->firmware.empty()},
                    {"candidates", d->candidates},
                    {"pending_load", or_null(d->pending_load)},
                    {"excluded", d->excluded}});
}

Response AdminApi::Catalog(const std::string&, const Request& req) {
  if (!Cat()) return JsonError(503, "no catalog");
  const stepup::Catalog& cat = *Cat();
  auto q = Query(req.target);
  if (!q) return ErrorAnswer(q.error());
  if (auto it = q->find("model"); it != q->end()) {
    const Model* m = cat.FindModel(it->second);
    if (!m) return JsonError(404, "unknown model \"" + it->second.substr(0, 64) + "\"");
    nlohmann::json loads = nlohmann::json::array();
    for (const Load* l : cat.LoadsOf(m->family)) loads.push_back(LoadToJson(*l, *m));
    return Json(200, {{"model", m->name}, {"family", m->family}, {"loads", loads}});
  }
  nlohmann::json families = nlohmann::json::array();
  for (const auto& f : cat.families) {
    nlohmann::json models = nlohmann::json::array();
    for (const auto& m : cat.models)
      if (m.family == f.id) models.push_back(m.name);
    const auto& loads = cat.LoadsOf(f.id);
    families.push_back({{"id", f.id},
                        {"line", f.line},
                        {"models", models},
                        {"loads", loads.size()},
                        {"newest", loads.empty() ? nlohmann::json(nullptr)
                                                 : nlohmann::json(loads.back()->load)}});
  }
  return Json(200, {{"families", families},
                    {"models", cat.models.size()},
                    {"loads", cat.loads.size()}});
}

Response AdminApi::Firmware(const std::string&, const Request&) {
  if (!Cat()) return JsonError(503, "no catalog");
  auto on_hand = cfg_.provisioner ? cfg_.provisioner->AvailableLoads() : nullptr;
  nlohmann::json families = nlohmann::json::array();
  int present = 0, missing = 0;
  for (const auto& f : Cat()->families) {
    nlohmann::json have = nlohmann::json::array(), lack = nlohmann::json::array();
    for (const Load* l : Cat()->LoadsOf(f.id)) {
      if (!on_hand || on_hand->count(l)) {
        have.push_back(l->load);
        ++present;
      } else {
        lack.push_back(l->load);
        ++missing;
      }
    }
    families.push_back({{"family", f.id}, {"present", have}, {"missing", lack}});
  }
  return Json(200, {{"checked", on_hand != nullptr},
                    {"present", present},
                    {"missing", missing},
                    {"families", families}});
}

Response AdminApi::Audit(const std::string&, const Request&) {
  if (!Cat()) return JsonError(503, "no catalog");
  auto list = cfg_.inventory->List();
  if (!list) return ErrorAnswer(list.error());
  AuditSetup setup{Cat(), Defaults(), cfg_.now_ms() / 1000};
  std::vector<DeviceAudit> audits;
  for (const auto& d : *list) {
    auto events = cfg_.inventory->Events(d.id);
    if (!events) return ErrorAnswer(events.error());
    audits.push_back(AuditDevice(setup, d, *events));
  }
  Response r = Json(200, nlohmann::json::parse(AuditJson(audits)));
  return r;
}

}  // namespace stepup
