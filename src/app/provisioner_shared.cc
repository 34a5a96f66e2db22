// Nodes sharing one fleet (app/shared_state.h): the provisioner's working state between a
// phone's requests (which device was seen last at an address, what it downloaded of its hop,
// its boots, offers whose outcome teaches what it runs) is brought in from the shared state
// for one address at a time, and written back when the work on it ends. What stays in each
// process: the settled-answer cache (checked against the inventory's version), phone-page
// reads under way, the probe guard's counts, hops held back by a group (for the node's own
// metrics) and which secrets-sent events it wrote (another node may write one more).
#include <nlohmann/json.hpp>

#include "app/provisioner.h"

namespace stepup {
namespace {

// The addresses this thread holds (nested entry points do not hold them again).
thread_local std::vector<std::pair<const void*, std::string>> held_addresses;

nlohmann::json Pair(const std::pair<int64_t, std::string>& p) { return {p.first, p.second}; }

std::pair<int64_t, std::string> PairOf(const nlohmann::json& j) {
  return {j.at(0).get<int64_t>(), j.at(1).get<std::string>()};
}

}  // namespace

Provisioner::AddressScope::AddressScope(Provisioner& p, const std::string& ip) : p_(p), ip_(ip) {
  if (!p_.cfg_.shared || ip_.empty()) return;
  for (const auto& [owner, held] : held_addresses) {
    if (owner == &p_ && held == ip_) return;
  }
  auto lease = p_.cfg_.shared->Hold(ip_);
  if (!lease) {
    ok_ = false;
    return;
  }
  lease_ = std::move(lease).value();
  p_.PutState(ip_, lease_->Stored());
  held_addresses.emplace_back(&p_, ip_);
}

Provisioner::AddressScope::~AddressScope() {
  if (!lease_) return;
  std::optional<int64_t> due;
  std::string state = p_.TakeState(ip_, due);
  if (state != lease_->Stored()) (void)lease_->Write(state, due);
  std::erase_if(held_addresses, [&](const auto& h) { return h.first == &p_ && h.second == ip_; });
}

std::string Provisioner::TakeState(const std::string& ip, std::optional<int64_t>& due) {
  std::set<int64_t> here;
  {
    std::lock_guard lock(addresses_mu_);
    for (auto it = addresses_.begin(); it != addresses_.end();) {
      if (it->second == ip) {
        here.insert(it->first);
        it = addresses_.erase(it);
      } else {
        ++it;
      }
    }
  }
  nlohmann::json out = nlohmann::json::object();
  if (auto seen = seen_.TakeSlice(ip); !seen.is_null()) out["seen"] = std::move(seen);
  if (auto ledger = ledger_.TakeSlice(ip, here); !ledger.is_null()) out["ledger"] = std::move(ledger);
  {
    const std::string prefix = ip + '\0';
    nlohmann::json boots = nlohmann::json::array();
    std::lock_guard lock(seen_mu_);
    for (auto it = boots_.begin(); it != boots_.end();) {
      if (it->first.rfind(prefix, 0) == 0) {
        boots.push_back({std::stoll(it->first.substr(prefix.size())), it->second});
        it = boots_.erase(it);
      } else {
        ++it;
      }
    }
    if (!boots.empty()) out["boots"] = std::move(boots);
  }
  nlohmann::json per_device = nlohmann::json::array();
  {
    std::lock_guard lock(learn_mu_);
    auto take = [](auto& map, int64_t id, nlohmann::json& j, const char* key, auto&& as_json) {
      auto it = map.find(id);
      if (it == map.end()) return;
      j[key] = as_json(it->second);
      map.erase(it);
    };
    auto same = [](const auto& v) { return nlohmann::json(v); };
    auto when = [&](const std::pair<int64_t, std::string>& p) {
      const int64_t at = p.first + cfg_.learn_after_ms;
      due = due ? std::min(*due, at) : at;
      return Pair(p);
    };
    for (int64_t id : here) {
      nlohmann::json j = {{"id", id}};
      take(uncertain_offers_, id, j, "uncertain", when);
      take(quiet_targets_, id, j, "quiet", when);
      take(unlearned_asks_, id, j, "unlearned", same);
      take(last_offer_, id, j, "last_offer", same);
      take(doubts_, id, j, "doubts", same);
      // When its page was read (or a read began): another node does not read it again sooner.
      // A read under way stays here too, for the requests of this node that wait for it.
      if (auto p = probes_.find(id); p != probes_.end()) {
        j["probed_at"] = p->second.at_ms;
        if (!p->second.in_flight) probes_.erase(p);
      }
      per_device.push_back(std::move(j));
    }
  }
  if (!per_device.empty()) out["devices"] = std::move(per_device);
  return out.empty() ? "" : out.dump();
}

void Provisioner::PutState(const std::string& ip, const std::string& state) {
  if (state.empty()) return;
  try {
    const nlohmann::json in = nlohmann::json::parse(state);
    seen_.PutSlice(ip, in.value("seen", nlohmann::json()));
    ledger_.PutSlice(ip, in.value("ledger", nlohmann::json()));
    {
      std::lock_guard lock(seen_mu_);
      for (const auto& b : in.value("boots", nlohmann::json::array()))
        boots_[ip + '\0' + std::to_string(b.at(0).get<int64_t>())] = b.at(1).get<int64_t>();
    }
    for (const auto& j : in.value("devices", nlohmann::json::array())) {
      const int64_t id = j.at("id").get<int64_t>();
      {
        std::lock_guard lock(addresses_mu_);
        addresses_[id] = ip;
      }
      std::lock_guard lock(learn_mu_);
      if (j.contains("uncertain")) uncertain_offers_[id] = PairOf(j["uncertain"]);
      if (j.contains("quiet")) quiet_targets_[id] = PairOf(j["quiet"]);
      if (j.contains("unlearned")) unlearned_asks_[id] = j["unlearned"].get<int>();
      if (j.contains("last_offer")) last_offer_[id] = j["last_offer"].get<int64_t>();
      if (j.contains("doubts")) doubts_[id] = j["doubts"].get<int>();
      if (j.contains("probed_at")) {
        PhoneProbe& p = probes_[id];
        if (!p.in_flight) p.at_ms = j["probed_at"].get<int64_t>();
      }
    }
  } catch (const nlohmann::json::exception&) {
    // Not what this code writes (another version's, or damaged): the address starts afresh,
    // as after a restart of a single server.
  }
}

bool Provisioner::TakeSlot(int64_t device, int64_t now) {
  if (!cfg_.shared || slots_.cap() <= 0) return slots_.Take(device, now);
  auto taken = cfg_.shared->TakeSlot(device, slots_.cap(), now, slots_.hold_ms());
  return taken && *taken;  // the database unreachable: no download starts
}

void Provisioner::RefreshSlot(int64_t device, int64_t now) {
  if (!cfg_.shared || slots_.cap() <= 0) return slots_.Refresh(device, now);
  (void)cfg_.shared->RefreshSlot(device, now, slots_.hold_ms());
}

void Provisioner::ReleaseSlot(int64_t device) {
  if (!cfg_.shared || slots_.cap() <= 0) return slots_.Release(device);
  (void)cfg_.shared->ReleaseSlot(device);
}

bool Provisioner::AtAddress(int64_t device, const std::string* ip) {
  if (!ip) return true;
  std::lock_guard lock(addresses_mu_);
  auto it = addresses_.find(device);
  return it != addresses_.end() && it->second == *ip;
}

}  // namespace stepup
