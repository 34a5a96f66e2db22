#include "net/tftp_admission.h"

#include <algorithm>

namespace stepup {
namespace {
std::string Key(const std::string& peer, const std::string& file) { return peer + '\0' + file; }
}  // namespace

TftpAdmission::Verdict TftpAdmission::Admit(const std::string& ip, const std::string& peer,
                                            const std::string& file) {
  std::lock_guard lock(mu_);
  if (active_peers_.count(peer)) return Verdict::kDuplicate;  // its transfer answers it
  if (auto it = answered_.find(Key(peer, file));
      it != answered_.end() && Clock::now() - it->second < kCopyWindow) {
    return Verdict::kDuplicate;
  }
  if (per_source_[ip] >= max_per_source_) return Verdict::kTooMany;
  if (!TakeToken(ip)) return Verdict::kTooFast;
  ++per_source_[ip];
  active_peers_.insert(peer);
  return Verdict::kStart;
}

void TftpAdmission::Release(const std::string& ip, const std::string& peer, const std::string& file,
                            bool answered) {
  std::lock_guard lock(mu_);
  if (--per_source_[ip] == 0) per_source_.erase(ip);
  active_peers_.erase(peer);
  if (!answered) return;
  const auto now = Clock::now();
  if (answered_.size() > 100000) {  // bounded: older entries no longer matter
    std::erase_if(answered_, [&](const auto& kv) { return now - kv.second >= kCopyWindow; });
  }
  answered_[Key(peer, file)] = now;
}

bool TftpAdmission::TakeToken(const std::string& ip) {
  const auto now = Clock::now();
  if (buckets_.size() > 100000) {  // bounded: sources idle for a second are full again anyway
    std::erase_if(buckets_,
                  [&](const auto& kv) { return now - kv.second.at > std::chrono::seconds(1); });
  }
  auto [it, fresh] = buckets_.try_emplace(ip, Bucket{rate_, now});
  Bucket& b = it->second;
  if (!fresh) {
    b.tokens =
        std::min(rate_, b.tokens + rate_ * std::chrono::duration<double>(now - b.at).count());
    b.at = now;
  }
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

}  // namespace stepup
