// Makes guessing expensive and visible: counts, per source address, the requests that named an
// unknown device or failed the identity check (app/identity_check.h), slows the answers to an
// address past a first allowance, then refuses everything from it for a while. What it
// counts past that allowance is not recorded request by request (the history stays bounded)
// but summed up in summaries the provisioner records: when an address is refused, then at
// each power of two of its refused requests or a minute after the last summary.
//
// Thread-safe. Costs one relaxed atomic load per request while no address is refused.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace stepup {

struct ProbeLimits {
  bool enabled = true;
  int slow_after = 20;    // failures in a window answered at once (and recorded one by one)
  int block_after = 200;  // failures in a window that get the address refused
  int64_t window_ms = 10 * 60 * 1000;
  int64_t block_ms = 10 * 60 * 1000;  // how long a refused address stays refused
  int step_delay_ms = 5;              // each failure past slow_after waits this much longer...
  int max_delay_ms = 500;             // ...up to this
};

// "20,200,10" (slow after, refuse after, minutes) or "off"; the error names the value.
struct ProbeLimitsParse {
  bool ok = false;
  ProbeLimits limits;
  std::string error;
};
ProbeLimitsParse ParseProbeLimits(const std::string& text);

class ProbeGuard {
 public:
  struct Summary {  // what an address did since its first counted failure
    std::string ip;
    int64_t since_ms = 0;
    uint64_t failures = 0;    // unknown or mismatched requests counted
    uint64_t unrecorded = 0;  // of those, not recorded one by one
    uint64_t refused = 0;     // requests refused while the address was refused
    int64_t refused_until_ms = 0;
  };
  struct Outcome {
    int delay_ms = 0;               // answer no sooner than this
    bool record = true;             // record this failure one by one
    std::optional<Summary> summary;  // record this summary now
  };

  explicit ProbeGuard(ProbeLimits limits = {}) : limits_(limits) {}

  // Whether every request from `ip` is refused now; if so counts it, sets the seconds left
  // in `retry_after_s` and, when one is due, a summary to record.
  bool Refused(const std::string& ip, int64_t now_ms, int64_t& retry_after_s,
               std::optional<Summary>& summary);
  // A request from `ip` named an unknown device or failed the identity check.
  Outcome Failure(const std::string& ip, int64_t now_ms);
  // A request from `ip` lacked proof of identity (no User-Agent, no serial): not counted, never
  // slowed, but recorded one by one only up to the same allowance a window.
  Outcome Lacking(const std::string& ip, int64_t now_ms);
  const ProbeLimits& limits() const { return limits_; }

 private:
  struct Entry {
    int64_t window_start = 0;
    uint64_t in_window = 0;  // failures in the current window
    uint64_t lacking = 0;    // requests lacking proof in the current window
    Summary total;
    int64_t last_summary_ms = 0;
  };
  static constexpr size_t kMaxAddresses = 65536;
  void MakeRoom(int64_t now_ms);  // mu_ held
  Entry& At(const std::string& ip, int64_t now_ms);  // mu_ held; the window rolled over

  ProbeLimits limits_;
  std::atomic<int> refusing_{0};  // addresses refused now (or until their entry is next seen)
  std::mutex mu_;
  std::unordered_map<std::string, Entry> by_ip_;
};

}  // namespace stepup
