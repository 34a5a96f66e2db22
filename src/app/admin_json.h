// JSON answers of the admin API (app/admin_api.h): a body, an error naming what is wrong, and
// the status an Error kind maps to. Internal to app/admin_*.cc.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "app/request.h"
#include "core/result.h"
#include "core/text.h"

namespace stepup {

inline Response Json(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = body.dump() + "\n";
  return r;
}

inline Response JsonError(int status, const std::string& why) {
  Response r = Json(status, {{"error", why}});
  r.reason = why;
  return r;
}

// Bad input 400, an unknown device or model 404, a no-path 409, the database 503.
inline Response ErrorAnswer(const Error& e) {
  switch (e.kind) {
    case ErrorKind::kBadInput:
      return JsonError(400, e.message);
    case ErrorKind::kUnknown:
      return JsonError(404, e.message);
    case ErrorKind::kNoPath:
      return JsonError(409, e.message);
    case ErrorKind::kIo:
      break;
  }
  return JsonError(503, e.message);
}

}  // namespace stepup
