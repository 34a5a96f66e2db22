// The provisioner: the one request path. Every transport hands it a Request; it identifies the
// device, looks it up, records what it observed, walks the device's state machine (offer the
// planner's next hop, notice completion, notice a phone that keeps coming back on its old
// release), renders, and returns a Response. Unknown devices get 403 and nothing else.
//
// Thread-safe: requests for different devices run in parallel; one device's requests are
// serialised. Hop progress is written to the inventory before the response is returned.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "app/device_lifecycle.h"
#include "app/device_profile.h"
#include "app/download_ledger.h"
#include "app/download_slots.h"
#include "app/file_source.h"
#include "app/identity_check.h"
#include "app/inventory.h"
#include "app/probe_guard.h"
#include "app/reload_gate.h"
#include "app/request.h"
#include "app/settled_answers.h"
#include "app/shared_state.h"
#include "core/catalog.h"
#include "core/identify.h"
#include "core/render.h"
#include "core/rollout.h"

namespace stepup {

// What one resync trigger of a group did (Provisioner::TriggerGroup).
struct ResyncSummary {
  int sent = 0;        // resync URLs requested
  int no_address = 0;  // never seen by this server: no address to send to
  int cannot = 0;      // enterprise phones: no remote resync without call control
  int settled = 0;     // current, held by the operator, quarantined or handed off: left alone
};

struct ProvisionerConfig {
  const Catalog* catalog = nullptr;
  const Renderer* renderer = nullptr;
  Inventory* inventory = nullptr;
  // Several nodes sharing one fleet (app/shared_state.h): the working state between a phone's
  // requests and the download slots live there, not in this process. nullptr: in memory.
  SharedState* shared = nullptr;
  FileStore firmware;  // images, served at /firmware/<name> and by bare name
  FileStore extras;    // operator files (dial plans, tones, CTL/ITL if supplied)
  std::string base_url = "http://127.0.0.1:8069";  // written into profiles (--public-url)
  // The HTTPS listener's base URL ("" : none). With it, SPA/ATA/MPP phones are moved to
  // HTTPS and their secrets go out only over it (transport escalation, provisioner_transport.cc).
  std::string https_base_url;
  // The CA certificate that verifies the server (serve --tls-ca), served at /ca.pem over plain
  // HTTP and named in escalated phones' Custom_CA_Rule; "" : none.
  std::string ca_file;
  int stuck_after = 3;                   // offers of one hop without progress before "stuck"
  int max_downloads = 0;  // phones fetching a hop's images at once (app/download_slots.h); 0: any
  std::vector<std::string> auto_enroll;  // model patterns (fnmatch) admitted to quarantine
  // serve --bench GROUP: unknown phones of the admitted models (auto_enroll's patterns, every
  // model without any) join this rollout group in state "new" instead of quarantine, and no
  // phone of the group is ever sent secrets (a staging bench: they go on to production).
  std::string bench_group;
  Settings defaults;                     // operator defaults under device settings
  TftpSecrets tftp_secrets = TftpSecrets::kFollowed;  // --tftp-secrets
  ProbeLimits probe_limits;                           // --probe-limit
  std::function<int64_t()> now_ms;                    // the clock; defaults to the system clock
  // Reads a phone's own web page (http://IP/DeviceInformationX) and calls done with its body,
  // or nullopt (off, unreachable, timed out, or an address it may not probe), on any thread
  // but never before probe_phone returns (the provisioner holds the device's lock then).
  // Unset: phones are never probed.
  std::function<void(const std::string& ip,
                     std::function<void(std::optional<std::string> body)> done)>
      probe_phone;
  // Asks a phone at `ip` to resync now: GET http://IP/admin/resync on its web port (SPA, ATA
  // and MPP phones; HTTP basic authentication as admin when `admin_password` is not empty);
  // done(true) when it answered 200. Unset: no triggers are sent.
  std::function<void(const std::string& ip, const std::string& admin_password,
                     std::function<void(bool)> done)>
      resync_phone;
  int64_t learn_after_ms = 30000;             // an offer it fetched nothing of by then: it runs it
  int64_t reprobe_after_ms = 10 * 60 * 1000;  // a phone whose page was off is not asked sooner
};

// The firmware source of a hop completed by downloads at an address other phones share (its
// own by the ledger's guess, or the address's whole set): as weak as "inferred" (a phone page
// or syslog overrules it).
inline constexpr std::string_view kSiteDownloads = "site-downloads";

class Provisioner {
 public:
  explicit Provisioner(ProvisionerConfig config);

