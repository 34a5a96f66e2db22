#include "app/settled_answers.h"

namespace stepup {

void SettledAnswers::Key(const Request& req, std::string& key) {
  key.clear();
  for (const std::string* part :
       {&req.transport, &req.method, &req.target, &req.user_agent, &req.cert_subject}) {
    key += *part;
    key += '\x1f';
  }
}

std::optional<std::pair<int64_t, Response>> SettledAnswers::Find(const Stamp& stamp) {
  if (stamp.devices_version < 0) return std::nullopt;  // the inventory could not say
  std::lock_guard lock(mu_);
  auto it = entries_.find(std::string_view(*stamp.key));
  if (it == entries_.end() || it->second.devices_version != stamp.devices_version ||
      it->second.firmware_generation != stamp.firmware_generation)
    return std::nullopt;
  return std::make_pair(it->second.device_id, it->second.response);
}

void SettledAnswers::Keep(const Stamp& stamp, int64_t device_id, const Response& r) {
  if (stamp.devices_version < 0) return;
  std::lock_guard lock(mu_);
  if (entries_.size() >= kMaxEntries) entries_.clear();  // refills from the next requests
  entries_.insert_or_assign(*stamp.key,
                            Entry{stamp.devices_version, stamp.firmware_generation, device_id, r});
}

}  // namespace stepup
