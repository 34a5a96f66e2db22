// The provisioner's walk of one known device through its chain: the boot it follows, what the
// request says the phone runs, the plan (made once per request) applied through the device's
// lifecycle (app/device_lifecycle.h), the rendered answer, and the progress made durable
// before the answer goes out (contract.md, Durability).
#include <algorithm>
#include <random>
#include <string_view>

#include "app/device_lifecycle.h"
#include "app/provisioner.h"
#include "app/rollout_groups.h"
#include "core/profile_cipher.h"
#include "core/text.h"

namespace stepup {
namespace {

// The profile URL asks for the encrypted form (the "enc=aes" of a rule with --key).
bool AsksEncrypted(const std::string& target) {
  const size_t q = target.find('?');
  return q != std::string::npos &&
         QueryParam(std::string_view(target).substr(q + 1), kEncryptedParam) == kEncryptedValue;
}

// The phone's rule holds its key, so the answer is encrypted under it with a fresh salt (the
// answer may have gone without secrets: the phone cannot read a plain one any more).
Response Encrypted(const Device& d, Response out) {
  auto key = d.settings.find(kProfileKeySetting);
  if (key == d.settings.end() || key->second.empty()) {
    return TextResponse(409, "device " + d.key() + " asked for an encrypted profile (" +
                                 kEncryptedQuery + ") but has no " + kProfileKeySetting +
                                 " setting");
  }
  std::random_device rd;
  std::string salt(8, '\0');
  for (char& c : salt) c = static_cast<char>(rd() & 0xff);
  auto body = EncryptProfile(out.body, key->second, salt);
  if (!body) return TextResponse(500, body.error().message);
  out.body = std::move(body).value();
  out.content_type = "application/octet-stream";
  return out;
}

// What of a device, changed by a request, must be written before its answer is sent.
bool Progressed(const Device& a, const Device& b) {
  return a.firmware != b.firmware || a.serial != b.serial || a.candidates != b.candidates ||
         a.firmware_source != b.firmware_source || a.state != b.state ||
         a.pending_load != b.pending_load || a.pending_offers != b.pending_offers ||
         a.excluded != b.excluded || a.state_detail != b.state_detail;
}

}  // namespace

const char* Provisioner::Move(Device& d, Happening what) {
  auto from = ParseState(d.state);
  if (!from) return nullptr;  // a state this build does not know: left alone
  const Transition t = Next(*from, what);
  d.state = std::string(StateName(t.to));
  return t.event;
}

Response Provisioner::FollowBoot(Device d, const Request& req, const std::string& name) {
  // The first files of an enterprise phone's boot: the server follows it from here.
  Remember(req, d.id);
  NoteBoot(req, d.id);
  ledger_.Rebooted(d.id);  // a new boot: its images are credited after its manifest again
  bool started = false;  // firmware unknown: its page is read while it boots
  (void)ProbeFor(d, req, &started);
  if (started) {  // the answer waits for this device's lock: no race
    if (const char* event = Move(d, Happening::kProbeStarted)) {
      d.updated = cfg_.now_ms() / 1000;
      (void)cfg_.inventory->RecordProgress(
          d, {MakeEvent(req, event, "reading http://" + req.peer_ip + "/DeviceInformationX")});
    }
  }
  // Trust lists only when the operator supplies them: a bench must not pin phones to itself.
  if (auto extra = cfg_.extras.Resolve(name)) return ServeFile(extra, name, req, false);
  Response r = TextResponse(404, "not found");
  r.device = d.key();
  return r;
}

Response Provisioner::ServeDevice(Device d, const Presented& who, const Request& req,
                                  const std::string& name, const SettledAnswers::Stamp& stamp) {
  const Model* model = cfg_.catalog->FindModel(d.model);
  const Family* family = model ? cfg_.catalog->FindFamily(model->family) : nullptr;
  const bool enterprise = !FlatProfileFamily(family);
  if (TrustListFileName(name) && enterprise) return FollowBoot(std::move(d), req, name);
  IdentityVerdict verdict = Screen(d, who, req);
  if (verdict.clearance == Clearance::kBootstrap || verdict.clearance == Clearance::kRefuse)
    return Mismatch(d, verdict, req, name);
  Response noted;  // a walk without secrets (TFTP, no boot followed) is still a mismatch
  if (!verdict.disagreements.empty()) NoteMismatch(d, verdict, req, noted);
  Remember(req, d.id);
  const Device before = d;
  std::vector<Event> events{RequestEvent(req)};
  // An SPA/MPP phone handed off points its rules elsewhere: back here, it was reset (or set
  // back). An enterprise phone asks here until its DHCP option 150 is changed: not a return.
  if (!enterprise && d.state == kStateHandedOff) {
    if (const char* event = Move(d, Happening::kCameBack))
      events.push_back(MakeEvent(req, event,
                                 "asked this server again after its hand-off (factory reset, or "
                                 "its profile rule set back)"));
  }
  if (!verdict.learn_serial.empty()) LearnSerial(d, verdict.learn_serial, req, events);
  const bool quarantined = d.state == kStateQuarantine;
  if (!quarantined && enterprise && d.firmware.empty()) {
    // Nobody recorded what it runs: read its web page first, and answer once that is done.
    if (auto ticket = ProbeFor(d, req)) {
      Response wait;
      wait.ready = *ticket;
      wait.device = d.key();
      return wait;
    }
  }
  Response out;
  if (quarantined) {  // no secrets and no upgrades until an operator accepts it
    out = model ? Bootstrap(*model) : TextResponse(403, "quarantined");
  } else {
    Observe(d, who.merged->identity.firmware, req, events);
    const TransportPlan transport = Escalate(d, family, req, events);
    if (transport.withhold && verdict.clearance == Clearance::kSecrets)
      verdict.clearance = Clearance::kWalkOnly;  // secrets wait for HTTPS
    if (!cfg_.bench_group.empty() && GroupOf(d) == cfg_.bench_group &&
        verdict.clearance == Clearance::kSecrets)
      verdict.clearance = Clearance::kWalkOnly;  // a bench sends no secrets
    out = Walk(d, before, verdict, req, events, transport);
    if (verdict.clearance == Clearance::kSecrets && out.status == 200)
      NoteSecretsSent(d, req, events);
  }
  out.device = d.key();
  out.delay_ms = noted.delay_ms;
  const bool keyed = verdict.clearance == Clearance::kSecrets && req.transport != "tftp" &&
                     !enterprise && !quarantined && !out.transient;
  return Commit(d, before, std::move(out), events, keyed ? &stamp : nullptr);
}

void Provisioner::HandOff(Device& d, Device& for_render, ProfileSetup& setup,
                          const RolloutGroup* group, const Request& req,
                          std::vector<Event>& events) {
  const Model* model = cfg_.catalog->FindModel(d.model);
  const bool enterprise = !FlatProfileFamily(model ? cfg_.catalog->FindFamily(model->family)
                                                   : nullptr);
  const std::string to = EffectiveSetting(d, group, cfg_.defaults,
                                          enterprise ? kHandoffCallControl : kHandoffUrl);
  if (to.empty()) return;
  std::string detail;
  if (enterprise) {
    for_render.settings["call_manager"] = to;
    const std::string tftp = EffectiveSetting(d, group, cfg_.defaults, kHandoffTftp);
    detail = "its configuration names call control " + to +
             "; to finish the move, point DHCP option 150 for it at " +
             (tftp.empty() ? "the production TFTP server" : tftp) +
             " (this server sends it no CTL/ITL: nothing pins it here)";
  } else {
    setup.handoff_url = to;
    setup.transport_managed = false;
    detail = "Profile_Rule now " + to + " (this server's rules are gone from its profile)";
  }
  if (const char* event = Move(d, Happening::kHandedOff))
    events.push_back(MakeEvent(req, event, detail));
}

Response Provisioner::Walk(Device& d, const Device& before, const IdentityVerdict& verdict,
                           const Request& req, std::vector<Event>& events,
                           const TransportPlan& transport) {
  std::shared_ptr<const std::unordered_set<const Load*>> avail;
  ProfileSetup setup = Setup(avail);
  if (transport.managed) {
    setup.transport_managed = true;
    setup.profile_rule_b = transport.rule_b;
    setup.custom_ca_rule = CaUrl();
    if (!transport.upgrade_base.empty()) setup.base_url = transport.upgrade_base;
    setup.profile_base_url = transport.profile_base;
  }
  std::string uncertain_why;
  const bool uncertain = Enterprise(*cfg_.catalog, d) && d.firmware.empty();
  // The download cap (app/download_slots.h): an offer needs a slot; without one the phone gets
  // its configuration and no upgrade this time, and nothing about it changes (no offer counted
  // toward stuck, no guess from an offer it was never given).
  const int64_t now = cfg_.now_ms();
  // Its rollout group (core/rollout.h): the walk plans for the group's target (the device's
  // own stays what is stored), and a paused group or a closed window holds the hop back as
  // the cap does, except that the phone comes at its usual resync (or a trigger).
  // Held for the whole walk: the view points into this map, which a concurrent re-read
  // (Groups(), the sweep) replaces.
  const std::shared_ptr<const GroupMap> groups = Groups();
  const RolloutView rollout = Rollout(d, *groups, now);
  struct KeepTarget {
    Device& d;
    std::string own;
    ~KeepTarget() { d.target = std::move(own); }
  } keep_target{d, d.target};
  d.target = rollout.target;
  const bool held = !rollout.held.empty() && !d.hold;
  bool capped = false;
  Result<Plan> plan = Plan{};
  if (held) {
    ReleaseSlot(d.id);
    NoteHeld(d, rollout.held, req);
  } else if (uncertain && !d.hold && !TakeSlot(d.id, now)) {
    capped = true;
  } else {
    plan = uncertain ? UncertainPlan(setup, d, uncertain_why) : PlanForDevice(setup, d, d.firmware);
  }
  if (!held) NoteReleased(d.id);
  if (capped || held) {
  } else if (!plan) {
    d.state_detail = plan.error().message;
  } else if (plan->status != PlanStatus::kOk) {
    ReleaseSlot(d.id);  // at target, or no path: nothing to download
    if (!d.hold) ApplyPlan(d, before, *plan, req, events, uncertain ? &uncertain_why : nullptr);
  } else if (!d.hold) {
    if (TakeSlot(d.id, now)) {
      ApplyPlan(d, before, *plan, req, events, uncertain ? &uncertain_why : nullptr);
    } else {
      capped = true;
    }
  }
  Track(d, req);
  Device for_render = d;
  if (rollout.group) {  // the group's settings, under the device's own
    for (const auto& [k, v] : rollout.group->settings) for_render.settings.try_emplace(k, v);
  }
  // The bench's hand-off: at its target, a phone whose settings (its own, its group's, the
  // defaults) name where it goes next gets that configuration, and is handed off.
  if (!held && !capped && !d.hold && plan && plan->status == PlanStatus::kCurrent &&
      d.state != kStateQuarantine)
    HandOff(d, for_render, setup, rollout.group, req, events);
  // Nothing to offer now, or no download slot for it.
  if (d.pending_load.empty() || capped || held) for_render.hold = true;
  setup.come_back_soon = capped;
  if (verdict.clearance == Clearance::kWalkOnly) {
    for_render.settings = WithoutSecrets(for_render.settings);
    setup.defaults = WithoutSecrets(setup.defaults);
  }
  auto profile = RenderForDevice(setup, for_render, d.firmware, std::max(0, d.pending_offers - 1),
                                 plan && !capped && !held ? &*plan : nullptr);
  if (!profile) return TextResponse(500, profile.error().message);
  Response out;
  // The next resync may find a slot, or the group open: never a settled answer.
  out.transient = capped || held;
  out.content_type = profile->rendered.content_type;
  out.body = std::move(profile->rendered.body);
  if (AsksEncrypted(req.target)) return Encrypted(d, std::move(out));
  return out;
}

void Provisioner::ApplyPlan(Device& d, const Device& before, const Plan& plan, const Request& req,
                            std::vector<Event>& events, const std::string* uncertain_why) {
  if (plan.status == PlanStatus::kCurrent) {
    Move(d, Happening::kPlannedCurrent);
    d.state_detail.clear();
    d.pending_load.clear();
    d.pending_offers = 0;
  } else if (plan.status == PlanStatus::kNoPath) {
    Move(d, Happening::kPlannedNoPath);
    std::string detail = plan.reason;
    for (const auto& m : plan.missing) detail += "; " + m.why;
    if (d.state == kStateStuck)  // keep why it got stuck, replace the previous re-plan
      detail = d.state_detail.substr(0, d.state_detail.find("; re-planned: ")) +
               "; re-planned: " + detail;
    d.state_detail = detail.substr(0, 2000);
    d.pending_load.clear();
    d.pending_offers = 0;
  } else {
    Offer(d, before, *plan.hops.front().load, req, events, uncertain_why);
    // Its target again, where its downloads are guessed: if it runs it now, it will not ask
    // again, and only its silence can say so (SweepQuietTargets).
    if (!uncertain_why && plan.hops.size() == 1 && d.pending_offers >= 2 &&
        seen_.Sole(req.peer_ip, cfg_.now_ms()) != d.id) {
      std::lock_guard lock(learn_mu_);
      if (quiet_targets_.size() > (1u << 20)) quiet_targets_.clear();  // bounded
      quiet_targets_[d.id] = {cfg_.now_ms(), d.pending_load};
    }
  }
  if (uncertain_why) {  // what it may run, not what it is doing, is the news
    const bool offered = plan.status == PlanStatus::kOk;
    Move(d, offered ? Happening::kUncertainOffer : Happening::kUncertainNoOffer);
    d.state_detail = uncertain_why->substr(0, 2000);
    if (!offered) NothingLearned(d, req, *uncertain_why, events);
  }
}

void Provisioner::Offer(Device& d, const Device& before, const Load& next, const Request& req,
                        std::vector<Event>& events, const std::string* uncertain_why) {
  if (next.load == d.pending_load) {
    if (RepeatOfOffer(d, req)) return;  // the same offer to the same boot: counted once
    ++d.pending_offers;
  } else {
    d.pending_load = next.load;
    d.pending_offers = 1;
  }
  const bool was_stuck = d.state == kStateStuck;
  const bool walking = d.state == kStateUpgrading;
  Move(d, Happening::kHopOffered);
  if (was_stuck) {
    // Another chain exists without the image it got stuck on: keep walking, keep the why.
    if (before.state != kStateStuck) d.state_detail = "re-planned after: " + d.state_detail;
  } else if (!walking || d.pending_offers == 1) {
    d.state_detail.clear();
  }
  {
    std::lock_guard lock(learn_mu_);
    if (last_offer_.size() > (1u << 20)) last_offer_.clear();  // bounded
    last_offer_[d.id] = cfg_.now_ms();
  }
  events.push_back(MakeEvent(req, "hop-offered",
                             next.load + " (" + next.version_label + "), offer " +
                                 std::to_string(d.pending_offers) +
                                 (uncertain_why ? "; " + *uncertain_why : "")));
}

Response Provisioner::Commit(Device& d, const Device& before, Response out,
                             const std::vector<Event>& events,
                             const SettledAnswers::Stamp* keep_as) {
  // The request event (events[0]) is batched; the hop events are written with the progress,
  // which is durable before the transport sends the answer (Response::durable).
  (void)cfg_.inventory->AppendEvent(d.id, events[0], /*batched=*/true);
  const bool changed = Progressed(d, before);
  if (changed || events.size() > 1) {
    if (changed) d.updated = cfg_.now_ms() / 1000;
    auto ticket = cfg_.inventory->RecordProgress(
        d, std::vector<Event>(std::next(events.begin()), events.end()));
    if (!ticket) return Unavailable();
    out.durable = *ticket;
    return out;
  }
  // What was read may be progress staged by an earlier request still waiting for its commit.
  out.durable = cfg_.inventory->PendingProgress();
  // Only an answer whose clearance follows from the request's key (its User-Agent and path)
  // is kept: an enterprise phone's depends on the boot followed from its address.
  if (keep_as && out.durable == 0 && out.status == 200 && d.pending_load.empty()) {
    // Settled, and this request changed nothing: the same request gets the same answer.
    settled_.Keep(*keep_as, d.id, out);
  }
  return out;
}

// Applies what the request says the phone runs: completes a pending hop, or notices that it
// came back on its old release.
void Provisioner::Observe(Device& d, const std::string& running, const Request& req,
                          std::vector<Event>& events) {
  const Load* pending = d.pending_load.empty() ? nullptr : FindLoadOf(d, d.pending_load);
  if (!d.pending_load.empty()) {
    bool completed = false;
    std::string_view source = "user-agent";
    if (!running.empty() && pending) {
      auto v = ParseVersion(running);
      completed = v && LoadMatches(*pending, *v);
    } else if (running.empty()) {  // enterprise phones do not say what they run
      const auto credit = HopCompletedByDownloads(d, req.peer_ip);
      completed = credit != DownloadLedger::Credit::kNo;
      // Behind an address other phones share, even "its own" downloads are credited by guess.
      const bool shared = credit == DownloadLedger::Credit::kSite ||
                          seen_.Sole(req.peer_ip, cfg_.now_ms()) != d.id;
      source = shared ? kSiteDownloads : "installed";
    }
    if (completed) {
      // (The detail is the load alone; firmware_source says how sure the server is.)
      events.push_back(MakeEvent(req, "hop-completed", d.pending_load));
      if (d.firmware.empty()) d.candidates.clear();
      d.firmware_source = std::string(source);
      d.firmware = running.empty() ? d.pending_load : running;
      d.pending_load.clear();
      d.pending_offers = 0;
      return;
    }
    if (running.empty() && RepeatOfOffer(d, req)) return;  // the same boot: nothing to learn
    if (running.empty() && LearnFromOutcome(d, pending, req, events)) return;
  }
  if (!running.empty() && running != d.firmware) {
    events.push_back(
        MakeEvent(req, "firmware",
                  "runs " + running + (d.firmware.empty() ? "" : " (was " + d.firmware + ")")));
    d.firmware = running;
    d.firmware_source = "user-agent";
  }
  if (!d.pending_load.empty() && d.pending_offers >= cfg_.stuck_after) {
    if (DoubtSiteCredit(d, req, events)) return;
    std::string reason = StuckReason(d, pending);
    if (const char* event = Move(d, Happening::kOffersExhausted))
      events.push_back(MakeEvent(req, event, reason));
    d.excluded.push_back(d.pending_load);
    d.state_detail = reason;
    d.pending_load.clear();
    d.pending_offers = 0;
  }
}

std::string Provisioner::StuckReason(const Device& d, const Load* pending) {
  std::string name = pending ? pending->load : d.pending_load;
  const Downloads dl = ledger_.Of(d.id, d.pending_load);
  std::string why;
  if (!dl.completed.empty()) {
    why = pending && ManifestOnly(dl)
              ? "signing key: it fetched the .loads manifest but none of its images (the AUTH FAIL "
                "signature: the running load rejects the image's signature)"
              : "signing key or image check: it downloaded the image but still runs " + d.firmware;
  } else if (!dl.started.empty()) {
    why = "download failure: its downloads of " + name + " did not complete";
  } else {
    why = "rule evaluation: it never asked for " + name +
          " (its firmware may not act on the upgrade rule)";
  }
  return "offered " + name + " " + std::to_string(d.pending_offers) + " times; " + why;
}

}  // namespace stepup
