// The admin side of the server (contract.md "Serving"): the /api/v1 routes an operator's tools
// call, behind a bearer token when one is set. This issue builds the listener's gate and the
// read-only routes (openapi.json, devices, one device); the rest of the REST API, /ui/ and
// /metrics come with fleet operations.
//
// Where it answers is the server's choice (server/server.cc): on the HTTP listener when that
// is bound to loopback, and on `--admin ADDR:PORT`, which must be loopback unless a token is
// set. A wrong or missing token gets 401; an address that keeps failing is slowed, then
// refused (429), like one guessing MACs (app/probe_guard.h).
//
// Thread-safe: the inventory is.
#pragma once

#include <string>
#include <string_view>

#include "app/inventory.h"
#include "app/probe_guard.h"
#include "app/request.h"

namespace stepup {

struct AdminConfig {
  Inventory* inventory = nullptr;
  std::string token;  // "" : no token (the listener is loopback)
  ProbeLimits limits;  // for failed authentication, per source address
  std::function<int64_t()> now_ms;
};

class AdminApi {
 public:
  explicit AdminApi(AdminConfig config);
  // Whether a request's path is an admin route (/api/v1/..., /ui/..., /metrics).
  static bool Routes(std::string_view target);
  Response Handle(const Request& req);

 private:
  Response Devices();
  Response OneDevice(const std::string& key);
  // Whether the request carries the token (constant time in its length).
  bool Authorized(const Request& req) const;

  AdminConfig cfg_;
  ProbeGuard failures_;
};

}  // namespace stepup
