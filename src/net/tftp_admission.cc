#include "net/tftp_admission.h"

#include <algorithm>

namespace stepup {
namespace {
std::string Key(const std::string& peer, const std::string& file) { return peer + '\0' + file; }
}  // namespace

TftpAdmission::Verdict TftpAdmission::Admit(const std::string& ip, const std::string& peer,
                                            const std::string& file, Clock::time_point received) {
  std::lock_guard lock(mu_);
  std::string key = Key(peer, file);
  if (active_.count(key)) return Verdict::kDuplicate;  // its transfer answers it
  if (auto it = answered_.find(key); it != answered_.end()) {
    if (received <= it->second) return Verdict::kDuplicate;  // sent before it had the answer
    answered_.erase(it);
  }
  const SourceLimit limit = limits_.For(ip);
  if (auto it = per_source_.find(ip); it != per_source_.end() && it->second >= limit.transfers)
    return Verdict::kTooMany;
  Bucket& b = Refill(ip, limit.rate);
  if (b.tokens < 1) return Verdict::kTooFast;
  b.tokens -= 1;
  ++per_source_[ip];
  active_.insert(std::move(key));
  return Verdict::kStart;
}

void TftpAdmission::Release(const std::string& ip, const std::string& peer, const std::string& file,
                            bool answered, Clock::duration margin) {
  std::lock_guard lock(mu_);
  if (--per_source_[ip] == 0) per_source_.erase(ip);
  active_.erase(Key(peer, file));
  if (!answered) return;
  const auto now = Clock::now();
  if (answered_.size() > 100000) {  // bounded: older entries no longer matter
    std::erase_if(answered_, [&](const auto& kv) { return now - kv.second >= kMemory; });
  }
  answered_[Key(peer, file)] = now + margin;
}

bool TftpAdmission::HasRoom(const std::string& ip) {
  std::lock_guard lock(mu_);
  const SourceLimit limit = limits_.For(ip);
  auto it = per_source_.find(ip);
  if (it != per_source_.end() && it->second >= limit.transfers) return false;
  return Refill(ip, limit.rate).tokens >= 1;
}

TftpAdmission::Bucket& TftpAdmission::Refill(const std::string& ip, double rate) {
  const auto now = Clock::now();
  if (buckets_.size() > 100000) {  // bounded: sources idle for a second are full again anyway
    std::erase_if(buckets_,
                  [&](const auto& kv) { return now - kv.second.at > std::chrono::seconds(1); });
  }
  auto [it, fresh] = buckets_.try_emplace(ip, Bucket{rate, now});
  Bucket& b = it->second;
  if (!fresh) {
    b.tokens = std::min(rate, b.tokens + rate * std::chrono::duration<double>(now - b.at).count());
    b.at = now;
  }
  return b;
}

}  // namespace stepup
