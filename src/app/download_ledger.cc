#include "app/download_ledger.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace stepup {
namespace {

constexpr size_t kMaxTransfers = 1 << 18;  // owners of transfers under way

}  // namespace

bool DownloadLedger::IsManifest(const std::string& file) {
  return file.size() > 6 && file.ends_with(".loads");
}

bool DownloadLedger::Queued(const Awaiting& a, const std::string& file) {
  return !a.in_flight.count(file) && (!a.staged || a.images_open || IsManifest(file));
}

void DownloadLedger::Unqueue(int64_t device, const Awaiting& a) {
  for (const auto& f : a.files) {
    auto q = queues_.find(Key(a.ip, f));
    if (q == queues_.end()) continue;
    q->second.erase({a.seq, device});
    if (q->second.empty()) queues_.erase(q);
  }
}

void DownloadLedger::Requeue(int64_t device, Awaiting& a, bool acted) {
  Unqueue(device, a);
  if (acted) a.seq = ++next_seq_;
  for (const auto& f : a.files) {
    if (Queued(a, f)) queues_[Key(a.ip, f)].insert({a.seq, device});
  }
}

void DownloadLedger::Offered(int64_t device, const std::string& ip, const std::string& load,
                             const std::set<std::string>& files) {
  std::lock_guard lock(mu_);
  Downloads& dl = downloads_[device];
  const bool fresh = dl.for_load != load;
  if (fresh) dl = {load, {}, {}};
  auto it = awaiting_.find(device);
  if (it != awaiting_.end()) Unqueue(device, it->second);
  Awaiting a{ip, 0, {}, {}, false, false};
  if (it != awaiting_.end() && !fresh && it->second.ip == ip) a = std::move(it->second);
  a.ip = ip;
  for (const auto& f : files) {
    // Each boot fetches the manifest again before any image (a new round).
    if (!dl.completed.count(f) || IsManifest(f)) a.files.insert(f);
    a.staged = a.staged || IsManifest(f);
  }
  a.images_open = false;
  Requeue(device, awaiting_[device] = std::move(a), /*acted=*/true);
}

void DownloadLedger::Rebooted(int64_t device) {
  std::lock_guard lock(mu_);
  auto it = awaiting_.find(device);
  if (it == awaiting_.end() || !it->second.images_open) return;
  it->second.images_open = false;
  Requeue(device, it->second, /*acted=*/false);
}

void DownloadLedger::Settled(int64_t device) {
  std::lock_guard lock(mu_);
  auto it = awaiting_.find(device);
  if (it == awaiting_.end()) return;
  Unqueue(device, it->second);
  awaiting_.erase(it);
}

std::optional<int64_t> DownloadLedger::TakeAwaiting(const std::string& ip,
                                                    const std::string& file) {
  auto q = queues_.find(Key(ip, file));
  if (q == queues_.end()) return std::nullopt;
  // The device that acted last at this address (asked for its configuration, or ended a
  // transfer): a phone asks for its next file as soon as it has the last one.
  const int64_t owner = q->second.rbegin()->second;
  Awaiting& a = awaiting_[owner];
  a.in_flight.insert(file);
  Requeue(owner, a, /*acted=*/true);
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
  Downloads& dl = downloads_[owner];
  if (complete) {
    dl.completed.insert(file);
    if (!dl.for_load.empty()) {
      if (sites_.size() >= kMaxTransfers) sites_.clear();  // bounded; own downloads still count
      ++sites_[Key(ip, dl.for_load)].completed[file];
    }
  }
  if (auto a = awaiting_.find(owner); a != awaiting_.end() && a->second.ip == ip) {
    a->second.in_flight.erase(file);
    if (complete) a->second.files.erase(file);  // an incomplete one is queued again, first
    if (complete && IsManifest(file)) a->second.images_open = true;  // its images come next
    Requeue(owner, a->second, /*acted=*/true);
  }
  return owner;
}

DownloadLedger::Credit DownloadLedger::Completes(int64_t device, const std::string& ip,
                                                 const std::string& load,
                                                 const std::set<std::string>& needed,
                                                 bool partial) {
  std::lock_guard lock(mu_);
  if (needed.empty()) return Credit::kNo;
  Site& site = sites_[Key(ip, load)];
  auto own = downloads_.find(device);
  const bool mine = own != downloads_.end() && own->second.for_load == load;
  Credit credit = mine && std::includes(own->second.completed.begin(),
                                        own->second.completed.end(), needed.begin(), needed.end())
                      ? Credit::kOwn
                      : Credit::kNo;
  // It fetched the manifest and none of the images credited since (images are credited only to
  // a device that has its manifest): the AUTH FAIL signature, not a set of its neighbours'.
  const bool manifest_only =
      mine && !own->second.completed.empty() &&
      std::all_of(own->second.completed.begin(), own->second.completed.end(), IsManifest);
  // Its manifest and at least one image: it took the hop, its other images credited to
  // neighbours (only when the caller accepts that guess).
  const bool some = mine && partial &&
                    std::any_of(own->second.completed.begin(), own->second.completed.end(),
                                IsManifest);
  if (credit == Credit::kNo && !manifest_only &&
      (some || std::all_of(needed.begin(), needed.end(), [&](const std::string& f) {
         auto c = site.completed.find(f);
         return c != site.completed.end() && c->second - site.hops >= 1;
       })))
    credit = Credit::kSite;
  if (credit != Credit::kNo) ++site.hops;
  return credit;
}

