#include "app/download_ledger.h"

#include <algorithm>

namespace stepup {
namespace {

// Queued entries over all addresses (stale ones included) before the queues are rebuilt from
// what devices still await: bounds memory when phones are offered hops they never fetch.
constexpr size_t kMaxQueued = 1 << 20;
constexpr size_t kMaxTransfers = 1 << 18;  // owners of transfers under way

}  // namespace

void DownloadLedger::Offered(int64_t device, const std::string& ip, const std::string& load,
                             const std::set<std::string>& files) {
  std::lock_guard lock(mu_);
  Downloads& dl = downloads_[device];
  const bool fresh = dl.for_load != load;
  if (fresh) dl = {load, {}, {}};
  auto it = awaiting_.find(device);
  if (!fresh && it != awaiting_.end() && it->second.ip == ip) return;  // queued already
  Awaiting a{ip, ++next_generation_, {}};
  for (const auto& f : files) {
    if (!dl.completed.count(f)) a.files.insert(f);
  }
  Enqueue(device, a);
  awaiting_[device] = std::move(a);
}

void DownloadLedger::Enqueue(int64_t device, const Awaiting& a) {
  if (queued_ + a.files.size() > kMaxQueued) {  // drop the stale entries
    queues_.clear();
    queued_ = 0;
    for (const auto& [id, other] : awaiting_) {
      for (const auto& f : other.files) queues_[Key(other.ip, f)].push_back({id, other.generation});
      queued_ += other.files.size();
    }
  }
  for (const auto& f : a.files) queues_[Key(a.ip, f)].push_back({device, a.generation});
  queued_ += a.files.size();
}

void DownloadLedger::Settled(int64_t device) {
  std::lock_guard lock(mu_);
  awaiting_.erase(device);
}

bool DownloadLedger::Waits(const Queued& q, const std::string& ip, const std::string& file) const {
  auto it = awaiting_.find(q.device);
  return it != awaiting_.end() && it->second.generation == q.generation && it->second.ip == ip &&
         it->second.files.count(file);
}

std::optional<int64_t> DownloadLedger::TakeAwaiting(const std::string& ip,
                                                    const std::string& file) {
  auto qit = queues_.find(Key(ip, file));
  if (qit == queues_.end()) return std::nullopt;
  std::deque<Queued>& q = qit->second;
  std::optional<int64_t> owner;
  while (!q.empty() && !owner) {
    if (Waits(q.front(), ip, file)) owner = q.front().device;
    q.pop_front();
    --queued_;
  }
  if (q.empty()) queues_.erase(qit);
  return owner;
}

std::optional<int64_t> DownloadLedger::Started(const std::string& ip, const std::string& peer,
                                               const std::string& file,
                                               std::optional<int64_t> fallback) {
  std::lock_guard lock(mu_);
  std::optional<int64_t> owner = TakeAwaiting(ip, file);
  if (!owner) owner = fallback;
  if (!owner) return std::nullopt;
  if (transfers_.size() >= kMaxTransfers) transfers_.clear();  // owners of lost transfers
  transfers_[Key(peer, file)] = {*owner, ip};
  downloads_[*owner].started.insert(file);
  return owner;
}

std::optional<int64_t> DownloadLedger::Finished(const std::string& peer, const std::string& file,
                                                bool complete) {
  std::lock_guard lock(mu_);
  auto t = transfers_.find(Key(peer, file));
  if (t == transfers_.end()) return std::nullopt;
  const int64_t owner = t->second.owner;
  const std::string ip = std::move(t->second.ip);
  transfers_.erase(t);
  auto a = awaiting_.find(owner);
  if (complete) {
    Downloads& dl = downloads_[owner];
    dl.completed.insert(file);
    if (!dl.for_load.empty()) {
      if (sites_.size() >= kMaxTransfers) sites_.clear();  // bounded; own downloads still count
      ++sites_[Key(ip, dl.for_load)].completed[file];
    }
    if (a != awaiting_.end()) a->second.files.erase(file);
  } else if (a != awaiting_.end() && a->second.files.count(file)) {
    // Its retry comes next from this address: it goes first.
    queues_[Key(a->second.ip, file)].push_front({owner, a->second.generation});
    ++queued_;
  }
  return owner;
}

bool DownloadLedger::Completes(int64_t device, const std::string& ip, const std::string& load,
                               const std::set<std::string>& needed) {
  std::lock_guard lock(mu_);
  if (needed.empty()) return false;
  Site& site = sites_[Key(ip, load)];
  auto own = downloads_.find(device);
  bool done = own != downloads_.end() && own->second.for_load == load &&
              std::includes(own->second.completed.begin(), own->second.completed.end(),
                            needed.begin(), needed.end());
  if (!done) {
    done = std::all_of(needed.begin(), needed.end(), [&](const std::string& f) {
      auto c = site.completed.find(f);
      return c != site.completed.end() && c->second - site.hops >= 1;
    });
  }
  if (done) ++site.hops;
  return done;
}

Downloads DownloadLedger::Of(int64_t device, const std::string& load) const {
  std::lock_guard lock(mu_);
  auto it = downloads_.find(device);
  return it != downloads_.end() && it->second.for_load == load ? it->second : Downloads{};
}

void Whereabouts::Seen(const std::string& ip, int64_t device, int64_t now_ms) {
  std::lock_guard lock(mu_);
  Entry& e = by_ip_[ip];
  if (e.device != device && e.at_ms != 0) e.other_at_ms = e.at_ms;
  e.device = device;
  e.at_ms = now_ms;
}

std::optional<int64_t> Whereabouts::Last(const std::string& ip, int64_t now_ms) const {
  std::lock_guard lock(mu_);
  auto it = by_ip_.find(ip);
  if (it == by_ip_.end() || now_ms - it->second.at_ms > window_ms_) return std::nullopt;
  return it->second.device;
}

std::optional<int64_t> Whereabouts::Sole(const std::string& ip, int64_t now_ms) const {
  std::lock_guard lock(mu_);
  auto it = by_ip_.find(ip);
  if (it == by_ip_.end() || now_ms - it->second.at_ms > window_ms_ ||
      now_ms - it->second.other_at_ms <= window_ms_)
    return std::nullopt;
  return it->second.device;
}

}  // namespace stepup
