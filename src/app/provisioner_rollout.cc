// The rollout's part of the walk (core/rollout.h): which group a device is in, what target
// the walk plans for, whether a hop may be offered now, and the resync triggers that bring a
// group's phones at once when the operator resumes it, its window opens, or asks for it.
#include <algorithm>

#include "app/identity_check.h"
#include "app/provisioner.h"
#include "app/rollout_groups.h"

namespace stepup {

std::shared_ptr<const Provisioner::GroupMap> Provisioner::Groups(bool fresh) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(groups_mu_);
  // Re-read at most every 200 ms (a paused group takes effect within that), or at once when
  // this process changed one (GroupsChanged).
  if (!groups_ || fresh || now - groups_read_ >= std::chrono::milliseconds(200)) {
    auto read = cfg_.inventory->Groups();
    if (read || !groups_) {
      auto map = std::make_shared<GroupMap>();
      if (read) {
        for (auto& g : *read) map->emplace(g.name, std::move(g));
      }
      groups_ = std::move(map);
    }
    groups_read_ = now;
  }
  return groups_;
}

void Provisioner::GroupsChanged() {
  std::lock_guard lock(groups_mu_);
  groups_read_ = {};
}

RolloutView Provisioner::Rollout(const Device& d, const GroupMap& groups, int64_t now) const {
  auto it = groups.find(GroupOf(d));
  return RolloutOf(*cfg_.catalog, d, it == groups.end() ? nullptr : &it->second, now);
}

Device Provisioner::Planned(const Device& d) {
  Device planned = d;
  planned.target = Rollout(d, *Groups(), cfg_.now_ms()).target;
  return planned;
}

Result<Plan> Provisioner::PlanFor(const Device& d) {
  ReloadGate::Pin pin(gate_);
  std::shared_ptr<const std::unordered_set<const Load*>> keep;
  return PlanForDevice(Setup(keep), Planned(d), d.firmware);
}

void Provisioner::NoteHeld(const Device& d, const std::string& why, const Request& req) {
  {
    std::lock_guard lock(groups_mu_);
    auto [it, added] = held_.try_emplace(d.id, why);
    held_count_.store(held_.size(), std::memory_order_relaxed);
    if (!added && it->second == why) return;  // said already
    it->second = why;
  }
  (void)cfg_.inventory->AppendEvent(d.id, MakeEvent(req, "rollout-held", why), /*batched=*/true);
}

void Provisioner::NoteReleased(int64_t device_id) {
  // Every request passes here: no lock while nothing is held (the usual case).
  if (held_count_.load(std::memory_order_relaxed) == 0) return;
  std::lock_guard lock(groups_mu_);
  held_.erase(device_id);
  held_count_.store(held_.size(), std::memory_order_relaxed);
}

size_t Provisioner::HeldBy(const std::string& group) {
  std::lock_guard lock(groups_mu_);
  size_t n = 0;
  for (const auto& [id, why] : held_) n += why.find("group " + group + " ") == 0 ? 1 : 0;
  return n;
}

void Provisioner::Remember(const Request& req, int64_t device_id) {
  seen_.Seen(req.peer_ip, device_id, cfg_.now_ms());
  std::lock_guard lock(addresses_mu_);
  if (addresses_.size() > (1u << 20)) addresses_.clear();  // bounded
  addresses_[device_id] = req.peer_ip;
}

std::string Provisioner::AddressOf(const Device& d) {
  {
    std::lock_guard lock(addresses_mu_);
    if (auto it = addresses_.find(d.id); it != addresses_.end()) return it->second;
  }
  // Seen before this process started: the newest event that came from the phone.
  auto events = cfg_.inventory->Events(d.id);
  if (!events) return "";
  for (auto e = events->rbegin(); e != events->rend(); ++e) {
    if (e->peer.empty() || e->transport == "cli" || e->transport == "api") continue;
    const std::string& p = e->peer;
    if (p.front() == '[') return p.substr(1, p.find(']') - 1);
    return p.substr(0, p.rfind(':'));
  }
  return "";
}

ResyncSummary Provisioner::TriggerGroup(const std::string& group, const std::string& why) {
  ReloadGate::Pin pin(gate_);
  ResyncSummary out;
  auto devices = cfg_.inventory->List();
  if (!devices) return out;
  {
    auto groups = Groups(true);
    std::lock_guard lock(groups_mu_);
    if (auto g = groups->find(group); g != groups->end()) resync_seen_[group] = g->second.resync_at;
  }
  Request server;
  server.transport = "server";
  for (const Device& d : *devices) {
    if (GroupOf(d) != group) continue;
    if (d.state == kStateCurrent || d.state == kStateQuarantine || d.state == kStateHandedOff ||
        d.hold) {
      ++out.settled;
      continue;
    }
    const Model* model = cfg_.catalog->FindModel(d.model);
    const Family* family = model ? cfg_.catalog->FindFamily(model->family) : nullptr;
    if (!FlatProfileFamily(family)) {  // enterprise phones: their next boot (call control)
      ++out.cannot;
      continue;
    }
    const std::string ip = AddressOf(d);
    if (ip.empty() || !cfg_.resync_phone) {
      ++out.no_address;
      continue;
    }
    auto pw = d.settings.find("admin_password");
    const std::string password = pw == d.settings.end() ? "" : pw->second;
    ++out.sent;
    (void)cfg_.inventory->AppendEvent(
        d.id, MakeEvent(server, "resync-sent", "http://" + ip + "/admin/resync (" + why + ")"),
        /*batched=*/true);
    cfg_.resync_phone(ip, password, [](bool) {});
  }
  return out;
}

void Provisioner::SweepRollout(int64_t now) {
  auto groups = Groups(true);
  std::vector<std::pair<std::string, std::string>> due;  // group, why
  {
    std::lock_guard lock(groups_mu_);
    for (const auto& [name, g] : *groups) {
      bool open = !g.paused;
      if (open && !g.window.empty()) {
        auto w = ParseWindow(g.window);
        open = !w || w->Contains(now);
      }
      auto [was, first] = open_.try_emplace(name, open);
      auto [seen, new_seen] = resync_seen_.try_emplace(name, g.resync_at);
      if (!first && open && !was->second)
        due.emplace_back(name, g.window.empty() ? "resumed" : "resumed, or its window opened");
      else if (!new_seen && g.resync_at != seen->second)
        due.emplace_back(name, "operator asked");
      was->second = open;
      seen->second = g.resync_at;
    }
    std::erase_if(open_, [&](const auto& kv) { return !groups->count(kv.first); });
  }
  for (const auto& [name, why] : due) (void)TriggerGroup(name, why);
}

}  // namespace stepup
