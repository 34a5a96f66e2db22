// JSON views of devices and events for `stepup device` and the admin API.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "core/device.h"

namespace stepup {

// Settings whose name says they are secret (password, secret, key, token) are shown as "***"
// unless show_secrets.
nlohmann::json DeviceToJson(const Device& d, bool show_secrets);
nlohmann::json EventToJson(const Event& e);
// A history as a JSON array, in its order (`device show --json`, the API).
nlohmann::json EventsToJson(const std::vector<Event>& events);
bool IsSecretSetting(const std::string& key);

}  // namespace stepup