  Response Handle(const Request& req);
  // Calls done(true) once the progress behind Response::durable is durable, done(false) if it
  // was lost: at once or from another thread (the inventory's committer).
  void WhenDurable(uint64_t ticket, std::function<void(bool)> done) {
    cfg_.inventory->WhenDurable(ticket, std::move(done));
  }
  // The answer a transport sends instead when the progress behind an answer was lost.
  static Response Unavailable();
  // A transport finished sending a file it got from Handle (complete: every byte went out).
  void TransferDone(const Request& req, const std::string& file, bool complete);
  // A syslog line from a phone: attached to the device last seen at that address as evidence.
  void Evidence(const std::string& peer_ip, const std::string& message);
  // Re-reads which images the firmware directory holds (call after it changes).
  void RescanFirmware();
  // What a reload (serve's SIGHUP) replaces. The catalog and renderer must outlive every
  // request that began before the reload (the server keeps each generation).
  struct Knowledge {
    const Catalog* catalog = nullptr;
    const Renderer* renderer = nullptr;
    Settings defaults;
    FileStore firmware;
    int stuck_after = 3;
    int64_t learn_after_ms = 30000;
    std::vector<std::string> auto_enroll;
    TftpSecrets tftp_secrets = TftpSecrets::kFollowed;
  };
  // Swaps the knowledge in between requests (reload_gate.h): requests under way finish with
  // the old one, the next ones see the new one; every settled answer is dropped. What phones
  // taught (hop progress, downloads under way, learned firmware) is kept.
  void Reload(Knowledge k);
  // Holds the current knowledge for the caller's duration (the admin API's requests).
  ReloadGate::Pin Pin() { return ReloadGate::Pin(gate_); }
  // The catalog and operator defaults in use (read under a Pin).
  const Catalog& catalog() const { return *cfg_.catalog; }
  const Settings& defaults() const { return cfg_.defaults; }
  // The plan the walk follows for a device whose firmware is known, with the images on hand
  // (the admin API's device plan).
  Result<Plan> PlanFor(const Device& d);
  // The catalog loads whose images are on hand; nullptr when the repository is not checked
  // (every load counts as on hand).
  std::shared_ptr<const std::unordered_set<const Load*>> AvailableLoads();
  // Calls fn (on any thread) once what Response::ready names is settled: at once if it is.
  void WhenReady(uint64_t ticket, std::function<void()> fn);
  // Periodic work (call about once a second): an offer to a phone whose firmware is unknown
  // that it fetched nothing of within learn_after_ms means it already runs that load; so does
  // a target offered again behind a shared address and met with silence (SweepQuietTargets).
  void Sweep();
  // Sets the base URL written into profiles; call before requests are handled (the listener's
  // port is known only once it is bound).
  void SetBaseUrl(std::string url) { cfg_.base_url = std::move(url); }
  void SetHttpsBaseUrl(std::string url) { cfg_.https_base_url = std::move(url); }

  // Rollout groups (core/rollout.h), as the walk sees them: re-read from the inventory at
  // most every 200 ms, at once with `fresh`.
  using GroupMap = std::map<std::string, RolloutGroup>;
  std::shared_ptr<const GroupMap> Groups(bool fresh = false);
  // This process changed a group: the next request reads them again.
  void GroupsChanged();
  // Sends a resync trigger to every member of the group not yet at its target whose address
  // this server knows (`why` goes into each device's resync-sent event).
  ResyncSummary TriggerGroup(const std::string& group, const std::string& why);
  // Members of the group whose hops this process held back (paused, outside its window).
  size_t HeldBy(const std::string& group);

