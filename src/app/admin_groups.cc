// The admin API's rollout groups (issue 18, item 4): list, create, read, change (target,
// window, pause/resume), delete, and "resync now" (app/admin_api.h has the table).
#include "app/admin_api.h"
#include "app/admin_json.h"
#include "app/device_input.h"
#include "app/provisioner.h"
#include "app/rollout_groups.h"

namespace stepup {
namespace {

// The JSON body's group fields; kBadInput naming the field.
Result<GroupChanges> Changes(const Request& req, bool create, std::string* name) {
  nlohmann::json j = nlohmann::json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return BadInput("body: not JSON");
  if (!j.is_object()) return BadInput("body: a JSON object is expected");
  GroupChanges c;
  for (const auto& [k, v] : j.items()) {
    if (k == "name" && create) {
      if (!v.is_string()) return BadInput("field \"name\" must be a string");
      *name = v.get<std::string>();
    } else if (k == "target" || k == "window") {
      if (!v.is_string() && !v.is_null())
        return BadInput("field \"" + k + "\" must be a string (or null to clear it)");
      (k == "target" ? c.target : c.window) = v.is_null() ? "" : v.get<std::string>();
    } else if (k == "paused") {
      if (!v.is_boolean()) return BadInput("field \"paused\" must be true or false");
      c.paused = v.get<bool>();
    } else if (k == "settings") {
      if (auto s = SettingsObject(v, c.set, &c.unset); !s) return s.error();
    } else {
      return BadInput("unknown field \"" + k.substr(0, 64) +
                      (create ? "\" (known: name, target, window, paused, settings)"
                              : "\" (known: target, window, paused, settings)"));
    }
  }
  if (create && name->empty()) return BadInput("field \"name\" is required");
  return c;
}

Error AsField(Error e, const char* field) {
  if (e.kind == ErrorKind::kBadInput) e.message = std::string("field \"") + field + "\": " + e.message;
  return e;
}

// Which field a change's error is about (ApplyGroupChanges names its own text).
Error FieldOf(Error e) {
  if (e.message.starts_with("target")) return AsField(std::move(e), "target");
  if (e.message.starts_with("window")) return AsField(std::move(e), "window");
  if (e.message.starts_with("group name")) return AsField(std::move(e), "name");
  return e;
}

}  // namespace

Result<RolloutGroup> AdminApi::FindGroup(const std::string& name) {
  auto groups = cfg_.inventory->Groups();
  if (!groups) return groups.error();
  for (auto& g : *groups) {
    if (g.name == name) return g;
  }
  return stepup::Unknown("no rollout group \"" + name.substr(0, 64) + "\"");
}

nlohmann::json AdminApi::GroupJson(const RolloutGroup& g, const std::vector<Device>& devices) {
  const int64_t now = cfg_.now_ms();
  return GroupToJson(g, ReportGroup(*Cat(), g, devices, now), now,
                     cfg_.provisioner ? static_cast<long>(cfg_.provisioner->HeldBy(g.name)) : -1);
}

Response AdminApi::ListGroups(const std::string&, const Request&) {
  auto groups = cfg_.inventory->Groups();
  if (!groups) return ErrorAnswer(groups.error());
  auto devices = cfg_.inventory->List();
  if (!devices) return ErrorAnswer(devices.error());
  nlohmann::json list = nlohmann::json::array();
  for (const auto& g : *groups) list.push_back(GroupJson(g, *devices));
  return Json(200, {{"groups", list}, {"unknown_groups", UnknownGroups(*groups, *devices)}});
}

Response AdminApi::CreateGroup(const std::string&, const Request& req) {
  std::string name;
  auto c = Changes(req, true, &name);
  if (!c) return ErrorAnswer(c.error());
  if (FindGroup(name)) return JsonError(409, "rollout group \"" + name + "\" exists already");
  RolloutGroup g;
  g.name = name;
  auto made = ApplyGroupChanges(*Cat(), g, *c, cfg_.now_ms());
  if (!made) return ErrorAnswer(FieldOf(made.error()));
  if (auto s = cfg_.inventory->PutGroup(*made); !s) return ErrorAnswer(s.error());
  if (cfg_.provisioner) cfg_.provisioner->GroupsChanged();
  auto devices = cfg_.inventory->List();
  if (!devices) return ErrorAnswer(devices.error());
  return Json(201, GroupJson(*made, *devices));
}

Response AdminApi::GetGroup(const std::string& key, const Request&) {
  auto g = FindGroup(key);
  if (!g) return ErrorAnswer(g.error());
  auto devices = cfg_.inventory->List();
  if (!devices) return ErrorAnswer(devices.error());
  return Json(200, GroupJson(*g, *devices));
}

Response AdminApi::UpdateGroup(const std::string& key, const Request& req) {
  auto g = FindGroup(key);
  if (!g) return ErrorAnswer(g.error());
  auto c = Changes(req, false, nullptr);
  if (!c) return ErrorAnswer(c.error());
  auto changed = ApplyGroupChanges(*Cat(), *g, *c, cfg_.now_ms());
  if (!changed) return ErrorAnswer(FieldOf(changed.error()));
  if (auto s = cfg_.inventory->PutGroup(*changed); !s) return ErrorAnswer(s.error());
  if (cfg_.provisioner) cfg_.provisioner->GroupsChanged();
  auto devices = cfg_.inventory->List();
  if (!devices) return ErrorAnswer(devices.error());
  return Json(200, GroupJson(*changed, *devices));
}

Response AdminApi::DeleteGroup(const std::string& key, const Request&) {
  if (auto s = cfg_.inventory->RemoveGroup(key); !s) return ErrorAnswer(s.error());
  if (cfg_.provisioner) cfg_.provisioner->GroupsChanged();
  return Json(200, {{"removed", key}});
}

Response AdminApi::ResyncGroup(const std::string& key, const Request&) {
  if (!cfg_.provisioner) return JsonError(503, "no provisioner to send resync triggers");
  auto g = FindGroup(key);
  if (!g) return ErrorAnswer(g.error());
  GroupChanges c;
  c.resync = true;
  auto changed = ApplyGroupChanges(*Cat(), *g, c, cfg_.now_ms());
  if (!changed) return ErrorAnswer(changed.error());
  if (auto s = cfg_.inventory->PutGroup(*changed); !s) return ErrorAnswer(s.error());
  const ResyncSummary r = cfg_.provisioner->TriggerGroup(key, "operator asked");
  return Json(200, {{"group", key},
                    {"sent", r.sent},
                    {"no_address", r.no_address},
                    {"cannot", r.cannot},
                    {"settled", r.settled}});
}

}  // namespace stepup
