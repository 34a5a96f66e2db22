#include "core/device_json.h"

#include <algorithm>

#include "core/text.h"

namespace stepup {

bool IsSecretSetting(const std::string& key) {
  const std::string k = ToLower(key);
  for (const char* w : {"password", "passwd", "secret", "token", "key"}) {
    if (k.find(w) != std::string::npos) return true;
  }
  return false;
}

nlohmann::json DeviceToJson(const Device& d, bool show_secrets) {
  nlohmann::json settings = nlohmann::json::object();
  for (const auto& [k, v] : d.settings)
    settings[k] = show_secrets || !IsSecretSetting(k) ? v : "***";
  auto or_null = [](const std::string& s) {
    return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s);
  };
  return {{"mac", or_null(d.mac)},
          {"serial", or_null(d.serial)},
          {"model", d.model},
          {"protocol", or_null(d.protocol)},
          {"target", d.target},
          {"firmware", or_null(d.firmware)},
          {"hardware", or_null(d.hardware)},
          {"state", d.state},
          {"state_detail", d.state_detail},
          {"hold", d.hold},
          {"pending_load", or_null(d.pending_load)},
          {"pending_offers", d.pending_offers},
          {"excluded", d.excluded},
          {"firmware_source", or_null(d.firmware_source)},
          {"transport", or_null(d.transport)},
          {"candidates", d.candidates},
          {"settings", settings},
          {"created", d.created},
          {"updated", d.updated}};
}

nlohmann::json EventToJson(const Event& e) {
  nlohmann::json j = {{"time", e.time},
                      {"kind", e.kind},
                      {"detail", e.detail},
                      {"transport", e.transport},
                      {"peer", e.peer}};
  if (e.repeats > 0) {
    j["repeats"] = e.repeats;
    j["last_time"] = e.last_time;
  }
  return j;
}

nlohmann::json EventsToJson(const std::vector<Event>& events) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : events) out.push_back(EventToJson(e));
  return out;
}

}  // namespace stepup