 private:
  // What the request presented: every source's identity and their merge.
  struct Presented {
    const std::vector<Observation>* observations = nullptr;
    const MergedIdentity* merged = nullptr;
    const Identity* Source(const char* source) const;
  };
  // A request that identified a device: found (or auto-enrolled) and served, else refused.
  Response ForIdentity(const Presented& who, const Request& req, const std::string& name,
                       const SettledAnswers::Stamp& stamp);
  // An unknown device admitted to quarantine (--auto-enroll): nullopt when its model is not
  // admitted; an empty device when the inventory failed.
  std::optional<std::optional<Device>> AutoEnroll(const Identity& id, const Request& req);
  // The walk of a known device (provisioner_walk.cc).
  Response ServeDevice(Device device, const Presented& who, const Request& req,
                       const std::string& name, const SettledAnswers::Stamp& stamp);
  // An enterprise phone asked for its trust lists: the boot the server follows.
  Response FollowBoot(Device d, const Request& req, const std::string& name);
  // Plans once, applies the plan and renders the answer.
  struct TransportPlan;
  Response Walk(Device& d, const Device& before, const IdentityVerdict& verdict, const Request& req,
                std::vector<Event>& events, const TransportPlan& transport);
  // The plan applied through the lifecycle; `uncertain_why` set when what it runs is unknown.
  void ApplyPlan(Device& d, const Device& before, const Plan& plan, const Request& req,
                 std::vector<Event>& events, const std::string* uncertain_why);
  // The bench's hand-off of a phone at its target (device_lifecycle.h, kHandedOff).
  void HandOff(Device& d, Device& for_render, ProfileSetup& setup, const RolloutGroup* group,
               const Request& req, std::vector<Event>& events);
  void Offer(Device& d, const Device& before, const Load& next, const Request& req,
             std::vector<Event>& events, const std::string* uncertain_why);
  // Writes what the request changed (durable before the answer), and keeps a settled answer
  // under `keep_as` when nothing changed.
  Response Commit(Device& d, const Device& before, Response out, const std::vector<Event>& events,
                  const SettledAnswers::Stamp* keep_as);
  // Moves the device's state (app/device_lifecycle.h): the event kind to record, or nullptr.
  const char* Move(Device& d, Happening what);
  // The identity check (app/identity_check.h) of a request for a known device.
  IdentityVerdict Screen(const Device& d, const Presented& who, const Request& req);
  // The answer to a request whose identity disagreed with the inventory (recorded, counted).
  Response Mismatch(const Device& d, const IdentityVerdict& v, const Request& req,
                    const std::string& name);
  void NoteMismatch(const Device& d, const IdentityVerdict& v, const Request& req,
                    Response& answer);
  // Transport escalation for one request of a flat-profile device: where its rules point, and
  // whether its secrets wait (a plain request once HTTPS is on offer). Records the steps.
  struct TransportPlan {
    bool managed = false;      // escalation applies (an HTTPS listener, SPA/ATA/MPP, not opted out)
    bool withhold = false;     // the answer goes without secrets
    std::string profile_base;  // Profile_Rule's base ("" : the plain base)
    std::string upgrade_base;  // Upgrade_Rule's base ("" : the plain base)
    std::string rule_b;        // Profile_Rule_B: the HTTPS rule a plain-speaking phone tries
  };
  // `family`: the device's catalog family (ServeDevice has it already).
  TransportPlan Escalate(Device& d, const Family* family, const Request& req,
                         std::vector<Event>& events);
  // The URL of /ca.pem over plain HTTP, "" without a CA file.
  std::string CaUrl() const { return cfg_.ca_file.empty() ? "" : cfg_.base_url + "/ca.pem"; }
  // The first answer carrying a device's secrets over a transport (in this process) leaves a
  // secrets-sent event: the audit's record of secrets that went out over plain HTTP or TFTP.
  void NoteSecretsSent(const Device& d, const Request& req, std::vector<Event>& events);
  // Records a serial the inventory lacked, from a request that agreed on everything else.
  void LearnSerial(Device& d, const std::string& serial, const Request& req,
                   std::vector<Event>& events);
  // 429 for every request from an address the probe guard refuses now; nullopt otherwise.
  std::optional<Response> RefuseProber(const Request& req);
  // Counts a request that named an unknown device or failed the identity check: sets its
  // answer's delay; returns whether to record it one by one.
  bool CountFailure(const Request& req, Response& answer);
  void RecordProbeSummary(const Request& req, const ProbeGuard::Summary& s);
  // The address asked for the device's trust lists: the boot the server follows.
  void NoteBoot(const Request& req, int64_t device_id);
  bool BootFollowed(const Request& req, int64_t device_id);
  // When the address last asked for the device's trust lists (a boot began), -1 if never.
  int64_t BootAt(const Request& req, int64_t device_id);
  // An enterprise phone whose boots are followed asked for its configuration again within
  // kSameBootMs of its last offer without booting since (no trust-list request): its TFTP
  // client retrying in the same boot (a busy server: in a capped 10,000-phone storm a phone's
  // retry came 19 s after an answer it never got), not an answer to the offer. It gets the
  // same offer, counted once, and nothing is inferred from it. A real reboot asks for the
  // trust lists first; the window only bounds how long a phone that stopped asking for them
  // is taken for the same boot.
  bool RepeatOfOffer(const Device& d, const Request& req);
  static constexpr int64_t kSameBootMs = 120000;
  // Serves a file the store resolved (`path`, or the store's error for `name`).
  Response ServeFile(const Result<std::string>& path, const std::string& name, const Request& req,
                     bool firmware);
  Response Unknown(const Request& req, const MergedIdentity& id, const std::string& why);
  // 403 for a request refused before it is served (a client certificate that failed
  // verification, or contradicts what the request claims): recorded in the history of the
  // device the request names apart from the certificate, if one is enrolled, else among the
  // unknown attempts; counted against the address either way.
  Response RefuseClaim(const Request& req, const std::vector<Observation>& observations,
                       const std::string& why);
  Response Bootstrap(const Model& model);
  Response XmlDefault(const Request& req);
  void Observe(Device& d, const std::string& running, const Request& req,
               std::vector<Event>& events);
  // Whether its downloads (or, behind NAT, its address's) complete its pending hop.
  DownloadLedger::Credit HopCompletedByDownloads(const Device& d, const std::string& ip);
  // Every file it completed is a .loads manifest: the AUTH FAIL signature.
  static bool ManifestOnly(const Downloads& dl);
  // Every file a load's hop needs: the catalog's, plus the images its .loads manifest in the
  // firmware directory lists (the catalog knows the image names of few loads).
  std::set<std::string> FilesOfHop(const Load& load);
  std::string StuckReason(const Device& d, const Load* pending);
  const Load* FindLoadOf(const Device& d, const std::string& name) const;
  void Remember(const Request& req, int64_t device_id);
  // The address the device last asked from ("" : unknown).
  std::string AddressOf(const Device& d);
  RolloutView Rollout(const Device& d, const GroupMap& groups, int64_t now) const;
  // A copy of the device with the target its rollout group gives it (for planning only).
  Device Planned(const Device& d);
  // A hop held back by its group: recorded once per reason.
  void NoteHeld(const Device& d, const std::string& why, const Request& req);
  void NoteReleased(int64_t device_id);
  // Sweep's part for groups: a group that opened (resumed, its window began) or whose
  // resync_at moved gets its members triggered.
  void SweepRollout(int64_t now);
  // The device seen last at the address (within the tie window).
  std::optional<Device> DeviceAt(const std::string& ip);
  // The device seen at the address when no other was lately (not a site behind NAT).
  std::optional<Device> SoleDeviceAt(const std::string& ip);
  // Tells the download ledger what the device now awaits (its pending hop's files), or that
  // it awaits nothing.
  void Track(const Device& d, const Request& req);
  Event MakeEvent(const Request& req, std::string kind, std::string detail) const;
  Event RequestEvent(const Request& req) const;  // "request": method and target
  // Learning what an enterprise phone runs (provisioner_learning.cc).
  // What planning and rendering need now; `keep` holds the firmware on hand alive.
  ProfileSetup Setup(std::shared_ptr<const std::unordered_set<const Load*>>& keep);
  // Records that the device runs `load` (a load name of its family), learned from `source`
  // ("phone-page", "syslog", "installed", "inferred"); a weaker source never overrules a
  // surer one. Takes the device's lock.
  void LearnFirmware(int64_t device_id, const std::string& load, const std::string& source,
                     const std::string& how, const Request& req);
  // Starts reading the phone's web page unless it is being read or was lately; the ticket to
  // wait for, or nullopt when there is nothing to wait for.
  // `started`: set when this call began a new read.
  std::optional<uint64_t> ProbeFor(const Device& d, const Request& req, bool* started = nullptr);
  void OnProbe(int64_t device_id, const Request& req, uint64_t ticket,
               const std::optional<std::string>& body);
  // What the outcome of an offer to a phone whose firmware is unknown teaches (it fetched the
  // manifest only: narrowed; nothing: it runs the offer). True when it learned something.
  bool LearnFromOutcome(Device& d, const Load* pending, const Request& req,
                        std::vector<Event>& events);
  static constexpr int kMaxDoubts = 2;
  // Its next hop stalled (offered stuck_after times) while what it runs was credited from
  // downloads at a shared address (kSiteDownloads): that hop may have been another phone's, so what it
  // runs is unknown again (at most kMaxDoubts times a device). True when it doubted.
  bool DoubtSiteCredit(Device& d, const Request& req, std::vector<Event>& events);
  // Sweep's part for quiet_targets_: offered its target again at an address other phones
  // share and silent for learn_after_ms since, it runs it (one that does not reboots at once
  // to fetch it): the hop completes, as weakly as kSiteDownloads.
  void SweepQuietTargets(int64_t now, const std::string* only_ip = nullptr);
  // A plan for a device whose firmware is unknown: the uncertain offer as its one hop.
  Result<Plan> UncertainPlan(const ProfileSetup& setup, Device& d, std::string& why);
  static bool Enterprise(const Catalog& cat, const Device& d);
  // A phone of unknown firmware asked again with nothing safe to offer: after stuck_after
  // such requests it is stuck, saying what was tried.
  void NothingLearned(Device& d, const Request& req, const std::string& why,
                      std::vector<Event>& events);
  // `name` as this model's firmware: its load name, a release it could run, or "" if neither.
  std::string FirmwareName(const Model& m, const std::string& name) const;

