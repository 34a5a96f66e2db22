#include "app/admin_api.h"

#include <chrono>

#include "app/admin_json.h"
#include "core/embedded_files.h"
#include "app/metrics.h"
#include "app/provisioner.h"

namespace stepup {
namespace {

constexpr std::string_view kApi = "/api/v1/";

// "/api/v1/devices/{key}/plan" against "/api/v1/devices/00562b043615/plan": the {key} part,
// or nullopt when the path is not of this pattern. A key holds no '/'.
std::optional<std::string> Match(std::string_view pattern, std::string_view path) {
  const size_t open = pattern.find('{');
  if (open == std::string_view::npos) {
    if (pattern == path) return std::string();
    return std::nullopt;
  }
  const size_t close = pattern.find('}', open);
  std::string_view head = pattern.substr(0, open), tail = pattern.substr(close + 1);
  if (path.size() <= head.size() + tail.size() || !path.starts_with(head) || !path.ends_with(tail))
    return std::nullopt;
  std::string_view key = path.substr(head.size(), path.size() - head.size() - tail.size());
  if (key.find('/') != std::string_view::npos) return std::nullopt;
  return std::string(key);
}

}  // namespace

const std::vector<AdminApi::Route>& AdminApi::Table() {
  static const std::vector<Route> kRoutes = {
      {"GET", "/api/v1/openapi.json", "This document (no token needed)", "200 OpenAPI 3.0", false,
       &AdminApi::Doc},
      {"GET", "/api/v1/devices",
       "Devices (secrets shown as ***); filters: model, firmware, state, target (exact match)",
       "200 a list of devices", false, &AdminApi::ListDevices},
      {"POST", "/api/v1/devices",
       "Enrol a device: {mac|serial, model, target?, protocol?, firmware?, hardware?, settings?}",
       "201 the device", true, &AdminApi::CreateDevice},
      {"GET", "/api/v1/devices/{key}", "One device with its history (events, oldest first)",
       "200 the device", false, &AdminApi::GetDevice},
      {"PATCH", "/api/v1/devices/{key}",
       "Change a device: {target?, protocol?, firmware?, hardware?, hold?, settings?: {KEY: "
       "value, or null to remove}}",
       "200 the device", true, &AdminApi::UpdateDevice},
      {"DELETE", "/api/v1/devices/{key}", "Remove a device and its history", "200 what was removed",
       false, &AdminApi::DeleteDevice},
      {"GET", "/api/v1/devices/{key}/plan",
       "The plan the server follows for it now (the planner's JSON, as `stepup plan --json`)",
       "200 the plan", false, &AdminApi::DevicePlan},
      {"GET", "/api/v1/devices/{key}/history", "Its events, oldest first", "200 a list of events",
       false, &AdminApi::DeviceHistory},
      {"GET", "/api/v1/devices/{key}/firmware",
       "What the server knows of its firmware: the load, where that came from, and while it is "
       "unknown the loads it may still run",
       "200 the firmware facts", false, &AdminApi::DeviceFirmware},
      {"GET", "/api/v1/catalog",
       "The firmware catalog: families with their loads, models (?model= for one model's loads)",
       "200 the catalog", false, &AdminApi::Catalog},
      {"GET", "/api/v1/firmware",
       "The firmware repository against the catalog: per family, the loads on hand and missing",
       "200 the repository", false, &AdminApi::Firmware},
      {"GET", "/api/v1/audit", "The security audit of every device (as `stepup audit --json`)",
       "200 the audit", false, &AdminApi::Audit},
      {"GET", "/api/v1/groups",
       "Rollout groups with their members by state, phones held back, and targets behind the "
       "newest catalogued release; devices naming a group that does not exist",
       "200 the groups", false, &AdminApi::ListGroups},
      {"POST", "/api/v1/groups",
       "Create a rollout group: {name, target?, window? (HH:MM-HH:MM UTC), paused?, settings? "
       "(its members' defaults: handoff_url...)}; devices join it by their `group` setting",
       "201 the group", true, &AdminApi::CreateGroup},
      {"GET", "/api/v1/groups/{key}", "One rollout group", "200 the group", false,
       &AdminApi::GetGroup},
      {"PATCH", "/api/v1/groups/{key}",
       "Change a group: {target?, window? (null or \"\" removes it), paused? (false resumes, "
       "and its phones are asked to resync)}",
       "200 the group", true, &AdminApi::UpdateGroup},
      {"DELETE", "/api/v1/groups/{key}",
       "Remove a group (its devices follow their own targets again)", "200 what was removed",
       false, &AdminApi::DeleteGroup},
      {"POST", "/api/v1/groups/{key}/resync",
       "Ask the group's phones not yet at target to resync now (SPA/MPP resync URL)",
       "200 how many were asked", false, &AdminApi::ResyncGroup},
  };
  return kRoutes;
}

nlohmann::json AdminApi::OpenApi() {
  const nlohmann::json bearer = nlohmann::json::array({{{"bearer", nlohmann::json::array()}}});
  nlohmann::json paths = nlohmann::json::object();
  for (const auto& r : Table()) {
    std::string method = ToLower(r.method);
    nlohmann::json op = {{"summary", r.summary}};
    const std::string ok = r.ok;
    op["responses"][ok.substr(0, 3)] = {{"description", ok.substr(4)}};
    if (std::string_view(r.path) != "/api/v1/openapi.json") {
      op["security"] = bearer;
      op["responses"]["401"] = {{"description", "missing or wrong Authorization: Bearer token"}};
      op["responses"]["429"] = {{"description", "too many failed attempts from this address"}};
    }
    if (std::string_view(r.path).find("{key}") != std::string_view::npos) {
      const bool group = std::string_view(r.path).starts_with("/api/v1/groups/");
      op["parameters"] = {{{"name", "key"},
                           {"in", "path"},
                           {"required", true},
                           {"description", group ? "the group's name" : "MAC (any common form) or serial"},
                           {"schema", {{"type", "string"}}}}};
      op["responses"]["404"] = {{"description", group ? "no such group" : "no such device"}};
    }
    if (r.body) {
      op["requestBody"] = {
          {"required", true},
          {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}};
      op["responses"]["400"] = {{"description", "bad input, naming the field"}};
    }
    paths[r.path][method] = std::move(op);
  }
  return {{"openapi", "3.0.3"},
          {"info", {{"title", "stepup admin API"}, {"version", "1"}}},
          {"components",
           {{"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}}}},
          {"paths", paths}};
}

const stepup::Catalog* AdminApi::Cat() const {
  return cfg_.provisioner ? &cfg_.provisioner->catalog() : cfg_.catalog;
}

const Settings& AdminApi::Defaults() const {
  return cfg_.provisioner ? cfg_.provisioner->defaults() : cfg_.defaults;
}

AdminApi::AdminApi(AdminConfig config) : cfg_(std::move(config)), failures_(cfg_.limits) {
  if (!cfg_.now_ms) {
    cfg_.now_ms = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
}

bool AdminApi::Routes(std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  return path.starts_with(kApi) || path == "/api/v1" || path == "/ui" || path.starts_with("/ui/") ||
         path == "/metrics";
}

bool AdminApi::Authorized(const Request& req) const {
  if (cfg_.token.empty()) return true;
  const std::string want = "Bearer " + cfg_.token;
  const std::string& got = req.authorization;
  unsigned char diff = got.size() == want.size() ? 0 : 1;
  for (size_t i = 0; i < want.size(); ++i)
    diff |= static_cast<unsigned char>(want[i] ^ (i < got.size() ? got[i] : 0));
  return diff == 0;
}

Response AdminApi::Handle(const Request& req) {
  const std::string path = req.target.substr(0, req.target.find('?'));
  if (path == "/api/v1/openapi.json" && req.method == "GET") return Json(200, OpenApi());
  if (path == "/ui" || path.starts_with("/ui/")) return Ui(path);
  if (!path.starts_with(kApi) && path != "/metrics")
    return JsonError(404, "no such route: " + path.substr(0, 200));
  int64_t retry_after_s = 0;
  std::optional<ProbeGuard::Summary> summary;
  if (failures_.Refused(req.peer_ip, cfg_.now_ms(), retry_after_s, summary)) {
    return JsonError(429, "too many failed attempts from " + req.peer_ip + "; retry in " +
                              std::to_string(retry_after_s) + " s");
  }
  if (!Authorized(req)) {
    Response r = JsonError(401, req.authorization.empty()
                                    ? "this route needs Authorization: Bearer TOKEN"
                                    : "wrong token");
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"stepup\"");
    r.delay_ms = failures_.Failure(req.peer_ip, cfg_.now_ms()).delay_ms;
    return r;
  }
  const std::string method = req.method == "HEAD" ? "GET" : req.method;
  if (path == "/metrics") {
    if (method != "GET") return JsonError(405, "/metrics takes GET");
    return MetricsText();
  }
  std::vector<std::string> allowed;
  for (const auto& r : Table()) {
    auto key = Match(r.path, path);
    if (!key) continue;
    if (method != r.method) {
      allowed.push_back(r.method);
      continue;
    }
    if (r.body && !req.content_type.starts_with("application/json"))
      return JsonError(415, std::string(r.method) + " " + r.path +
                                " takes a JSON body (Content-Type: application/json)");
    if (!cfg_.provisioner) return (this->*r.handle)(*key, req);
    auto pin = cfg_.provisioner->Pin();  // the catalog and defaults stay put (a reload waits)
    return (this->*r.handle)(*key, req);
  }
  if (!allowed.empty()) {
    Response r = JsonError(405, req.method + " is not allowed on " + path.substr(0, 200) +
                                    " (allowed: " + Join(allowed) + ")");
    r.headers.emplace_back("Allow", Join(allowed));
    return r;
  }
  return JsonError(404, "no such route: " + path.substr(0, 200));
}

Response AdminApi::Doc(const std::string&, const Request&) { return Json(200, OpenApi()); }

// The dashboard's files need no token (they hold no data; what they read from the API does).
Response AdminApi::Ui(const std::string& path) {
  std::string name = path.size() <= 4 ? "index.html" : path.substr(4);
  if (name.empty()) name = "index.html";
  for (const auto& f : BundledUi()) {
    if (f.name != name) continue;
    Response r;
    r.content_type = name.ends_with(".html") ? "text/html; charset=utf-8"
                     : name.ends_with(".js") ? "text/javascript; charset=utf-8"
                     : name.ends_with(".css") ? "text/css; charset=utf-8"
                                              : "application/octet-stream";
    r.body = f.text;
    return r;
  }
  return JsonError(404, "no such dashboard file: " + name.substr(0, 100));
}

Response AdminApi::MetricsText() {
  if (!cfg_.metrics) return JsonError(404, "/metrics is not kept by this server");
  std::map<std::string, int64_t> by_state;
  auto list = cfg_.inventory->List();
  if (!list) return ErrorAnswer(list.error());
  for (const auto& d : *list) ++by_state[d.state];
  Response r;
  r.content_type = "text/plain; version=0.0.4";  // the text exposition format's media type
  r.body = cfg_.metrics->Render(by_state);
  return r;
}

}  // namespace stepup
