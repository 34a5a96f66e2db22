// Read requests over their address's limits, held a moment instead of refused: a phone told
// "error" by TFTP waits its own retry interval (minutes on some families), one held is answered
// as soon as its address has room. Arrival order is kept per address; what waited longer than
// a client keeps asking is let go (the client's next copy comes in afresh); only a full room
// refuses (TFTP error 0 "server busy, retry later"). What was held, let go or refused is counted
// and reported once per address and interval. Not thread-safe: the listener's strand owns it.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace stepup {

class TftpWaitRoom {
 public:
  using Clock = std::chrono::steady_clock;
  using Resume = std::function<void()>;  // runs the request again (it then takes its turn)
  struct Counts {
    uint64_t held = 0, started = 0, expired = 0, refused = 0;
  };
  // `report(ip, counts)`: that address's counts since its last report, at most once per
  // `interval` (the first at once).
  using Report = std::function<void(const std::string& ip, const Counts&)>;

  TftpWaitRoom(size_t capacity, Clock::duration max_wait, Clock::duration interval, Report report)
      : capacity_(capacity), max_wait_(max_wait), interval_(interval), report_(std::move(report)) {}

  enum class Verdict { kHeld, kAlreadyHeld, kFull };
  // Holds the request `key` (endpoint and file) from `ip`. kAlreadyHeld: a copy of one held.
  [[nodiscard]] Verdict Hold(const std::string& ip, const std::string& key, Resume resume,
                             Clock::time_point now);
  // Whether `key` is held (its copies start nothing).
  bool Holds(const std::string& key) const { return keys_.count(key) != 0; }
  // Resumes, address by address in arrival order, as many as `has_room(ip)` allows; lets go
  // of those held longer than max_wait; reports what is due. Returns how many addresses it
  // still has business with (held requests or a report to make): pump again while not 0.
  size_t Pump(const std::function<bool(const std::string&)>& has_room, Clock::time_point now);
  // Counts the refusal of a request from `ip` (the room was full, or no room was asked for).
  void CountRefused(const std::string& ip, Clock::time_point now);

  size_t size() const { return keys_.size(); }
  const Counts& totals() const { return totals_; }

 private:
  struct Held {
    std::string key;
    Resume resume;
    Clock::time_point since;
  };
  struct Source {
    std::deque<Held> queue;
    Counts counts;  // since the last report
    Clock::time_point reported{};
  };
  void MaybeReport(const std::string& ip, Source& s, Clock::time_point now);

  const size_t capacity_;
  const Clock::duration max_wait_, interval_;
  Report report_;
  std::unordered_map<std::string, Source> sources_;
  std::unordered_set<std::string> keys_;
  Counts totals_;
};

}  // namespace stepup
