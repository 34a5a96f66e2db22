// The in-memory Inventory: the fake the provisioner's tests run against.
#include <algorithm>
#include <map>
#include <mutex>

#include "store/inventory.h"

namespace stepup {
namespace {

class MemoryInventory : public Inventory {
 public:
  Result<Device> Add(const Device& d) override {
    std::lock_guard lock(mu_);
    if (auto clash = Clash(devices_, d)) return *clash;
    Device stored = d;
    stored.id = next_id_++;
    devices_.push_back(stored);
    ++version_;
    return stored;
  }

  Status AddAll(const std::vector<Device>& devices) override {
    std::lock_guard lock(mu_);
    std::vector<Device> staged = devices_;
    for (const auto& d : devices) {
      if (auto clash = Clash(staged, d)) return *clash;
      Device s = d;
      s.id = next_id_++;
      staged.push_back(s);
    }
    devices_ = std::move(staged);
    version_ += static_cast<int64_t>(devices.size());
    return Ok{};
  }

  Status Update(const Device& d) override {
    std::lock_guard lock(mu_);
    for (auto& x : devices_) {
      if (x.id == d.id) {
        x = d;
        ++version_;
        return Ok{};
      }
    }
    return Unknown("inventory: no device with id " + std::to_string(d.id));
  }

  Status Remove(int64_t id) override {
    std::lock_guard lock(mu_);
    auto it = std::find_if(devices_.begin(), devices_.end(),
                           [&](const Device& d) { return d.id == id; });
    if (it == devices_.end()) return Unknown("inventory: no device with id " + std::to_string(id));
    devices_.erase(it);
    std::erase_if(events_, [&](const auto& e) { return e.first == id; });
    runs_.clear();  // indexes into events_ moved
    ++version_;
    return Ok{};
  }

  Result<std::optional<Device>> FindByMac(const std::string& mac) override {
    return FindIf([&](const Device& d) { return !mac.empty() && d.mac == mac; });
  }
  Result<std::optional<Device>> FindBySerial(const std::string& serial) override {
    return FindIf([&](const Device& d) { return !serial.empty() && d.serial == serial; });
  }
  Result<std::optional<Device>> FindById(int64_t id) override {
    return FindIf([&](const Device& d) { return d.id == id; });
  }
  Result<std::vector<Device>> List() override {
    std::lock_guard lock(mu_);
    return devices_;
  }
  Status AppendEvent(int64_t device_id, const Event& e, bool batched) override {
    std::lock_guard lock(mu_);
    // Batched phone traffic that repeats the device's current run is counted, not stored.
    auto run = runs_.find(device_id);
    if (batched && run != runs_.end() && events_[run->second].second.Repeats(e)) {
      Event& head = events_[run->second].second;
      ++head.repeats;
      head.last_time = e.time;
      return Ok{};
    }
    events_.emplace_back(device_id, e);
    if (batched) {
      runs_[device_id] = events_.size() - 1;
    } else {
      runs_.erase(device_id);
    }
    return Ok{};
  }
  Result<std::vector<Event>> Events(int64_t device_id) override {
    std::lock_guard lock(mu_);
    std::vector<Event> out;
    for (const auto& [id, e] : events_) {
      if (id == device_id) out.push_back(e);
    }
    return out;
  }
  Status RecordUnknown(const UnknownAttempt& a) override {
    std::lock_guard lock(mu_);
    unknown_.push_back(a);
    return Ok{};
  }
  Result<std::vector<UnknownAttempt>> UnknownAttempts() override {
    std::lock_guard lock(mu_);
    return unknown_;
  }
  Status Flush() override { return Ok{}; }
  int64_t DevicesVersion() override {
    std::lock_guard lock(mu_);
    return version_;
  }
  Result<std::vector<RolloutGroup>> Groups() override {
    std::lock_guard lock(mu_);
    std::vector<RolloutGroup> out;
    for (const auto& [name, g] : groups_) out.push_back(g);
    return out;
  }
  Status PutGroup(const RolloutGroup& g) override {
    std::lock_guard lock(mu_);
    groups_[g.name] = g;
    ++version_;
    return Ok{};
  }
  Status RemoveGroup(const std::string& name) override {
    std::lock_guard lock(mu_);
    if (groups_.erase(name) == 0) return Unknown("no rollout group \"" + name + "\"");
    ++version_;
    return Ok{};
  }
  Result<InventoryDump> Dump() override {
    std::lock_guard lock(mu_);
    InventoryDump out{devices_, events_, unknown_, {}};
    for (const auto& [name, g] : groups_) out.groups.push_back(g);
    return out;
  }
  // All or nothing; devices keep their ids, events their counts.
  Status Load(const InventoryDump& dump) override {
    if (auto s = CheckDump(dump); !s) return s;
    std::lock_guard lock(mu_);
    if (!devices_.empty()) {
      return BadInput("the inventory already holds " + std::to_string(devices_.size()) +
                      " devices; load into an empty one");
    }
    std::vector<Device> staged;
    for (const auto& d : dump.devices) {
      if (auto clash = Clash(staged, d)) return *clash;
      staged.push_back(d);
      next_id_ = std::max(next_id_, d.id + 1);
    }
    devices_ = std::move(staged);
    events_.insert(events_.end(), dump.events.begin(), dump.events.end());
    runs_.clear();
    unknown_.insert(unknown_.end(), dump.unknown.begin(), dump.unknown.end());
    for (const auto& g : dump.groups) groups_[g.name] = g;
    version_ += static_cast<int64_t>(dump.devices.size() + dump.groups.size());
    return Ok{};
  }

 private:
  template <typename Pred>
  Result<std::optional<Device>> FindIf(Pred pred) {
    std::lock_guard lock(mu_);
    auto it = std::find_if(devices_.begin(), devices_.end(), pred);
    return it == devices_.end() ? std::optional<Device>() : std::optional<Device>(*it);
  }

  static std::optional<Error> Clash(const std::vector<Device>& in, const Device& d) {
    for (const auto& x : in) {
      if (!d.mac.empty() && x.mac == d.mac) {
        return BadInput("device with MAC " + d.mac + " is already in the inventory");
      }
      if (!d.serial.empty() && x.serial == d.serial) {
        return BadInput("device with serial " + d.serial + " is already in the inventory");
      }
    }
    return std::nullopt;
  }

  std::mutex mu_;
  int64_t next_id_ = 1;
  int64_t version_ = 0;
  std::vector<Device> devices_;
  std::vector<std::pair<int64_t, Event>> events_;
  std::map<int64_t, size_t> runs_;  // device -> its current run's first event in events_
  std::vector<UnknownAttempt> unknown_;
  std::map<std::string, RolloutGroup> groups_;
};

}  // namespace

std::unique_ptr<Inventory> NewMemoryInventory() { return std::make_unique<MemoryInventory>(); }

}  // namespace stepup
