// JSON answers of the admin API (app/admin_api.h): a body, an error naming what is wrong, and
// the status an Error kind maps to. Internal to app/admin_*.cc.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "app/device_input.h"
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

// A body's "settings" object into `set`: each value a string, checked (CheckSetting); with
// `removed`, a null removes that setting (PATCH). kBadInput naming the field.
inline Status SettingsObject(const nlohmann::json& v, Settings& set,
                             std::vector<std::string>* removed) {
  if (!v.is_object()) return BadInput("field \"settings\" must be an object of strings");
  for (const auto& [k, value] : v.items()) {
    if (value.is_null() && removed) {
      removed->push_back(k);
      continue;
    }
    if (!value.is_string())
      return BadInput("field \"settings\": \"" + k.substr(0, 64) + "\" must be a string");
    if (auto s = CheckSetting(k, value.get<std::string>()); !s)
      return BadInput("field \"settings\": " + s.error().message);
    set[k] = value.get<std::string>();
  }
  return Ok{};
}

}  // namespace stepup
