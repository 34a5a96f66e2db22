#include "net/tftp_wait_room.h"

#include <vector>

namespace stepup {

TftpWaitRoom::Verdict TftpWaitRoom::Hold(const std::string& ip, const std::string& key,
                                         Resume resume, Clock::time_point now) {
  if (keys_.count(key)) return Verdict::kAlreadyHeld;
  if (keys_.size() >= capacity_) {
    CountRefused(ip, now);
    return Verdict::kFull;
  }
  Source& s = sources_[ip];
  s.queue.push_back({key, std::move(resume), now});
  keys_.insert(key);
  ++s.counts.held;
  ++totals_.held;
  MaybeReport(ip, s, now);
  return Verdict::kHeld;
}

void TftpWaitRoom::CountRefused(const std::string& ip, Clock::time_point now) {
  Source& s = sources_[ip];
  ++s.counts.refused;
  ++totals_.refused;
  MaybeReport(ip, s, now);
}

size_t TftpWaitRoom::Pump(const std::function<bool(const std::string&)>& has_room,
                          Clock::time_point now) {
  std::vector<std::string> ips;
  ips.reserve(sources_.size());
  for (const auto& kv : sources_) ips.push_back(kv.first);
  for (const std::string& ip : ips) {
    auto it = sources_.find(ip);
    while (!it->second.queue.empty() && now - it->second.queue.front().since > max_wait_) {
      keys_.erase(it->second.queue.front().key);
      it->second.queue.pop_front();
      ++it->second.counts.expired;
      ++totals_.expired;
    }
    // Each resumed request takes its slot as it runs, so has_room sees the ones before it; a
    // request resumed and held again goes to the back and waits for the next turn.
    for (size_t turn = it->second.queue.size(); turn > 0 && has_room(ip); --turn) {
      Held h = std::move(it->second.queue.front());
      it->second.queue.pop_front();
      keys_.erase(h.key);
      ++it->second.counts.started;
      ++totals_.started;
      h.resume();  // may Hold (this map may rehash)
      it = sources_.find(ip);
      if (it == sources_.end()) break;
    }
    if (it == sources_.end()) continue;
    Source& s = it->second;
    MaybeReport(ip, s, now);
    // Kept for an interval after its report, so the next one waits its turn too.
    if (s.queue.empty() && s.counts.held + s.counts.refused + s.counts.expired == 0 &&
        now - s.reported >= interval_) {
      sources_.erase(it);
    }
  }
  return sources_.size();
}

void TftpWaitRoom::MaybeReport(const std::string& ip, Source& s, Clock::time_point now) {
  if (s.counts.held + s.counts.refused + s.counts.expired == 0) return;
  if (now - s.reported < interval_) return;
  if (report_) report_(ip, s.counts);
  s.counts = {};
  s.reported = now;
}

}  // namespace stepup
