#include "app/probe_guard.h"

#include <algorithm>

#include "core/text.h"

namespace stepup {
namespace {

constexpr int64_t kSummaryEveryMs = 60 * 1000;

bool PowerOfTwo(uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }

}  // namespace

ProbeLimitsParse ParseProbeLimits(const std::string& text) {
  ProbeLimitsParse out;
  if (text == "off") {
    out.ok = true;
    out.limits.enabled = false;
    return out;
  }
  int64_t v[3] = {0, 0, 0};
  size_t start = 0;
  for (int i = 0; i < 3; ++i) {
    size_t comma = text.find(',', start);
    if ((i < 2) != (comma != std::string::npos)) break;
    std::string part = text.substr(start, comma == std::string::npos ? comma : comma - start);
    uint64_t n = 0;
    if (!ParseDecimal(part, 9, &n) || n == 0) break;
    v[i] = static_cast<int64_t>(n);
    start = comma + 1;
    if (i == 2) out.ok = true;
  }
  if (!out.ok || v[0] >= v[1]) {
    out.ok = false;
    out.error = "--probe-limit \"" + text +
                "\": expected SLOW,REFUSE,MINUTES (positive, SLOW below REFUSE) or off";
    return out;
  }
  out.limits.slow_after = static_cast<int>(v[0]);
  out.limits.block_after = static_cast<int>(v[1]);
  out.limits.window_ms = out.limits.block_ms = v[2] * 60 * 1000;
  return out;
}

bool ProbeGuard::Refused(const std::string& ip, int64_t now_ms, int64_t& retry_after_s,
                         std::optional<Summary>& summary) {
  if (refusing_.load(std::memory_order_relaxed) == 0) return false;
  std::lock_guard lock(mu_);
  auto it = by_ip_.find(ip);
  if (it == by_ip_.end() || it->second.total.refused_until_ms == 0) return false;
  Entry& e = it->second;
  if (now_ms >= e.total.refused_until_ms) {  // served its time: a fresh start
    refusing_.fetch_sub(1, std::memory_order_relaxed);
    by_ip_.erase(it);
    return false;
  }
  ++e.total.refused;
  retry_after_s = (e.total.refused_until_ms - now_ms + 999) / 1000;
  if (PowerOfTwo(e.total.refused) || now_ms - e.last_summary_ms >= kSummaryEveryMs) {
    e.last_summary_ms = now_ms;
    summary = e.total;
  }
  return true;
}

ProbeGuard::Outcome ProbeGuard::Failure(const std::string& ip, int64_t now_ms) {
  Outcome out;
  if (!limits_.enabled) return out;
  std::lock_guard lock(mu_);
  Entry& e = At(ip, now_ms);
  ++e.in_window;
  ++e.total.failures;
  const auto n = static_cast<int64_t>(e.in_window);
  if (n <= limits_.slow_after) return out;
  out.record = false;
  ++e.total.unrecorded;
  out.delay_ms = static_cast<int>(
      std::min<int64_t>(limits_.max_delay_ms, limits_.step_delay_ms * (n - limits_.slow_after)));
  if (n >= limits_.block_after && e.total.refused_until_ms == 0) {
    e.total.refused_until_ms = now_ms + limits_.block_ms;
    refusing_.fetch_add(1, std::memory_order_relaxed);
    e.last_summary_ms = now_ms;
    out.summary = e.total;
  }
  return out;
}

ProbeGuard::Outcome ProbeGuard::Lacking(const std::string& ip, int64_t now_ms) {
  Outcome out;
  if (!limits_.enabled) return out;
  std::lock_guard lock(mu_);
  Entry& e = At(ip, now_ms);
  out.record = ++e.lacking <= static_cast<uint64_t>(limits_.slow_after);
  return out;
}

ProbeGuard::Entry& ProbeGuard::At(const std::string& ip, int64_t now_ms) {
  if (by_ip_.size() >= kMaxAddresses && !by_ip_.count(ip)) MakeRoom(now_ms);
  Entry& e = by_ip_[ip];
  if (e.total.ip.empty()) {
    e.total.ip = ip;
    e.total.since_ms = now_ms;
    e.window_start = now_ms;
  }
  if (now_ms - e.window_start > limits_.window_ms) {
    e.window_start = now_ms;
    e.in_window = e.lacking = 0;
  }
  return e;
}

void ProbeGuard::MakeRoom(int64_t now_ms) {
  for (auto it = by_ip_.begin(); it != by_ip_.end();) {
    const Entry& e = it->second;
    const bool refused = e.total.refused_until_ms != 0;
    const bool stale = refused ? now_ms >= e.total.refused_until_ms
                               : now_ms - e.window_start > limits_.window_ms;
    if (stale) {
      if (refused) refusing_.fetch_sub(1, std::memory_order_relaxed);
      it = by_ip_.erase(it);
    } else {
      ++it;
    }
  }
  if (by_ip_.size() < kMaxAddresses) return;
  // Still full of live entries (a spoofed-source flood): forget the ones not refused.
  for (auto it = by_ip_.begin(); it != by_ip_.end();) {
    it = it->second.total.refused_until_ms == 0 ? by_ip_.erase(it) : std::next(it);
  }
}

}  // namespace stepup
