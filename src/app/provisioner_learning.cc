// The provisioner's learning of what an enterprise phone runs when nobody recorded it: the
// phone's own web page, its syslog, and the outcome of what it was offered (app/
// firmware_learning.h for the candidate set and the offer policy).
#include <algorithm>

#include "app/device_input.h"
#include "app/firmware_learning.h"
#include "app/provisioner.h"
#include "core/phone_report.h"
#include "core/text.h"

namespace stepup {
namespace {

// How sure a source of what a phone runs is; a weaker one never overrules a surer one.
int Strength(const std::string& source) {
  if (source == "inferred" || source == kSiteDownloads) return 1;
  if (source.empty()) return 2;  // recorded before sources were
  return 3;
}

}  // namespace

std::string Provisioner::FirmwareName(const Model& m, const std::string& name) const {
  if (name.empty() || name.size() > 64) return "";
  if (const Load* l = cfg_.catalog->FindLoad(m.family, name)) return l->load;
  return CheckFirmware(*cfg_.catalog, m, name) ? name : "";
}

bool Provisioner::Enterprise(const Catalog& cat, const Device& d) {
  const Model* m = cat.FindModel(d.model);
  return m && !FlatProfileFamily(cat.FindFamily(m->family));
}

ProfileSetup Provisioner::Setup(std::shared_ptr<const std::unordered_set<const Load*>>& keep) {
  ProfileSetup setup;
  setup.catalog = cfg_.catalog;
  setup.renderer = cfg_.renderer;
  {
    std::lock_guard alock(avail_mu_);
    keep = available_;
  }
  setup.available = keep.get();
  setup.base_url = cfg_.base_url;
  setup.defaults = cfg_.defaults;
  setup.now = cfg_.now_ms() / 1000;
  return setup;
}

std::shared_ptr<const std::unordered_set<const Load*>> Provisioner::AvailableLoads() {
  std::lock_guard alock(avail_mu_);
  return available_;
}

void Provisioner::WhenReady(uint64_t ticket, std::function<void()> fn) {
  {
    std::lock_guard lock(learn_mu_);
    auto it = waiting_.find(ticket);
    if (it != waiting_.end()) {
      it->second.push_back(std::move(fn));
      return;
    }
  }
  fn();
}

std::optional<uint64_t> Provisioner::ProbeFor(const Device& d, const Request& req, bool* started) {
  if (!cfg_.probe_phone || !d.firmware.empty()) return std::nullopt;
  uint64_t ticket = 0;
  {
    std::lock_guard lock(learn_mu_);
    PhoneProbe& p = probes_[d.id];
    if (p.in_flight) return p.ticket;
    if (p.at_ms != 0 && cfg_.now_ms() - p.at_ms < cfg_.reprobe_after_ms) return std::nullopt;
    p = {true, cfg_.now_ms(), ticket = ++next_ticket_};
    waiting_[ticket];
  }
  if (started) *started = true;
  cfg_.probe_phone(req.peer_ip, [this, id = d.id, req, ticket](std::optional<std::string> body) {
    OnProbe(id, req, ticket, body);
  });
  return ticket;
}

void Provisioner::OnProbe(int64_t device_id, const Request& req, uint64_t ticket,
                          const std::optional<std::string>& body) {
  ReloadGate::Pin pin(gate_);
  AddressScope scope(*this, req.peer_ip);  // the phone's address: its state comes in
  const std::string url = "http://" + req.peer_ip + "/DeviceInformationX";
  auto found = cfg_.inventory->FindById(device_id);
  if (found && found->has_value()) {
    const Device& d = **found;
    const Model* m = cfg_.catalog->FindModel(d.model);
    std::optional<PhonePage> page;
    if (body) page = ParseDeviceInformation(*body);
    const Load* l = page && m ? LoadOfPhonePage(*cfg_.catalog, m->family, *page) : nullptr;
    // A release the catalog does not list as a load (a factory "8.3(2)") still places it.
    std::string named = l ? l->load : page && m ? FirmwareName(*m, page->version_id) : "";
    std::string why;
    if (!body) {
      why = "no page at " + url + " (off or unreachable); not asked again for " +
            std::to_string(cfg_.reprobe_after_ms / 60000) + " min";
    } else if (!page) {
      why = url + " is not a DeviceInformationX page";
    } else if (!page->mac.empty() && page->mac != d.mac) {
      why = url + " is another phone's page (MAC " + page->mac + ")";
      named.clear();
    } else if (named.empty()) {
      why = url + " names no load of the catalog (versionID \"" + page->version_id.substr(0, 64) +
            "\", appLoadID \"" + page->app_load_id.substr(0, 64) + "\")";
    }
    if (!named.empty()) {
      LearnFirmware(device_id, named, "phone-page",
                    "its web page " + url + " (versionID \"" + page->version_id.substr(0, 64) +
                        "\", appLoadID \"" + page->app_load_id.substr(0, 64) + "\")",
                    req);
    } else {  // nothing learned: no longer probing, and the history says why
      std::lock_guard lock(LockFor(d.key()));
      auto now = cfg_.inventory->FindById(device_id);
      if (now && now->has_value()) {
        Device cur = **now;
        Move(cur, Happening::kProbeTaughtNothing);
        cur.updated = cfg_.now_ms() / 1000;
        (void)cfg_.inventory->RecordProgress(
            cur, {Event{cfg_.now_ms(), "probe", why, "http", req.peer_ip}});
      }
    }
  }
  std::vector<std::function<void()>> ready;
  {
    std::lock_guard lock(learn_mu_);
    PhoneProbe& p = probes_[device_id];
    p.in_flight = false;
    p.at_ms = cfg_.now_ms();
    if (auto it = waiting_.find(ticket); it != waiting_.end()) {
      ready = std::move(it->second);
      waiting_.erase(it);
    }
  }
  for (auto& fn : ready) fn();
}

std::optional<Device> Provisioner::LockedDevice(int64_t id, std::unique_lock<std::mutex>& lock) {
  auto first = cfg_.inventory->FindById(id);
  if (!first || !first->has_value()) return std::nullopt;
  lock = std::unique_lock(LockFor((*first)->key()));
  auto found = cfg_.inventory->FindById(id);  // as it is now that no request changes it
  if (!found || !found->has_value()) return std::nullopt;
  return **found;
}

void Provisioner::LearnFirmware(int64_t device_id, const std::string& load,
                                const std::string& source, const std::string& how,
                                const Request& req) {
  std::unique_lock<std::mutex> lock;
  auto found = LockedDevice(device_id, lock);
  if (!found) return;
  Device d = std::move(*found);
  if (d.firmware == load) return;
  if (!d.firmware.empty() && Strength(source) < Strength(d.firmware_source)) return;
  std::vector<Event> events;
  if (d.pending_load == load) {
    events.push_back(MakeEvent(req, "hop-completed", load));
    d.pending_load.clear();
    d.pending_offers = 0;
  }
  events.push_back(MakeEvent(
      req, "firmware-learned",
      load + " from " + source + ": " + how +
          (d.firmware.empty() ? "" : " (was " + d.firmware + " from " + d.firmware_source + ")")));
  d.firmware = load;
  d.firmware_source = source;
  d.candidates.clear();
  auto state = ParseState(d.state);
  if (state && Next(*state, Happening::kLearnedAtTarget).to != *state) {  // a learning state
    std::shared_ptr<const std::unordered_set<const Load*>> keep;
    auto plan = PlanForDevice(Setup(keep), Planned(d), d.firmware);
    Move(d, plan && plan->status == PlanStatus::kCurrent ? Happening::kLearnedAtTarget
                                                         : Happening::kLearnedBehindTarget);
    d.state_detail.clear();
  }
  if (d.pending_load.empty()) ledger_.Settled(device_id);
  d.updated = cfg_.now_ms() / 1000;
  {
    std::lock_guard l(learn_mu_);
    uncertain_offers_.erase(device_id);
    unlearned_asks_.erase(device_id);
  }
  (void)cfg_.inventory->RecordProgress(d, events);
}

bool Provisioner::LearnFromOutcome(Device& d, const Load* pending, const Request& req,
                                   std::vector<Event>& events) {
  if (!d.firmware.empty() || !pending || !Enterprise(*cfg_.catalog, d)) return false;
  const Downloads dl = ledger_.Of(d.id, d.pending_load);
  if (ManifestOnly(dl)) {
    auto left = RejectedBy(Candidates(*cfg_.catalog, d), *pending);
    events.push_back(MakeEvent(req, "firmware-narrowed",
                               "it fetched " + pending->load +
                                   ".loads but none of its images and asked again (AUTH "
                                   "FAIL): it runs a load that does not accept " +
                                   pending->facts.signed_with.value + "; " +
                                   DescribeCandidates(left) + " left"));
    d.candidates = Names(left);
    if (d.candidates.empty()) d.candidates.push_back("");  // none left: say so, offer nothing
  } else if (dl.started.empty() && seen_.Sole(req.peer_ip, cfg_.now_ms()) == d.id) {
    // (Behind an address other phones share, "it fetched nothing" is not known: a download
    // credited to another phone there may have been its own.)
    events.push_back(MakeEvent(req, "firmware-learned",
                               pending->load + " from inferred: offered " + pending->load +
                                   " and it asked again without fetching any of it"));
    d.firmware = pending->load;
    d.firmware_source = "inferred";
    d.candidates.clear();
  } else {
    return false;  // it started downloads: the usual completion and stuck rules apply
  }
  d.pending_load.clear();
  d.pending_offers = 0;
  std::lock_guard lock(learn_mu_);
  uncertain_offers_.erase(d.id);
  return true;
}

bool Provisioner::DoubtSiteCredit(Device& d, const Request& req, std::vector<Event>& events) {
  if (d.firmware_source != kSiteDownloads || !Enterprise(*cfg_.catalog, d)) return false;
  {
    std::lock_guard lock(learn_mu_);
    if (doubts_.size() > (1u << 20)) doubts_.clear();  // bounded; a doubt is a retry, no more
    int& n = doubts_[d.id];
    if (n >= kMaxDoubts) return false;
    ++n;
  }
  const std::string was = d.firmware;
  const Load* stalled = FindLoadOf(d, d.pending_load);
  d.firmware.clear();
  d.firmware_source.clear();
  d.candidates.clear();
  auto left = Candidates(*cfg_.catalog, d);
  // On `was` it would have installed the stalled hop (its key is accepted there): what it runs
  // most likely rejects that key, unless no candidate does.
  if (stalled) {
    auto rejecting = RejectedBy(left, *stalled);
    if (!rejecting.empty()) left = std::move(rejecting);
  }
  d.candidates = Names(left);
  events.push_back(MakeEvent(
      req, "firmware-doubted",
      "offered " + d.pending_load + " " + std::to_string(d.pending_offers) +
          " times without it installing; the hop to " + was +
          " was credited from downloads at an address other phones share and may have been "
          "another phone's: what it runs is unknown again; " +
          DescribeCandidates(left)));
  d.pending_load.clear();
  d.pending_offers = 0;
  ledger_.Settled(d.id);
  std::lock_guard lock(learn_mu_);
  uncertain_offers_.erase(d.id);
  return true;
}

Result<Plan> Provisioner::UncertainPlan(const ProfileSetup& setup, Device& d, std::string& why) {
  auto candidates = Candidates(*cfg_.catalog, d);
  d.candidates = Names(candidates);
  UncertainOffer offer = ChooseUncertainOffer(setup, d, candidates);
  why = offer.why;
  Plan plan;
  plan.model = cfg_.catalog->FindModel(d.model);
  plan.to = d.target;
  if (offer.load) {
    plan.status = PlanStatus::kOk;
    plan.hops.push_back({offer.load, offer.why, false, {}});
    std::lock_guard lock(learn_mu_);
    auto& o = uncertain_offers_[d.id];
    if (o.second != offer.load->load) o = {cfg_.now_ms(), offer.load->load};
  } else {
    plan.status = PlanStatus::kNoPath;
    plan.reason = offer.why;
  }
  return plan;
}

void Provisioner::NothingLearned(Device& d, const Request& req, const std::string& why,
                                 std::vector<Event>& events) {
  int asked = 0;
  bool page_off = false;
  {
    std::lock_guard lock(learn_mu_);
    asked = ++unlearned_asks_[d.id];
    auto p = probes_.find(d.id);
    page_off = p != probes_.end() && !p->second.in_flight;
  }
  if (asked < cfg_.stuck_after) return;
  std::string tried = std::string(cfg_.probe_phone ? (page_off ? "its web page: none"
                                                               : "its web page: not read yet")
                                                   : "its web page: probing off") +
                      "; syslog: nothing naming its load; offers: none safe";
  const char* event = Move(d, Happening::kNothingLearned);
  d.state_detail = ("asked for its configuration " + std::to_string(asked) +
                    " times while what it runs stayed unknown (" + tried + "): " + why)
                       .substr(0, 2000);
  if (event) events.push_back(MakeEvent(req, event, d.state_detail));
}

void Provisioner::SweepQuietTargets(int64_t now, const std::string* only_ip) {
  std::vector<std::pair<int64_t, std::string>> due;
  {
    std::lock_guard lock(learn_mu_);
    std::erase_if(quiet_targets_, [&](const auto& kv) {
      if (now - kv.second.first < cfg_.learn_after_ms || !AtAddress(kv.first, only_ip))
        return false;
      due.emplace_back(kv.first, kv.second.second);
      return true;
    });
  }
  for (const auto& [id, load] : due) {
    std::unique_lock<std::mutex> lock;
    auto found = LockedDevice(id, lock);
    if (!found || found->pending_load != load) continue;  // it asked again meanwhile
    Device d = std::move(*found);
    Request req;
    req.transport = "server";
    std::vector<Event> events{
        MakeEvent(req, "hop-completed", load),
        MakeEvent(req, "firmware-learned",
                  load + " from " + std::string(kSiteDownloads) + ": offered " + load +
                      ", its target, " + std::to_string(d.pending_offers) +
                      " times at an address other phones share, and it has not asked again in " +
                      std::to_string(cfg_.learn_after_ms / 1000) +
                      " s (a phone that does not run it reboots to fetch it)")};
    d.firmware = load;
    d.firmware_source = std::string(kSiteDownloads);
    d.pending_load.clear();
    d.pending_offers = 0;
    Move(d, Happening::kPlannedCurrent);
    d.state_detail.clear();
    ledger_.Settled(id);
    d.updated = now / 1000;
    (void)cfg_.inventory->RecordProgress(d, events);
  }
}

void Provisioner::Sweep() {
  ReloadGate::Pin pin(gate_);
  const int64_t now = cfg_.now_ms();
  if (!cfg_.shared) {
    SweepRollout(now);
    SweepQuietTargets(now);
    SweepUncertainOffers(now, nullptr);
    return;
  }
  // Nodes sharing a fleet: group triggers once for the fleet (the leader's), and each
  // address whose offers are due, held while it is looked at.
  if (cfg_.shared->Lead()) SweepRollout(now);
  auto due = cfg_.shared->Due(now, 1000);
  if (!due) return;
  for (const auto& ip : *due) {
    AddressScope scope(*this, ip);
    if (!scope.ok()) return;
    SweepQuietTargets(now, &ip);
    SweepUncertainOffers(now, &ip);
  }
}

void Provisioner::SweepUncertainOffers(int64_t now, const std::string* only_ip) {
  std::vector<std::pair<int64_t, std::string>> due;
  {
    std::lock_guard lock(learn_mu_);
    for (auto it = uncertain_offers_.begin(); it != uncertain_offers_.end();) {
      if (now - it->second.first < cfg_.learn_after_ms || !AtAddress(it->first, only_ip)) {
        ++it;
        continue;
      }
      due.emplace_back(it->first, it->second.second);
      it = uncertain_offers_.erase(it);
    }
  }
  for (const auto& [id, load] : due) {
    if (!ledger_.Of(id, load).started.empty()) continue;  // its next request tells
    auto ip = ledger_.AddressOf(id);  // behind a shared address "fetched nothing" is not known
    if (!ip || seen_.Sole(*ip, now) != id) continue;
    auto d = cfg_.inventory->FindById(id);
    if (!d || !d->has_value() || !(*d)->firmware.empty() || (*d)->pending_load != load) continue;
    Request req;
    req.transport = "server";
    LearnFirmware(id, load, "inferred",
                  "offered " + load + " and it fetched none of it in " +
                      std::to_string(cfg_.learn_after_ms / 1000) + " s: it already runs it",
                  req);
  }
}

}  // namespace stepup