  // The device by id, read again under its lock (held in `lock` on return), for work outside
  // a request (a page read, the sweep); nullopt when it is gone.
  std::optional<Device> LockedDevice(int64_t id, std::unique_lock<std::mutex>& lock);
  // One device's requests are serialised by a lock chosen by its identity (MAC, else serial).
  std::mutex& LockFor(const std::string& key) {
    return device_mu_[std::hash<std::string>{}(key) % device_mu_.size()];
  }

  // RescanFirmware without pinning (Reload holds the gate exclusively).
  void Rescan();

  // Nodes sharing a fleet (provisioner_shared.cc): holds the address across nodes and brings
  // its working state into this process for the scope's duration, then writes it back and
  // forgets it. Take it before any device lock. Does nothing without shared state, or when
  // this thread holds the address already.
  class AddressScope {
   public:
    AddressScope(Provisioner& p, const std::string& ip);
    ~AddressScope();
    AddressScope(const AddressScope&) = delete;
    AddressScope& operator=(const AddressScope&) = delete;
    // False when the shared state could not be read: the request is answered 503.
    bool ok() const { return ok_; }

   private:
    Provisioner& p_;
    std::string ip_;
    std::unique_ptr<SharedState::Lease> lease_;
    bool ok_ = true;
  };
  // The address's working state out of memory (serialised; "" when there is none), with when
  // the sweep should look at it again; and back in.
  std::string TakeState(const std::string& ip, std::optional<int64_t>& due);
  void PutState(const std::string& ip, const std::string& state);
  // The download cap, in the shared state or in this process.
  bool TakeSlot(int64_t device, int64_t now);
  void RefreshSlot(int64_t device, int64_t now);
  void ReleaseSlot(int64_t device);
  // Sweep's parts for learning; with `only_ip`, just the devices of that address.
  void SweepUncertainOffers(int64_t now, const std::string* only_ip);
  // Whether the device's last address is ip (always, without one).
  bool AtAddress(int64_t device, const std::string* ip);

