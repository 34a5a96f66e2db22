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
    : cfg_(std::move(config)), seen_(kTieWindowMs), guard_(cfg_.probe_limits) {
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
  ReloadGate::Pin pin(gate_);
  Rescan();
}

void Provisioner::Reload(Knowledge k) {
  ReloadGate::Exclusive swap(gate_);
  cfg_.catalog = k.catalog;
  cfg_.renderer = k.renderer;
  cfg_.defaults = std::move(k.defaults);
  cfg_.firmware = std::move(k.firmware);
  cfg_.stuck_after = k.stuck_after;
  cfg_.learn_after_ms = k.learn_after_ms;
  cfg_.auto_enroll = std::move(k.auto_enroll);
  cfg_.tftp_secrets = k.tftp_secrets;
  {
    // The loads on hand are the new catalog's; the generation moves even when the set of
    // names is the same, so no answer settled under the old catalog is served again.
    std::lock_guard lock(avail_mu_);
    available_.reset();
  }
  Rescan();
}

void Provisioner::Rescan() {
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

Response Provisioner::Handle(const Request& req) {
  ReloadGate::Pin pin(gate_);
  std::string path = req.target.substr(0, req.target.find('?'));
  if (!SafePath(path)) return TextResponse(400, "bad request path");
  if (path == "/healthz") return TextResponse(200, "ok");
  if (path == "/ca.pem" && !cfg_.ca_file.empty()) {  // public: what lets a phone verify us
    Response r;
    r.file = cfg_.ca_file;
    r.content_type = "application/x-pem-file";
    return r;
  }
  if (auto refused = RefuseProber(req)) return std::move(*refused);
  if (!req.cert_error.empty()) {  // HTTPS: a refused client certificate, or none where required
    std::vector<Observation> claimed;
    if (!req.user_agent.empty())
      claimed.push_back({"user-agent", IdentifyUserAgent(req.user_agent, cfg_.catalog)});
    claimed.push_back({"path", IdentifyPath(req.target, cfg_.catalog)});
    return RefuseClaim(req, claimed, req.cert_error);
  }
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
    AddressScope scope(*this, req.peer_ip);
    if (!scope.ok()) return Unavailable();
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
    if (!req.cert_subject.empty()) return RefuseClaim(req, obs, why);
    return Unknown(req, id, why);
  }
  if (id.identity.identified()) return ForIdentity(who, req, name, stamp);
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

Response Provisioner::ForIdentity(const Presented& who, const Request& req, const std::string& name,
                                  const SettledAnswers::Stamp& stamp) {
  const Identity& id = who.merged->identity;
  AddressScope scope(*this, req.peer_ip);  // before the device's lock
  if (!scope.ok()) return Unavailable();
  // Lock before reading, so the device read here is the one this request updates.
  std::lock_guard lock(LockFor(id.mac.empty() ? id.serial : id.mac));
  auto found = cfg_.inventory->Find(id.mac, id.serial);
  if (!found) return Unavailable();
  if (found->has_value() && !(*found)->mac.empty() && !id.mac.empty() && (*found)->mac != id.mac) {
    // Found by its serial, but the request names another MAC: not this device.
    return Unknown(req, *who.merged,
                   "MAC not in the inventory (the serial it names is another device's)");
  }
  if (found->has_value()) return ServeDevice(**found, who, req, name, stamp);
  if (auto added = AutoEnroll(id, req)) {
    if (!*added) return Unavailable();
    return ServeDevice(**added, who, req, name, stamp);
  }
  return Unknown(req, *who.merged, "not in the inventory");
}

std::optional<std::optional<Device>> Provisioner::AutoEnroll(const Identity& id,
                                                             const Request& req) {
  // Into quarantine, when the operator allowed this model; onto the bench with --bench.
  const Model* m = cfg_.catalog->FindModel(id.model);
  const bool bench = !cfg_.bench_group.empty();
  static const std::vector<std::string> kAny = {"*"};
  for (const auto& pattern : bench && cfg_.auto_enroll.empty() ? kAny : cfg_.auto_enroll) {
    if (!m || fnmatch(pattern.c_str(), m->name.c_str(), FNM_CASEFOLD) != 0) continue;
    Device d;
    d.mac = id.mac;
    d.serial = id.serial;
    d.model = m->name;
    d.state = bench ? kStateNew : kStateQuarantine;
    if (bench) d.settings[kGroupSetting] = cfg_.bench_group;
    d.created = d.updated = cfg_.now_ms() / 1000;
    auto added = cfg_.inventory->Add(d);
    if (!added) return std::optional<Device>{};
    (void)cfg_.inventory->AppendEvent(
        added->id, MakeEvent(req, "enrolled",
                             bench ? "auto-enrolled onto the bench (group " + cfg_.bench_group +
                                         ", models " + pattern + ")"
                                   : "auto-enrolled into quarantine (" + pattern + ")"));
    return std::optional<Device>{*added};
  }
  return std::nullopt;
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
  AddressScope scope(*this, req.peer_ip);
  if (!scope.ok()) return Unavailable();
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

Response Provisioner::Unavailable() { return TextResponse(503, "inventory unavailable"); }

}  // namespace stepup
