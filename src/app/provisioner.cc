#include "app/provisioner.h"

#include <fnmatch.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "core/phone_report.h"
#include "core/text.h"

namespace stepup {
namespace {

constexpr int64_t kTieWindowMs = 15 * 60 * 1000;  // MAC-less requests tie to a phone this long

bool StartsWith(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

// A path with "..", a backslash, control characters or an empty segment in the middle is
// refused before anything else looks at it.
bool SafePath(const std::string& path) {
  if (path.empty() || path[0] != '/') return false;
  for (char c : path) {
    if (static_cast<unsigned char>(c) < 0x20 || c == '\\' || c == 0x7f) return false;
  }
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    std::string seg =
        path.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (seg == ".." || seg == ".") return false;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return true;
}

std::string ClaimedJson(const MergedIdentity& id) {
  nlohmann::json j = {{"vendor", id.identity.vendor},
                      {"model", id.identity.model},
                      {"mac", id.identity.mac},
                      {"serial", id.identity.serial},
                      {"firmware", id.identity.firmware}};
  return j.dump();
}

}  // namespace

Provisioner::Provisioner(ProvisionerConfig config)
    : cfg_(std::move(config)), guard_(cfg_.probe_limits) {
  if (!cfg_.now_ms) {
    cfg_.now_ms = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  RescanFirmware();
}

void Provisioner::RescanFirmware() {
  auto names = cfg_.firmware.Names();
  auto set = std::make_shared<std::unordered_set<const Load*>>();
  for (const auto& l : cfg_.catalog->loads) {
    if (LoadAvailable(l, names)) set->insert(&l);
  }
  {
    std::lock_guard lock(avail_mu_);
    // Unchanged: keep the same set, so profiles cached against it stay valid.
    if (available_ && *available_ == *set) return;
    available_ = std::move(set);
    firmware_generation_.fetch_add(1, std::memory_order_acq_rel);
  }
  std::lock_guard lock(seen_mu_);
  hop_files_.clear();  // manifests may have changed with the files
}

Event Provisioner::MakeEvent(const Request& req, std::string kind, std::string detail) const {
  return {cfg_.now_ms(), std::move(kind), std::move(detail), req.transport, req.peer};
}

Event Provisioner::RequestEvent(const Request& req) const {
  return MakeEvent(req, "request", req.method + " " + req.target.substr(0, 200));
}

void Provisioner::Remember(const Request& req, int64_t device_id) {
  std::lock_guard lock(seen_mu_);
  by_ip_[req.peer_ip] = {device_id, cfg_.now_ms()};
}

std::optional<Device> Provisioner::DeviceAt(const std::string& ip) {
  int64_t id = 0;
  {
    std::lock_guard lock(seen_mu_);
    auto it = by_ip_.find(ip);
    if (it == by_ip_.end() || cfg_.now_ms() - it->second.at_ms > kTieWindowMs) return std::nullopt;
    id = it->second.device_id;
  }
  auto d = cfg_.inventory->FindById(id);
  return d ? *d : std::nullopt;
}

Response Provisioner::Handle(const Request& req) {
  std::string path = req.target.substr(0, req.target.find('?'));
  if (!SafePath(path)) return TextResponse(400, "bad request path");
  if (path == "/healthz") return TextResponse(200, "ok");
  if (auto refused = RefuseProber(req)) return std::move(*refused);
  std::string name = path.substr(path.rfind('/') + 1);
  if (StartsWith(path, "/firmware/")) {
    // /firmware/<name> or /firmware/retry<N>/<name> (a distinct URL per attempt)
    std::string rest = path.substr(10);
    size_t slash = rest.find('/');
    if (slash != std::string::npos &&
        (!StartsWith(rest, "retry") || rest.find('/', slash + 1) != std::string::npos)) {
      return TextResponse(404, "not found");
    }
    return ServeFile(cfg_.firmware.Resolve(name), name, req, true);
  }
  // What a settled answer depends on is read before anything else, so a change made while
  // this request is handled can only make its answer look stale, never fresh.
  thread_local std::string key;
  SettledAnswers::Key(req, key);
  const SettledAnswers::Stamp stamp{&key, cfg_.inventory->DevicesVersion(),
                                    firmware_generation_.load(std::memory_order_acquire)};
  if (auto settled = settled_.Find(stamp)) {
    Remember(req, settled->first);
    (void)cfg_.inventory->AppendEvent(settled->first, RequestEvent(req), /*batched=*/true);
    return std::move(settled->second);
  }
  std::vector<Observation> obs;
  if (!req.user_agent.empty())
    obs.push_back({"user-agent", IdentifyUserAgent(req.user_agent, cfg_.catalog)});
  obs.push_back({"path", IdentifyPath(req.target, cfg_.catalog)});
  if (!req.cert_subject.empty())
    obs.push_back({"cert", IdentifyCertSubject(req.cert_subject, cfg_.catalog)});
  MergedIdentity id = MergeIdentities(obs);
  const Presented who{&obs, &id};
  if (!id.conflicts.empty()) {
    std::string why = "conflicting identity:";
    for (const auto& c : id.conflicts) why += " " + c.Describe();
    return Unknown(req, id, why);
  }
  if (id.identity.identified()) {
    // Lock before reading, so the device read here is the one this request updates.
    std::lock_guard lock(LockFor(id.identity.mac.empty() ? id.identity.serial : id.identity.mac));
    auto found = cfg_.inventory->Find(id.identity.mac, id.identity.serial);
    if (!found) return Unavailable();
    if (found->has_value() && !(*found)->mac.empty() && !id.identity.mac.empty() &&
        (*found)->mac != id.identity.mac) {
      // Found by its serial, but the request names another MAC: not this device.
      return Unknown(req, id, "MAC not in the inventory (the serial it names is another device's)");
    }
    if (found->has_value()) return ServeDevice(**found, who, req, name, stamp);
    // Auto-enrolment into quarantine, when the operator allowed this model.
    const Model* m = cfg_.catalog->FindModel(id.identity.model);
    for (const auto& pattern : cfg_.auto_enroll) {
      if (!m || fnmatch(pattern.c_str(), m->name.c_str(), FNM_CASEFOLD) != 0) continue;
      Device d;
      d.mac = id.identity.mac;
      d.serial = id.identity.serial;
      d.model = m->name;
      d.state = kStateQuarantine;
      d.firmware = id.identity.firmware;
      d.created = d.updated = cfg_.now_ms() / 1000;
      auto added = cfg_.inventory->Add(d);
      if (!added) return Unavailable();
      (void)cfg_.inventory->AppendEvent(
          added->id, MakeEvent(req, "enrolled", "auto-enrolled into quarantine (" + pattern + ")"));
      return ServeDevice(*added, who, req, name, stamp);
    }
    return Unknown(req, id, "not in the inventory");
  }
  // No identity: an image or operator file by bare name, a default config, or a model-only
  // bootstrap profile.
  if (auto fw = cfg_.firmware.Resolve(name)) return ServeFile(fw, name, req, true);
  if (auto extra = cfg_.extras.Resolve(name)) return ServeFile(extra, name, req, false);
  if (ToLower(name) == "xmldefault.cnf.xml") return XmlDefault(req);
  if (!id.identity.model.empty()) {
    const Model* m = cfg_.catalog->FindModel(id.identity.model);
    if (m && !m->family.empty()) return Bootstrap(*m);
  }
  return TextResponse(404, "not found");
}

Response Provisioner::Unknown(const Request& req, const MergedIdentity& id,
                              const std::string& why) {
  Response r = TextResponse(403, "forbidden");
  r.reason = why;
  if (CountFailure(req, r)) {
    (void)cfg_.inventory->RecordUnknown(
        {MakeEvent(req, "unknown", req.method + " " + req.target.substr(0, 200) + ": " + why),
         ClaimedJson(id)});
  }
  return r;
}

Response Provisioner::Bootstrap(const Model& model) {
  auto r = cfg_.renderer->Bootstrap(model, cfg_.base_url);
  if (!r) return TextResponse(500, r.error().message);
  Response out;
  out.content_type = r->content_type;
  out.body = std::move(r->body);
  out.reason = "bootstrap " + model.name;
  return out;
}

Response Provisioner::XmlDefault(const Request& req) {
  std::vector<DefaultLoad> loads;
  std::string device;
  // Tied to the phone that last identified itself from this address: its next hop.
  if (auto d = DeviceAt(req.peer_ip); d && !d->pending_load.empty()) {
    const Model* m = cfg_.catalog->FindModel(d->model);
    if (m && m->device_type > 0)
      loads.push_back({m->device_type, "IP Phone " + m->name.substr(3), d->pending_load});
    device = d->key();
  }
  auto r = cfg_.renderer->XmlDefault(loads, cfg_.defaults);
  if (!r) return TextResponse(500, r.error().message);
  Response out;
  out.content_type = r->content_type;
  out.body = std::move(r->body);
  out.device = device;
  return out;
}

Response Provisioner::ServeFile(const Result<std::string>& path, const std::string& name,
                                const Request& req, bool firmware) {
  if (!path) {
    if (path.error().kind == ErrorKind::kBadInput) return TextResponse(400, path.error().message);
    return TextResponse(404, "not found");
  }
  Response r;
  r.file = *path;
  r.content_type = "application/octet-stream";
  if (firmware) {
    if (auto d = DeviceAt(req.peer_ip)) {
      r.device = d->key();
      std::lock_guard lock(seen_mu_);
      Downloads& dl = downloads_[d->id];
      if (dl.for_load != d->pending_load) dl = {d->pending_load, {}, {}};
      dl.started.insert(ToLower(name));
    }
  }
  return r;
}

void Provisioner::TransferDone(const Request& req, const std::string& file, bool complete) {
  auto d = DeviceAt(req.peer_ip);
  if (!d) return;
  std::string name = ToLower(file.substr(file.find_last_of('/') + 1));
  {
    std::lock_guard lock(seen_mu_);
    Downloads& dl = downloads_[d->id];
    if (complete) dl.completed.insert(name);
  }
  (void)cfg_.inventory->AppendEvent(
      d->id, MakeEvent(req, complete ? "download" : "download-failed", name), /*batched=*/true);
}

void Provisioner::Evidence(const std::string& peer_ip, const std::string& message) {
  Request req;
  req.transport = "syslog";
  req.peer = req.peer_ip = peer_ip;
  if (auto d = DeviceAt(peer_ip)) {
    (void)cfg_.inventory->AppendEvent(d->id, MakeEvent(req, "evidence", message.substr(0, 1024)),
                                      true);
    // "Load=SIP70.8-4-2-30S" in a phone's alarm line: what it runs (a load of its family).
    const Model* m = cfg_.catalog->FindModel(d->model);
    std::string named = m ? FirmwareName(*m, LoadNamedInLog(message)) : "";
    if (!named.empty() && Enterprise(*cfg_.catalog, *d))
      LearnFirmware(d->id, named, "syslog", "\"" + message.substr(0, 200) + "\"", req);
  }
}

const Load* Provisioner::FindLoadOf(const Device& d, const std::string& name) const {
  const Model* m = cfg_.catalog->FindModel(d.model);
  return m ? cfg_.catalog->FindLoad(m->family, name) : nullptr;
}

std::set<std::string> Provisioner::FilesOfHop(const Load& l) {
  {
    std::lock_guard lock(seen_mu_);
    if (auto it = hop_files_.find(l.load); it != hop_files_.end()) return it->second;
  }
  std::set<std::string> files;
  for (const auto& f : l.files) {
    files.insert(ToLower(f));
    if (ToLower(f).ends_with(".loads")) {
      if (auto path = cfg_.firmware.Resolve(f)) {
        for (auto& image : cfg_.firmware.ManifestImages(*path)) files.insert(std::move(image));
      }
    }
  }
  std::lock_guard lock(seen_mu_);
  hop_files_[l.load] = files;
  return files;
}

bool Provisioner::HopCompletedByDownloads(const Device& d) {
  const Load* l = FindLoadOf(d, d.pending_load);
  if (!l || l->files.empty()) return false;
  std::set<std::string> needed = FilesOfHop(*l);
  std::lock_guard lock(seen_mu_);
  auto it = downloads_.find(d.id);
  if (it == downloads_.end() || it->second.for_load != d.pending_load) return false;
  for (const auto& f : needed) {
    if (!it->second.completed.count(f)) return false;
  }
  return true;
}

Provisioner::Downloads Provisioner::DownloadsOf(int64_t device_id, const std::string& load) {
  std::lock_guard lock(seen_mu_);
  auto it = downloads_.find(device_id);
  return it != downloads_.end() && it->second.for_load == load ? it->second : Downloads{};
}

bool Provisioner::ManifestOnly(const Downloads& dl) {
  return !dl.completed.empty() &&
         std::all_of(dl.completed.begin(), dl.completed.end(),
                     [](const std::string& f) { return f.size() > 6 && f.ends_with(".loads"); });
}

std::string Provisioner::StuckReason(const Device& d, const Load* pending) {
  std::string name = pending ? pending->load : d.pending_load;
  const Downloads dl = DownloadsOf(d.id, d.pending_load);
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

// Applies what the request says the phone runs: completes a pending hop, or notices that it
// came back on its old release.
void Provisioner::Observe(Device& d, const std::string& running, const Request& req,
                          std::vector<Event>& events) {
  if (d.pending_load.empty()) {
    if (!running.empty() && running != d.firmware) {
      events.push_back(
          MakeEvent(req, "firmware",
                    "runs " + running + (d.firmware.empty() ? "" : " (was " + d.firmware + ")")));
      d.firmware = running;
      d.firmware_source = "user-agent";
    }
    return;
  }
  const Load* pending = FindLoadOf(d, d.pending_load);
  bool completed = false;
  if (!running.empty() && pending) {
    auto v = ParseVersion(running);
    completed = v && LoadMatches(*pending, *v);
  } else if (running.empty()) {
    completed = HopCompletedByDownloads(d);  // enterprise phones do not say what they run
  }
  if (completed) {
    events.push_back(MakeEvent(req, "hop-completed", d.pending_load));
    if (d.firmware.empty()) d.candidates.clear();
    d.firmware_source = running.empty() ? "installed" : "user-agent";
    d.firmware = running.empty() ? d.pending_load : running;
    d.pending_load.clear();
    d.pending_offers = 0;
    return;
  }
  if (running.empty() && LearnFromOutcome(d, pending, req, events)) return;
  if (!running.empty() && running != d.firmware) {
    events.push_back(
        MakeEvent(req, "firmware",
                  "runs " + running + (d.firmware.empty() ? "" : " (was " + d.firmware + ")")));
    d.firmware = running;
    d.firmware_source = "user-agent";
  }
  if (d.pending_offers >= cfg_.stuck_after) {
    std::string reason = StuckReason(d, pending);
    events.push_back(MakeEvent(req, "stuck", reason));
    d.excluded.push_back(d.pending_load);
    d.state = kStateStuck;
    d.state_detail = reason;
    d.pending_load.clear();
    d.pending_offers = 0;
  }
}

Response Provisioner::ServeDevice(Device d, const Presented& who, const Request& req,
                                  const std::string& name, const SettledAnswers::Stamp& stamp) {
  const Model* model = cfg_.catalog->FindModel(d.model);
  const Family* family = model ? cfg_.catalog->FindFamily(model->family) : nullptr;
  if (TrustListFileName(name) && !FlatProfileFamily(family)) {
    // The first files of an enterprise phone's boot: the server follows it from here.
    Remember(req, d.id);
    NoteBoot(req, d.id);
    bool started = false;  // firmware unknown: its page is read while it boots
    (void)ProbeFor(d, req, &started);
    if (started && d.state != kStateProbing) {  // the answer waits for this lock: no race
      d.state = kStateProbing;
      d.updated = cfg_.now_ms() / 1000;
      (void)cfg_.inventory->RecordProgress(
          d, {MakeEvent(req, "probe", "reading http://" + req.peer_ip + "/DeviceInformationX")});
    }
    // Trust lists only when the operator supplies them: a bench must not pin phones to itself.
    if (auto extra = cfg_.extras.Resolve(name)) return ServeFile(extra, name, req, false);
    Response r = TextResponse(404, "not found");
    r.device = d.key();
    return r;
  }
  const IdentityVerdict verdict = Screen(d, who, req);
  if (verdict.clearance == Clearance::kBootstrap || verdict.clearance == Clearance::kRefuse)
    return Mismatch(d, verdict, req, name);
  Response noted;  // a walk without secrets (TFTP, no boot followed) is still a mismatch
  if (!verdict.disagreements.empty()) NoteMismatch(d, verdict, req, noted);
  Remember(req, d.id);
  const Device before = d;
  std::vector<Event> events;
  events.push_back(RequestEvent(req));
  if (!verdict.learn_serial.empty()) LearnSerial(d, verdict.learn_serial, req, events);
  const bool quarantined = d.state == kStateQuarantine;
  const bool enterprise = !FlatProfileFamily(family);
  if (!quarantined && enterprise && d.firmware.empty()) {
    // Nobody recorded what it runs: read its web page first, and answer once that is done.
    if (auto ticket = ProbeFor(d, req)) {
      Response wait;
      wait.ready = *ticket;
      wait.device = d.key();
      return wait;
    }
  }
  if (!quarantined) Observe(d, who.merged->identity.firmware, req, events);

  std::shared_ptr<const std::unordered_set<const Load*>> avail;
  ProfileSetup setup = Setup(avail);

  Response out;
  out.device = d.key();
  if (quarantined) {  // no secrets and no upgrades until an operator accepts it
    const Model* m = cfg_.catalog->FindModel(d.model);
    out = m ? Bootstrap(*m) : TextResponse(403, "quarantined");
    out.device = d.key();
  } else {
    std::string uncertain_why;
    const bool uncertain = enterprise && d.firmware.empty();
    auto plan =
        uncertain ? UncertainPlan(setup, d, uncertain_why) : PlanForDevice(setup, d, d.firmware);
    if (plan && !d.hold) {
      if (plan->status == PlanStatus::kCurrent) {
        d.state = kStateCurrent;
        d.state_detail.clear();
        d.pending_load.clear();
        d.pending_offers = 0;
      } else if (plan->status == PlanStatus::kNoPath) {
        if (d.state != kStateStuck) d.state = kStateNoPath;
        std::string detail = plan->reason;
        for (const auto& m : plan->missing) detail += "; " + m.why;
        if (d.state == kStateStuck)  // keep why it got stuck, replace the previous re-plan
          detail = d.state_detail.substr(0, d.state_detail.find("; re-planned: ")) +
                   "; re-planned: " + detail;
        d.state_detail = detail.substr(0, 2000);
        d.pending_load.clear();
        d.pending_offers = 0;
      } else {
        const Load* next = plan->hops.front().load;
        if (next->load == d.pending_load) {
          ++d.pending_offers;
        } else {
          d.pending_load = next->load;
          d.pending_offers = 1;
          std::lock_guard slock(seen_mu_);
          downloads_[d.id] = {d.pending_load, {}, {}};
        }
        if (d.state == kStateStuck) {
          // Another chain exists without the image it got stuck on: keep walking, keep the why.
          if (before.state != kStateStuck) d.state_detail = "re-planned after: " + d.state_detail;
        } else if (d.state != kStateUpgrading || d.pending_offers == 1) {
          d.state_detail.clear();
        }
        d.state = kStateUpgrading;
        events.push_back(MakeEvent(req, "hop-offered",
                                   next->load + " (" + next->version_label + "), offer " +
                                       std::to_string(d.pending_offers) +
                                       (uncertain ? "; " + uncertain_why : "")));
      }
      if (uncertain) {  // what it may run, not what it is doing, is the news
        d.state = kStateUnknownFirmware;
        d.state_detail = uncertain_why.substr(0, 2000);
        if (plan->status == PlanStatus::kNoPath) NothingLearned(d, req, uncertain_why, events);
      }
    } else if (!plan) {
      d.state_detail = plan.error().message;
    }
    Device for_render = d;
    if (d.pending_load.empty()) for_render.hold = true;  // nothing to offer now
    if (verdict.clearance == Clearance::kWalkOnly) {
      for_render.settings = WithoutSecrets(d.settings);
      setup.defaults = WithoutSecrets(setup.defaults);
    }
    auto profile = RenderForDevice(setup, for_render, d.firmware,
                                   std::max(0, d.pending_offers - 1), plan ? &*plan : nullptr);
    if (!profile) {
      out = TextResponse(500, profile.error().message);
    } else {
      out.content_type = profile->rendered.content_type;
      out.body = std::move(profile->rendered.body);
    }
    out.device = d.key();
  }
  out.delay_ms = noted.delay_ms;
  // Hop progress is durable before the transport sends the answer (Response::durable); the
  // request event may lag.
  const bool changed = d.firmware != before.firmware || d.serial != before.serial ||
                       d.candidates != before.candidates ||
                       d.firmware_source != before.firmware_source ||
                       d.state != before.state ||
                       d.pending_load != before.pending_load ||
                       d.pending_offers != before.pending_offers || d.excluded != before.excluded ||
                       d.state_detail != before.state_detail;
  // The request event (events[0]) is batched; the hop events are written with the progress.
  (void)cfg_.inventory->AppendEvent(d.id, events[0], /*batched=*/true);
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
  const bool keyed = verdict.clearance == Clearance::kSecrets && req.transport != "tftp" &&
                     FlatProfileFamily(family);
  if (keyed && out.durable == 0 && !quarantined && out.status == 200 && d.pending_load.empty() &&
      events.size() == 1) {
    // Settled, and this request changed nothing: the same request gets the same answer.
    settled_.Keep(stamp, d.id, out);
  }
  return out;
}

Response Provisioner::Unavailable() { return TextResponse(503, "inventory unavailable"); }

}  // namespace stepup
