// The admin side of the server (contract.md "Serving"): the /api/v1 routes an operator's tools
// call, behind a bearer token when one is set (issue 16), and the fleet operations on them
// (issue 18): devices (list with filters, create, get, update, delete), a device's plan,
// history and what the server learned of its firmware, the catalog, the firmware repository
// the security audit, and rollout groups (target, window, pause/resume, resync now). Every route is in one table (admin_api.cc), from which both the
// dispatch and /api/v1/openapi.json are made, so the document cannot drift from the routes.
//
// Where it answers is the server's choice (server/server.cc): on the HTTP listener when that
// is bound to loopback, and on `--admin ADDR:PORT`, which must be loopback unless a token is
// set. A wrong or missing token gets 401; an address that keeps failing is slowed, then
// refused (429), like one guessing MACs (app/probe_guard.h). Bad input gets 400 with a message
// naming the field.
//
// Thread-safe: the inventory and the provisioner are.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "app/inventory.h"
#include "app/probe_guard.h"
#include "app/request.h"
#include "core/catalog.h"

namespace stepup {

class Metrics;
class Provisioner;

struct AdminConfig {
  Inventory* inventory = nullptr;
  const Catalog* catalog = nullptr;
  Provisioner* provisioner = nullptr;  // plans and the firmware on hand; may be null in tests
  const Metrics* metrics = nullptr;    // /metrics; null: not served
  Settings defaults;                   // operator defaults (the audit reads them)
  std::string token;                   // "" : no token (the listener is loopback)
  ProbeLimits limits;                  // for failed authentication, per source address
  std::function<int64_t()> now_ms;
};

class AdminApi {
 public:
  explicit AdminApi(AdminConfig config);
  // Whether a request's path is an admin route (/api/v1/..., /ui/..., /metrics).
  static bool Routes(std::string_view target);
  Response Handle(const Request& req);
  // The OpenAPI 3.0 document of the routes.
  static nlohmann::json OpenApi();

  // One route: the method, the path pattern ("/api/v1/devices/{key}"), what OpenAPI says of
  // it, and the handler (path parameter, request).
  struct Route {
    const char* method;
    const char* path;
    const char* summary;
    const char* ok;    // the success status and what it returns: "200 the device"
    bool body = false;  // takes a JSON body
    Response (AdminApi::*handle)(const std::string& key, const Request& req);
  };
  static const std::vector<Route>& Table();

 private:
  // The catalog and operator defaults in use: the provisioner's (replaced on a reload), else
  // the configuration's.
  const stepup::Catalog* Cat() const;
  const Settings& Defaults() const;
  Response ListDevices(const std::string&, const Request& req);
  Response CreateDevice(const std::string&, const Request& req);
  Response GetDevice(const std::string& key, const Request& req);
  Response UpdateDevice(const std::string& key, const Request& req);
  Response DeleteDevice(const std::string& key, const Request& req);
  Response DevicePlan(const std::string& key, const Request& req);
  Response DeviceHistory(const std::string& key, const Request& req);
  Response DeviceFirmware(const std::string& key, const Request& req);
  Response Catalog(const std::string&, const Request& req);
  Response Firmware(const std::string&, const Request& req);
  Response Audit(const std::string&, const Request& req);
  Response ListGroups(const std::string&, const Request& req);
  Response CreateGroup(const std::string&, const Request& req);
  Response GetGroup(const std::string& key, const Request& req);
  Response UpdateGroup(const std::string& key, const Request& req);
  Response DeleteGroup(const std::string& key, const Request& req);
  Response ResyncGroup(const std::string& key, const Request& req);
  Result<RolloutGroup> FindGroup(const std::string& name);
  nlohmann::json GroupJson(const RolloutGroup& g, const std::vector<Device>& devices);
  Response Doc(const std::string&, const Request& req);
  Response MetricsText();
  Response Ui(const std::string& path);

  // Whether the request carries the token (constant time in its length).
  bool Authorized(const Request& req) const;

  AdminConfig cfg_;
  ProbeGuard failures_;
};

}  // namespace stepup
