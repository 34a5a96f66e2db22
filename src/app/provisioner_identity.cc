// The provisioner's identity side: whether a request may have a device's secrets
// (app/identity_check.h), what a mismatch leaves in the history, the probe guard
// (app/probe_guard.h), and the enterprise boots it follows.
#include <nlohmann/json.hpp>

#include "app/provisioner.h"

namespace stepup {
namespace {

// A phone's boot: its trust lists, then its configuration, within this time from one address.
constexpr int64_t kBootWindowMs = 5 * 60 * 1000;
constexpr size_t kMaxBootsFollowed = 1 << 17;  // (address, device) pairs remembered

// The file a request names, without directories or query: what a mismatch event records (a
// prober varying them would otherwise make every event new).
std::string RequestedFile(const std::string& target) {
  std::string path = target.substr(0, target.find('?'));
  return path.substr(path.rfind('/') + 1);
}

}  // namespace

std::optional<Response> Provisioner::RefuseProber(const Request& req) {
  int64_t retry_after_s = 0;
  std::optional<ProbeGuard::Summary> summary;
  if (!guard_.Refused(req.peer_ip, cfg_.now_ms(), retry_after_s, summary)) return std::nullopt;
  if (summary) RecordProbeSummary(req, *summary);
  return TextResponse(429, "too many requests from " + req.peer_ip +
                               " named unknown devices or failed the identity check; retry in " +
                               std::to_string(retry_after_s) + " s");
}

bool Provisioner::CountFailure(const Request& req, Response& answer) {
  ProbeGuard::Outcome o = guard_.Failure(req.peer_ip, cfg_.now_ms());
  answer.delay_ms = o.delay_ms;
  if (o.summary) RecordProbeSummary(req, *o.summary);
  return o.record;
}

void Provisioner::RecordProbeSummary(const Request& req, const ProbeGuard::Summary& s) {
  const auto& lim = guard_.limits();
  std::string detail =
      s.ip + ": " + std::to_string(s.failures) +
      " requests named unknown devices or failed the identity check since " +
      std::to_string(s.since_ms / 1000) + " (" + std::to_string(s.unrecorded) +
      " not recorded one by one); refused until " + std::to_string(s.refused_until_ms / 1000) +
      " (" + std::to_string(s.refused) + " refused so far; slowed after " +
      std::to_string(lim.slow_after) + ", refused after " + std::to_string(lim.block_after) +
      " in " + std::to_string(lim.window_ms / 60000) + " min); last: " + req.method + " " +
      req.target.substr(0, 200);
  nlohmann::json claimed = {{"address", s.ip},        {"since", s.since_ms},
                            {"failures", s.failures}, {"unrecorded", s.unrecorded},
                            {"refused", s.refused},   {"refused_until", s.refused_until_ms}};
  (void)cfg_.inventory->RecordUnknown({MakeEvent(req, "throttled", detail), claimed.dump()});
}

// Keyed by address and device: behind NAT many phones boot from one address.
void Provisioner::NoteBoot(const Request& req, int64_t device_id) {
  const int64_t now = cfg_.now_ms();
  std::lock_guard lock(seen_mu_);
  if (boots_.size() >= kMaxBootsFollowed) {
    std::erase_if(boots_, [now](const auto& b) { return now - b.second > kBootWindowMs; });
    if (boots_.size() >= kMaxBootsFollowed) boots_.clear();
  }
  boots_[req.peer_ip + '\0' + std::to_string(device_id)] = now;
}

int64_t Provisioner::BootAt(const Request& req, int64_t device_id) {
  std::lock_guard lock(seen_mu_);
  auto it = boots_.find(req.peer_ip + '\0' + std::to_string(device_id));
  return it == boots_.end() ? -1 : it->second;
}

bool Provisioner::RepeatOfOffer(const Device& d, const Request& req) {
  if (d.pending_load.empty() || !Enterprise(*cfg_.catalog, d)) return false;
  int64_t offered = 0;
  {
    std::lock_guard lock(learn_mu_);
    auto it = last_offer_.find(d.id);
    if (it == last_offer_.end()) return false;
    offered = it->second;
  }
  const int64_t boot = BootAt(req, d.id);
  return boot >= 0 && boot < offered && cfg_.now_ms() - offered < kSameBootMs;
}

bool Provisioner::BootFollowed(const Request& req, int64_t device_id) {
  std::lock_guard lock(seen_mu_);
  auto it = boots_.find(req.peer_ip + '\0' + std::to_string(device_id));
  return it != boots_.end() && cfg_.now_ms() - it->second <= kBootWindowMs;
}

const Identity* Provisioner::Presented::Source(const char* source) const {
  for (const auto& o : *observations) {
    if (o.source == source) return &o.identity;
  }
  return nullptr;
}

IdentityVerdict Provisioner::Screen(const Device& d, const Presented& who, const Request& req) {
  IdentityFacts f;
  f.request = &req;
  f.user_agent = who.Source("user-agent");
  f.cert = who.Source("cert");
  f.merged = who.merged;
  f.device = &d;
  f.model = cfg_.catalog->FindModel(d.model);
  f.family = f.model ? cfg_.catalog->FindFamily(f.model->family) : nullptr;
  f.boot_followed = BootFollowed(req, d.id);
  f.tftp_secrets = cfg_.tftp_secrets;
  return CheckIdentity(f);
}

Response Provisioner::Mismatch(const Device& d, const IdentityVerdict& v, const Request& req,
                               const std::string& name) {
  const Model* m = cfg_.catalog->FindModel(d.model);
  Response r = v.clearance == Clearance::kBootstrap && m && !TrustListFileName(name)
                   ? Bootstrap(*m)
                   : TextResponse(403, "forbidden");
  r.reason = "identity mismatch: " + v.Describe();
  r.device = d.key();
  NoteMismatch(d, v, req, r);
  return r;
}

void Provisioner::NoteMismatch(const Device& d, const IdentityVerdict& v, const Request& req,
                               Response& answer) {
  if (!v.contradicted) {
    if (!guard_.Lacking(req.peer_ip, cfg_.now_ms()).record) return;
  } else if (!CountFailure(req, answer)) {
    return;
  }
  (void)cfg_.inventory->AppendEvent(
      d.id,
      MakeEvent(req, "identity-mismatch",
                req.method + " " + RequestedFile(req.target).substr(0, 100) + " from " +
                    req.peer_ip + ": " + v.Describe()),
      /*batched=*/true);
}

Response Provisioner::RefuseClaim(const Request& req, const std::vector<Observation>& observations,
                                  const std::string& why) {
  std::vector<Observation> claimed;  // what the request names apart from its certificate
  for (const auto& o : observations) {
    if (o.source != "cert") claimed.push_back(o);
  }
  const MergedIdentity id = MergeIdentities(claimed);
  const Identity& named = id.identity;
  if (id.conflicts.empty() && (!named.mac.empty() || !named.serial.empty())) {
    auto found = cfg_.inventory->Find(named.mac, named.serial);
    if (found && found->has_value() && (named.mac.empty() || (*found)->mac == named.mac)) {
      const Device& d = **found;
      Response r = TextResponse(403, "forbidden");
      r.reason = why;
      r.device = d.key();
      if (CountFailure(req, r)) {
        (void)cfg_.inventory->AppendEvent(
            d.id,
            MakeEvent(req, "identity-mismatch",
                      req.method + " " + RequestedFile(req.target).substr(0, 100) + " from " +
                          req.peer_ip + ": " + why.substr(0, 400)),
            /*batched=*/true);
      }
      return r;
    }
  }
  return Unknown(req, id, why);
}

void Provisioner::NoteSecretsSent(const Device& d, const Request& req,
                                   std::vector<Event>& events) {
  std::string names;  // the secret settings the answer carried
  for (const auto& [key, value] : d.settings) {
    if (!value.empty() && SecretSetting(key)) names += (names.empty() ? "" : ", ") + key;
  }
  if (names.empty()) return;
  {
    std::lock_guard lock(seen_mu_);
    if (secrets_noted_.size() > (1u << 20)) secrets_noted_.clear();  // bounded; notes again
    if (!secrets_noted_.emplace(d.id, req.transport).second) return;
  }
  const bool plain = req.transport != "https";
  events.push_back(MakeEvent(
      req, "secrets-sent",
      names + " over " + req.transport +
          (plain ? " (plain: readable on the network)" : " (" + req.tls_version + ")")));
}

void Provisioner::LearnSerial(Device& d, const std::string& serial, const Request& req,
                              std::vector<Event>& events) {
  auto other = cfg_.inventory->FindBySerial(serial);
  if (!other || (other->has_value() && (*other)->id != d.id)) return;  // another device's
  d.serial = serial;
  events.push_back(MakeEvent(req, "serial-learned",
                             serial + " (from the first request that agreed with the inventory)"));
}

}  // namespace stepup
