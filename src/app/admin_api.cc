#include "app/admin_api.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "core/device_json.h"
#include "core/identify.h"

namespace stepup {
namespace {

constexpr std::string_view kApi = "/api/v1/";

Response Json(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = body.dump() + "\n";
  return r;
}

Response JsonError(int status, const std::string& why) {
  Response r = Json(status, {{"error", why}});
  r.reason = why;
  return r;
}

// The routes this server has, as OpenAPI 3.0 (served without the token: a client discovers
// what to authenticate for).
nlohmann::json OpenApi() {
  const nlohmann::json bearer = nlohmann::json::array({{{"bearer", nlohmann::json::array()}}});
  const nlohmann::json errors = {
      {"401", {{"description", "missing or wrong Authorization: Bearer token"}}},
      {"429", {{"description", "too many failed attempts from this address"}}}};
  auto op = [&](const char* summary, const char* ok) {
    nlohmann::json responses = errors;
    responses["200"] = {{"description", ok}};
    return nlohmann::json{{"get", {{"summary", summary}, {"security", bearer},
                                   {"responses", responses}}}};
  };
  nlohmann::json show = op("One device with its history (events, newest last)", "the device");
  show["get"]["parameters"] = {{{"name", "key"},
                                {"in", "path"},
                                {"required", true},
                                {"description", "MAC (any common form) or serial"},
                                {"schema", {{"type", "string"}}}}};
  show["get"]["responses"]["404"] = {{"description", "no such device"}};
  return {{"openapi", "3.0.3"},
          {"info", {{"title", "stepup admin API"}, {"version", "1"}}},
          {"components",
           {{"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}}}},
          {"paths",
           {{"/api/v1/openapi.json", {{"get", {{"summary", "This document"},
                                               {"responses", {{"200", {{"description", "OpenAPI"}}}}}}}}},
            {"/api/v1/devices", op("Every device (secrets shown as ***)", "a list of devices")},
            {"/api/v1/devices/{key}", show}}}};
}

}  // namespace

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
  if (path == "/api/v1/openapi.json") return Json(200, OpenApi());
  if (!path.starts_with(kApi))  // /ui/ and /metrics: the fleet operations issue
    return JsonError(404, path + " is not served yet (the REST API has /api/v1/devices)");
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
  if (path == "/api/v1/devices") return Devices();
  if (path.starts_with("/api/v1/devices/")) return OneDevice(path.substr(16));
  return JsonError(404, "no such route: " + path.substr(0, 200));
}

Response AdminApi::Devices() {
  auto list = cfg_.inventory->List();
  if (!list) return JsonError(503, "inventory unavailable: " + list.error().message);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& d : *list) out.push_back(DeviceToJson(d, /*show_secrets=*/false));
  return Json(200, out);
}

Response AdminApi::OneDevice(const std::string& key) {
  const std::string mac = NormalizeMac(key);
  auto found = mac.empty() ? cfg_.inventory->FindBySerial(key) : cfg_.inventory->FindByMac(mac);
  if (!found) return JsonError(503, "inventory unavailable: " + found.error().message);
  if (!found->has_value()) return JsonError(404, "no device " + key.substr(0, 40));
  nlohmann::json j = DeviceToJson(**found, /*show_secrets=*/false);
  auto events = cfg_.inventory->Events((*found)->id);
  if (!events) return JsonError(503, "inventory unavailable: " + events.error().message);
  nlohmann::json ev = nlohmann::json::array();
  for (const auto& e : *events) ev.push_back(EventToJson(e));
  j["events"] = std::move(ev);
  return Json(200, j);
}

}  // namespace stepup