  ProvisionerConfig cfg_;
  ReloadGate gate_;
  std::array<std::mutex, 64> device_mu_;
  std::mutex seen_mu_;
  Whereabouts seen_;
  // (address \0 device id) -> when that device asked for its trust lists from there
  std::unordered_map<std::string, int64_t> boots_;
  // (device id, transport) pairs whose secrets-sent event this process recorded (seen_mu_).
  std::set<std::pair<int64_t, std::string>> secrets_noted_;
  ProbeGuard guard_;
  struct PhoneProbe {
    bool in_flight = false;
    int64_t at_ms = 0;
    uint64_t ticket = 0;
  };
  std::mutex learn_mu_;
  std::unordered_map<int64_t, PhoneProbe> probes_;                            // device id
  std::unordered_map<uint64_t, std::vector<std::function<void()>>> waiting_;  // ticket
  uint64_t next_ticket_ = 0;
  // Offers to phones whose firmware is unknown: device id -> (when, load), for Sweep.
  std::unordered_map<int64_t, std::pair<int64_t, std::string>> uncertain_offers_;
  std::unordered_map<int64_t, int> unlearned_asks_;  // device id -> requests, nothing learned
  std::unordered_map<int64_t, int64_t> last_offer_;  // device id -> when a hop was last offered
  std::unordered_map<int64_t, int> doubts_;          // device id -> site credits doubted
  // Devices behind a shared address offered their target again (Sweep): id -> (when, load).
  std::unordered_map<int64_t, std::pair<int64_t, std::string>> quiet_targets_;
  DownloadLedger ledger_;
  std::unordered_map<std::string, std::set<std::string>> hop_files_;  // load -> files
  SettledAnswers settled_;
  std::atomic<uint64_t> firmware_generation_{0};  // moves whenever available_ is replaced
  std::mutex avail_mu_;
  std::shared_ptr<const std::unordered_set<const Load*>> available_;  // swapped whole on rescan
  DownloadSlots slots_{cfg_.max_downloads};
  std::mutex groups_mu_;
  std::shared_ptr<const GroupMap> groups_;
  std::chrono::steady_clock::time_point groups_read_;
  std::unordered_map<int64_t, std::string> held_;  // device id -> why held (groups_mu_)
  std::atomic<size_t> held_count_{0};              // held_.size(), read without the lock
  std::mutex addresses_mu_;
  std::unordered_map<int64_t, std::string> addresses_;  // device id -> last address
  std::map<std::string, bool> open_;                    // group -> open at the last sweep
  std::map<std::string, int64_t> resync_seen_;          // group -> resync_at acted on
};

}  // namespace stepup
