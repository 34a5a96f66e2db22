#include "net/tftp_admission.h"

#include <algorithm>

namespace stepup {
namespace {
std::string Key(const std::string& peer, const std::string& file) { return peer + '\0' + file; }
}  // namespace

TftpAdmission::Verdict TftpAdmission::Admit(const std::string& ip, const std::string& peer,
                                            const std::string& file, Clock::time_point received,
                                            uint64_t& ticket) {
  std::lock_guard lock(mu_);
  std::string key = Key(peer, file);
  // Under way: a copy if it reached us before the client could have had our first answer;
  // later, the client is done with that transfer (it has the last block, the server has not
  // read the final ACK yet) and asks again: a new request, the old transfer left to end.
  if (auto it = active_.find(key); it != active_.end() && received <= it->second.copies_until)
    return Verdict::kDuplicate;
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
  ticket = ++tickets_;
  active_[std::move(key)] = {ticket, Clock::time_point::max()};
  return Verdict::kStart;
}

void TftpAdmission::Answering(const std::string& peer, const std::string& file, uint64_t ticket,
                              Clock::time_point copies_until) {
  std::lock_guard lock(mu_);
  if (auto it = active_.find(Key(peer, file)); it != active_.end() && it->second.ticket == ticket)
    it->second.copies_until = copies_until;
}

void TftpAdmission::Release(const std::string& ip, const std::string& peer, const std::string& file,
                            uint64_t ticket, bool answered) {
  std::lock_guard lock(mu_);
  if (--per_source_[ip] == 0) per_source_.erase(ip);
  auto it = active_.find(Key(peer, file));
  if (it == active_.end() || it->second.ticket != ticket) return;  // superseded: the newer counts
  const auto now = Clock::now();
  // Acknowledged: copies were due by then. Never acknowledged (an error answer, a one-block
  // file whose only ACK never came): whatever the client sent before the end may be one.
  const Clock::time_point until = std::min(it->second.copies_until, now);
  active_.erase(it);
  if (!answered) return;
  if (answered_.size() > 100000) {  // bounded: older entries no longer matter
    std::erase_if(answered_, [&](const auto& kv) { return now - kv.second >= kMemory; });
  }
  answered_[Key(peer, file)] = until;
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