std::optional<std::string> DownloadLedger::AddressOf(int64_t device) const {
  std::lock_guard lock(mu_);
  auto it = awaiting_.find(device);
  if (it == awaiting_.end()) return std::nullopt;
  return it->second.ip;
}

Downloads DownloadLedger::Of(int64_t device, const std::string& load) const {
  std::lock_guard lock(mu_);
  auto it = downloads_.find(device);
  return it != downloads_.end() && it->second.for_load == load ? it->second : Downloads{};
}

nlohmann::json DownloadLedger::TakeSlice(const std::string& ip,
                                         const std::set<int64_t>& devices) {
  std::lock_guard lock(mu_);
  const std::string prefix = ip + '\0';
  std::set<int64_t> mine = devices;
  nlohmann::json awaiting = nlohmann::json::array(), transfers = nlohmann::json::array();
  for (auto it = awaiting_.begin(); it != awaiting_.end();) {
    if (it->second.ip != ip) {
      ++it;
      continue;
    }
    const Awaiting& a = it->second;
    awaiting.push_back({{"device", it->first},
                        {"seq", a.seq},
                        {"files", a.files},
                        {"in_flight", a.in_flight},
                        {"staged", a.staged},
                        {"images_open", a.images_open}});
    mine.insert(it->first);
    Unqueue(it->first, a);
    it = awaiting_.erase(it);
  }
  for (auto it = transfers_.begin(); it != transfers_.end();) {
    if (it->second.ip != ip) {
      ++it;
      continue;
    }
    transfers.push_back({{"key", it->first}, {"owner", it->second.owner}});
    mine.insert(it->second.owner);
    it = transfers_.erase(it);
  }
  nlohmann::json downloads = nlohmann::json::array(), sites = nlohmann::json::array();
  for (int64_t d : mine) {
    auto it = downloads_.find(d);
    if (it == downloads_.end()) continue;
    downloads.push_back({{"device", d},
                         {"for_load", it->second.for_load},
                         {"started", it->second.started},
                         {"completed", it->second.completed}});
    downloads_.erase(it);
  }
  for (auto it = sites_.begin(); it != sites_.end();) {
    if (it->first.rfind(prefix, 0) != 0) {
      ++it;
      continue;
    }
    sites.push_back({{"load", it->first.substr(prefix.size())},
                     {"completed", it->second.completed},
                     {"hops", it->second.hops}});
    it = sites_.erase(it);
  }
  if (awaiting.empty() && transfers.empty() && downloads.empty() && sites.empty()) return nullptr;
  return {{"awaiting", std::move(awaiting)},
          {"transfers", std::move(transfers)},
          {"downloads", std::move(downloads)},
          {"sites", std::move(sites)}};
}

void DownloadLedger::PutSlice(const std::string& ip, const nlohmann::json& slice) {
  if (!slice.is_object()) return;
  std::lock_guard lock(mu_);
  for (const auto& j : slice.value("downloads", nlohmann::json::array())) {
    downloads_[j.at("device").get<int64_t>()] = {j.at("for_load").get<std::string>(),
                                                 j.at("started").get<std::set<std::string>>(),
                                                 j.at("completed").get<std::set<std::string>>()};
  }
  for (const auto& j : slice.value("transfers", nlohmann::json::array()))
    transfers_[j.at("key").get<std::string>()] = {j.at("owner").get<int64_t>(), ip};
  for (const auto& j : slice.value("sites", nlohmann::json::array())) {
    Site& site = sites_[Key(ip, j.at("load").get<std::string>())];
    site.completed = j.at("completed").get<std::unordered_map<std::string, int64_t>>();
    site.hops = j.at("hops").get<int64_t>();
  }
  for (const auto& j : slice.value("awaiting", nlohmann::json::array())) {
    const int64_t device = j.at("device").get<int64_t>();
    if (auto old = awaiting_.find(device); old != awaiting_.end()) Unqueue(device, old->second);
    Awaiting& a = awaiting_[device] = {ip,
                                       j.at("seq").get<uint64_t>(),
                                       j.at("files").get<std::set<std::string>>(),
                                       j.at("in_flight").get<std::set<std::string>>(),
                                       j.at("staged").get<bool>(),
                                       j.at("images_open").get<bool>()};
    // Sequence numbers order the devices at one address: this node's next ones come after.
    next_seq_ = std::max(next_seq_, a.seq);
    Requeue(device, a, /*acted=*/false);
  }
}

nlohmann::json Whereabouts::TakeSlice(const std::string& ip) {
  std::lock_guard lock(mu_);
  auto it = by_ip_.find(ip);
  if (it == by_ip_.end()) return nullptr;
  // To 10 s (the window is minutes): a phone's requests in that time leave the state as it
  // was, and a node has nothing to write back.
  auto coarse = [](int64_t ms) { return ms - ms % 10000; };
  nlohmann::json j = {{"device", it->second.device},
                      {"at", coarse(it->second.at_ms)},
                      {"other_at", coarse(it->second.other_at_ms)}};
  by_ip_.erase(it);
  return j;
}

void Whereabouts::PutSlice(const std::string& ip, const nlohmann::json& slice) {
  if (!slice.is_object()) return;
  std::lock_guard lock(mu_);
  by_ip_[ip] = {slice.at("device").get<int64_t>(), slice.at("at").get<int64_t>(),
                slice.at("other_at").get<int64_t>()};
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
