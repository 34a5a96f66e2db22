#include "app/download_slots.h"

namespace stepup {

void DownloadSlots::Expire(int64_t now_ms) {
  for (auto it = held_.begin(); it != held_.end();) {
    if (it->second <= now_ms) {
      it = held_.erase(it);
    } else {
      ++it;
    }
  }
}

bool DownloadSlots::Take(int64_t device, int64_t now_ms) {
  if (cap_ <= 0) return true;
  std::lock_guard lock(mu_);
  if (auto it = held_.find(device); it != held_.end()) {
    it->second = now_ms + hold_ms_;
    return true;
  }
  if (held_.size() >= static_cast<size_t>(cap_)) Expire(now_ms);
  if (held_.size() >= static_cast<size_t>(cap_)) return false;
  held_[device] = now_ms + hold_ms_;
  return true;
}

void DownloadSlots::Refresh(int64_t device, int64_t now_ms) {
  if (cap_ <= 0) return;
  std::lock_guard lock(mu_);
  if (auto it = held_.find(device); it != held_.end()) it->second = now_ms + hold_ms_;
}

void DownloadSlots::Release(int64_t device) {
  if (cap_ <= 0) return;
  std::lock_guard lock(mu_);
  held_.erase(device);
}

size_t DownloadSlots::Held(int64_t now_ms) {
  std::lock_guard lock(mu_);
  Expire(now_ms);
  return held_.size();
}

}  // namespace stepup
