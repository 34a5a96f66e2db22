// The shared state in one process's memory (app/shared_state.h): what tests use to run several
// provisioners over one fleet without a database.
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>

#include "store/inventory.h"

namespace stepup {
namespace {

class MemorySharedState final : public SharedState {
 public:
  class MemoryLease final : public Lease {
   public:
    MemoryLease(MemorySharedState& s, std::string address, std::string stored)
        : s_(s), address_(std::move(address)), stored_(std::move(stored)) {}
    ~MemoryLease() override {
      std::lock_guard lock(s_.mu_);
      s_.held_.erase(address_);
      s_.cv_.notify_all();
    }
    const std::string& Stored() const override { return stored_; }
    Status Write(const std::string& state, std::optional<int64_t> due_ms) override {
      std::lock_guard lock(s_.mu_);
      if (state.empty()) {
        s_.rows_.erase(address_);
      } else {
        s_.rows_[address_] = {state, due_ms};
      }
      return Ok{};
    }

   private:
    MemorySharedState& s_;
    std::string address_;
    std::string stored_;
  };

  Result<std::unique_ptr<Lease>> Hold(const std::string& address) override {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !held_.count(address); });
    held_.insert(address);
    auto it = rows_.find(address);
    return std::unique_ptr<Lease>(
        new MemoryLease(*this, address, it == rows_.end() ? "" : it->second.state));
  }
  Result<std::vector<std::string>> Due(int64_t now_ms, int limit) override {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& [address, row] : rows_) {
      if (row.due && *row.due <= now_ms && static_cast<int>(out.size()) < limit)
        out.push_back(address);
    }
    return out;
  }
  // The slots as app/download_slots.h keeps them in one process.
  Result<bool> TakeSlot(int64_t device, int cap, int64_t now_ms, int64_t hold_ms) override {
    std::lock_guard lock(mu_);
    std::erase_if(slots_, [&](const auto& s) { return s.second <= now_ms; });
    if (!slots_.count(device) && static_cast<int>(slots_.size()) >= cap) return false;
    slots_[device] = now_ms + hold_ms;
    return true;
  }
  Status RefreshSlot(int64_t device, int64_t now_ms, int64_t hold_ms) override {
    std::lock_guard lock(mu_);
    if (auto it = slots_.find(device); it != slots_.end()) it->second = now_ms + hold_ms;
    return Ok{};
  }
  Status ReleaseSlot(int64_t device) override {
    std::lock_guard lock(mu_);
    slots_.erase(device);
    return Ok{};
  }
  Result<int64_t> SlotsHeld(int64_t now_ms) override {
    std::lock_guard lock(mu_);
    std::erase_if(slots_, [&](const auto& s) { return s.second <= now_ms; });
    return static_cast<int64_t>(slots_.size());
  }
  bool Lead() override { return true; }

 private:
  struct Row {
    std::string state;
    std::optional<int64_t> due;
  };
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Row> rows_;
  std::set<std::string> held_;
  std::map<int64_t, int64_t> slots_;  // device -> when its slot expires
};

}  // namespace

std::unique_ptr<SharedState> NewMemorySharedState() {
  return std::make_unique<MemorySharedState>();
}

}  // namespace stepup
