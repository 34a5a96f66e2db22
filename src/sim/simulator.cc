#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange

// Asio's coroutine frames use a recycling operator new/delete pair that GCC 12 at -O1 misreads.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <boost/asio.hpp>
#include <chrono>
#include <iostream>
#include <random>

#include "core/identify.h"
#include "core/profile_cipher.h"
#include "core/text.h"
#include "sim/phone_web.h"
#include "sim/sim_fetch.h"
#include "sim/simulator.h"

namespace stepup::sim {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::udp;
using boost::system::error_code;

// A busy server (TFTP "server busy", HTTP 503, a refused or timed-out connection) is asked
// again after a growing, jittered pause, as phones retry during a boot storm; what the server
// decided (403, 404, file not found) is final.
bool Transient(const Fetch& f) {
  if (f.status == 503) return true;
  if (f.error.empty()) return false;
  if (f.tftp_error < 0) return true;  // timeouts and socket errors
  return f.tftp_error == 0 && (f.error.find("busy") != std::string::npos ||
                               f.error.find("too many") != std::string::npos);
}

constexpr int kFetchAttempts = 40;  // phones retry a busy server for as long as it takes

awaitable<void> Backoff(Run& run, int attempt) {
  int base = std::min(4000, 200 << std::min(attempt, 5));
  int ms = base / 2 + static_cast<int>(std::uniform_int_distribution<int>(0, base / 2)(run.rng));
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_after(std::chrono::milliseconds(ms));
  error_code ec;
  co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

awaitable<Fetch> HttpGet(Run& run, PhoneState& p, asio::ip::address self, std::string url) {
  Fetch f;
  for (int attempt = 0; attempt < kFetchAttempts; ++attempt) {
    if (attempt > 0) co_await Backoff(run, attempt);
    f = co_await HttpOnce(run, p, self, url);
    if (!Transient(f)) break;
  }
  co_return f;
}

awaitable<Fetch> TftpGet(Run& run, PhoneState& p, asio::ip::address self, std::string file) {
  Fetch f;
  for (int attempt = 0; attempt < kFetchAttempts; ++attempt) {
    if (attempt > 0) co_await Backoff(run, attempt);
    f = co_await TftpOnce(run, p, self, file);
    if (!Transient(f)) break;
    run.Trace(p, [&] { return "TFTP " + file + " again after: " + f.error; });
  }
  co_return f;
}

enum class BootResult { kSettled, kChanged, kRetry, kFailed };

// A Resync_Periodic this short means "come back soon" (the server's value while a hop is
// pending, core/render.cc); longer ones mean the phone has nothing to do for now.
constexpr int kSoonResyncSeconds = 120;

// Downloads an image (or a .loads manifest and the images it lists) and installs it when the
// phone accepts it. `fetch` gets one file by name or URL.
template <typename FetchFn>
awaitable<BootResult> TakeImage(PhoneState& p, std::string first, FetchFn fetch,
                                std::string image_base) {
  Fetch f = co_await fetch(first);
  if (!f.ok()) {
    ++p.refusals;
    p.last_refusal = "download of " + first +
                     " failed: " + (f.error.empty() ? "HTTP " + std::to_string(f.status) : f.error);
    co_return BootResult::kRetry;
  }
  auto img = ParseFakeImage(f.body);
  if (!img) {
    ++p.refusals;
    p.last_refusal = first + ": " + img.error().message;
    co_return BootResult::kRetry;
  }
  if (std::string why = InstallRefusal(p, *img); !why.empty()) {
    ++p.refusals;  // a signed .loads is checked before any image is fetched (AUTH FAIL)
    p.last_refusal = why;
    co_return BootResult::kRetry;
  }
  for (const std::string& name : img->images) {
    std::string part_name = image_base + name;
    Fetch part = co_await fetch(part_name);
    auto pi = part.ok() ? ParseFakeImage(part.body) : Result<FakeImage>(BadInput(part.error));
    std::string why =
        !part.ok() ? "download of " + name + " failed: " +
                         (part.error.empty() ? "HTTP " + std::to_string(part.status) : part.error)
        : !pi ? name + ": " + pi.error().message
        // SIP and SCCP loads of a release share some images (apps, cnu, dsp)
        : pi->family != img->family || pi->version != img->version
            ? name + " belongs to " + pi->load + ", not " + img->load
            : InstallRefusal(p, *pi);
    if (!why.empty()) {
      ++p.refusals;
      p.last_refusal = why;
      co_return BootResult::kRetry;
    }
  }
  if (Runs(p, img->load)) co_return BootResult::kSettled;
  Install(p, *img);
  co_return BootResult::kChanged;
}

// A profile rule fetched as a phone does: its --key option decrypts what comes, and a profile
// that does not decrypt fails as a bad one does. `once`: a single try (Profile_Rule_B).
awaitable<Fetch> ProfileGet(Run& run, PhoneState& p, asio::ip::address self, std::string rule,
                            bool once) {
  KeyedRule r = SplitKeyOption(ExpandMacros(rule, p));
  Fetch f;
  Result<std::string> plain = std::string();
  if (once) {
    f = co_await HttpOnce(run, p, self, r.url);
  } else {
    f = co_await HttpGet(run, p, self, r.url);
  }
  if (f.ok() && !r.key.empty()) {
    plain = DecryptProfile(f.body, r.key);
    if (plain) {
      f.body = std::move(plain).value();
      ++p.encrypted_profiles;
    } else {
      f.error = "encrypted profile: " + plain.error().message;
    }
  }
  co_return f;
}

std::string FetchFailure(const Fetch& f, const std::string& what) {
  if (f.status == 403 || f.tftp_error == 2)
    return what + " refused by the server (unknown device?)";
  return what + ": " + (f.error.empty() ? "HTTP " + std::to_string(f.status) : f.error);
}

// After a profile is applied: installs the CA its Custom_CA_Rule names (once per URL), then
// evaluates Profile_Rule_B, as a phone evaluates its Profile_Rule* in sequence at a resync.
// Returns the second profile when it came (it is applied over the first); a failure (a server
// the phone cannot verify) interrupts the sequence and leaves the first profile applied.
awaitable<std::optional<FlatProfile>> FollowRules(Run& run, PhoneState& p,
                                                  asio::ip::address self, FlatProfile prof) {
  std::optional<FlatProfile> out;
  Fetch ca, second;
  Result<FlatProfile> parsed = FlatProfile{};
  if (!prof.custom_ca_rule.empty() && prof.custom_ca_rule != p.ca_url) {
    ca = co_await HttpGet(run, p, self, ExpandMacros(prof.custom_ca_rule, p));
    if (ca.ok()) {
      p.ca_url = prof.custom_ca_rule;
      p.ca_pem = std::move(ca.body);
    }
  }
  if (prof.profile_rule_b) p.profile_url_b = *prof.profile_rule_b;
  if (!p.profile_url_b.empty()) {
    second = co_await ProfileGet(run, p, self, p.profile_url_b, true);
    if (second.ok()) parsed = ParseFlatProfile(second.body);
    if (second.ok() && parsed) {
      if (parsed->profile_rule_b) p.profile_url_b = *parsed->profile_rule_b;
      out = std::move(*parsed);
    }
  }
  co_return out;
}

awaitable<BootResult> BootFlat(Run& run, PhoneState& p, asio::ip::address self) {
  auto http = [&run, &p, self](std::string url) { return HttpGet(run, p, self, std::move(url)); };
  if (p.profile_url.empty()) {
    // Factory fresh: the model-only file, over TFTP when there is a TFTP server (DHCP 66),
    // else over HTTP from the server's base URL.
    if (p.kind.factory_file.empty() || !run.tftp) {
      p.profile_url =
          run.opt.http_url + "/" + (p.kind.factory_file.empty() ? "$MA.cfg" : p.kind.factory_file);
    } else {
      Fetch boot = co_await TftpGet(run, p, self, p.kind.factory_file);
      if (!boot.ok()) {
        p.failure = FetchFailure(boot, "TFTP " + p.kind.factory_file);
        co_return BootResult::kFailed;
      }
      auto prof = ParseFlatProfile(boot.body);
      if (!prof || prof->profile_rule.empty()) {
        p.failure = "bootstrap profile: " + (prof ? "no Profile_Rule" : prof.error().message);
        co_return BootResult::kFailed;
      }
      p.profile_url = prof->profile_rule;
    }
  }
  const std::string rule_used = p.profile_url;
  Fetch f = co_await ProfileGet(run, p, self, p.profile_url, false);
  if (!f.ok()) {
    p.failure = FetchFailure(f, "profile");
    co_return BootResult::kFailed;
  }
  p.profile_from = SplitKeyOption(ExpandMacros(rule_used, p)).url;
  auto prof = ParseFlatProfile(f.body);
  if (!prof) {
    p.failure = "profile: " + prof.error().message;
    co_return BootResult::kFailed;
  }
  std::optional<FlatProfile> second = co_await FollowRules(run, p, self, *prof);
  const FlatProfile& applied = second ? *second : *prof;  // Profile_Rule_B's, when it came
  if (!applied.profile_rule.empty()) p.profile_url = applied.profile_rule;
  p.gpp_p = applied.gpp_p;
  if (applied.admin_password) p.admin_password = *applied.admin_password;
  if (ToLower(applied.upgrade_enable) != "yes" || applied.upgrade_rule.empty()) {
    // No upgrade now, but a resync soon (the server held a hop back: its download cap): the
    // phone comes back at that resync, here after a pause of about a second instead of minutes.
    // Its Profile_Rule now points elsewhere (the bench handed it off, or it moved to HTTPS):
    // its next resync asks there, here at once (a few times at most: no loop between rules).
    if (p.profile_url != rule_used && p.rule_changes < 4) {
      ++p.rule_changes;
      co_return BootResult::kRetry;
    }
    if (applied.resync_periodic > 0 && applied.resync_periodic <= kSoonResyncSeconds) {
      ++p.held_back;
      co_await Backoff(run, 3);  // 0.8 to 1.6 s: the server's 120 s, scaled down
      co_return BootResult::kRetry;
    }
    co_return BootResult::kSettled;
  }
  auto url = EvaluateUpgradeRule(applied.upgrade_rule, p.running_v);
  if (!url) {
    ++p.refusals;
    p.last_refusal = url.error().message;
    co_return BootResult::kRetry;
  }
  if (url->empty()) co_return BootResult::kSettled;
  std::string image_url = ExpandMacros(*url, p);
  std::string base = image_url.substr(0, image_url.rfind('/') + 1);
  BootResult r = co_await TakeImage(p, image_url, http, base);
  co_return r;
}

awaitable<BootResult> BootEnterprise(Run& run, PhoneState& p, asio::ip::address self) {
  auto tftp = [&run, &p, self](std::string name) { return TftpGet(run, p, self, std::move(name)); };
  const std::string mac = ToUpper(p.spec.mac);
  // 79xx-enterprise.md section 6: trust lists first (a bench answers "not found"), then the
  // phone's own configuration, XMLDefault.cnf.xml when that is missing.
  std::string ctl = "CTLSEP" + mac + ".tlv", itl = "ITLSEP" + mac + ".tlv",
              sep = "SEP" + mac + ".cnf.xml";
  (void)co_await tftp(ctl);
  (void)co_await tftp(itl);
  if (run.syslog) SendSyslog(*run.ioc, self, *run.syslog, BootAlarm(p));
  Fetch cfg = co_await tftp(sep);
  if (!cfg.ok()) {
    p.failure = FetchFailure(cfg, "SEP" + mac + ".cnf.xml");
    co_return BootResult::kFailed;
  }
  auto load = ParseLoadInformation(cfg.body, p.device_type);
  if (!load) {
    p.failure = "SEP" + mac + ".cnf.xml: " + load.error().message;
    co_return BootResult::kFailed;
  }
  if (load->empty() || Runs(p, *load)) co_return BootResult::kSettled;
  std::string manifest = *load + ".loads";
  BootResult r = co_await TakeImage(p, manifest, tftp, "");
  co_return r;
}

// --linger: a phone that settled short of its target waits for what brings it back. An SPA or
// MPP phone waits for a resync trigger (its web page's /admin/resync, phone_web.h); an
// enterprise phone on a bench has no call control to register to, so it resets and asks for
// its configuration again ("the phone will reset and attempt to register repeatedly", Cisco
// 7961G administration guide, "Understanding the Phone Startup Process"), here every 2 s.
// True when it boots again; false once `until` has passed.
awaitable<bool> Linger(Run& run, PhoneState& p, Clock::time_point until) {
  const auto now = Clock::now();
  if (now >= until) co_return false;
  asio::steady_timer t(co_await asio::this_coro::executor);
  const bool enterprise = p.kind.boot == BootStyle::kEnterprise;
  t.expires_after(enterprise ? std::min<Clock::duration>(std::chrono::seconds(2), until - now)
                             : until - now);
  run.lingering[&p] = &t;
  error_code ec;
  co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  run.lingering.erase(&p);
  if (ec == asio::error::operation_aborted) {  // a resync trigger
    run.Trace(p, [] { return std::string("resync trigger"); });
    co_return true;
  }
  co_return enterprise && Clock::now() < until;
}

awaitable<void> RunPhone(Run& run, PhoneState& p, asio::ip::address self) {
  auto t0 = Clock::now();
  const auto linger_until = t0 + std::chrono::seconds(run.opt.linger_s);
  for (int boot = 0; boot < run.opt.max_boots; ++boot) {
    ++p.boots;
    run.tftp_in_boot[&p] = 0;  // --reuse-ports: the TFTP stack starts over
    BootResult r;              // (no co_await inside ?: : GCC 12 miscompiles it)
    if (p.kind.boot == BootStyle::kEnterprise) {
      r = co_await BootEnterprise(run, p, self);
    } else {
      r = co_await BootFlat(run, p, self);
    }
    if (r == BootResult::kSettled && !AtTarget(p) && p.spec.target_given && p.refusals == 0 &&
        run.opt.linger_s > 0) {
      bool again = co_await Linger(run, p, linger_until);
      if (again) continue;
    }
    if (r == BootResult::kSettled || r == BootResult::kFailed) break;
    if (boot + 1 == run.opt.max_boots)
      p.failure = "still changing after " + std::to_string(run.opt.max_boots) + " boots";
  }
  p.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
}

PhoneResult Judge(PhoneState p) {
  PhoneResult r;
  if (!p.failure.empty()) {
    r.status = "failed";
    r.reason = p.failure;
  } else if (AtTarget(p)) {
    r.status = "current";
  } else if (!p.spec.target_given && p.refusals == 0) {
    r.status = "settled";  // no target of its own: where the server's walk ended
    r.reason = "settled on " + p.running;
  } else if (p.refusals > 0) {
    r.status = "stuck";
    r.reason = p.last_refusal;
  } else {
    r.status = "no-path";
    r.reason =
        "the server offers no upgrade from " + p.running + " (target " + p.target_v.input + ")";
  }
  r.phone = std::move(p);
  return r;
}

}  // namespace

Result<SimReport> Simulate(const Catalog& catalog, const std::vector<PhoneSpec>& fleet,
                           const SimOptions& opt) {
  if (auto u = ParseUrl(opt.http_url); !u || u->scheme != "http")
    return BadInput("--http: " +
                    (u ? "\"" + opt.http_url + "\" is not http://" : u.error().message));
  if (opt.concurrency < 1) return BadInput("--concurrency must be at least 1");
  if (opt.loss < 0 || opt.loss > 0.5) return BadInput("--loss must be between 0 and 0.5");
  SimOptions o = opt;
  while (!o.http_url.empty() && o.http_url.back() == '/') o.http_url.pop_back();
  Run run{o, std::mt19937_64(opt.seed), std::nullopt};
  if (!opt.trace_mac.empty()) run.trace = NormalizeMac(opt.trace_mac);
  if (!opt.tftp.empty()) {
    auto u = ParseUrl("tftp://" + opt.tftp);
    if (!u) return BadInput("--tftp: " + u.error().message);
    run.tftp = udp::endpoint(asio::ip::make_address(u->host), u->port);
  }
  if (opt.nat < 0 || opt.nat > 1000) return BadInput("--nat must be between 0 and 1000");
  // The pool stays below the kernel's ephemeral ports (32768 up), which fill in when it is dry.
  if (opt.nat_ports < 16 || opt.nat_ports > kNatPortsMax)
    return BadInput("--nat-ports must be between 16 and " + std::to_string(kNatPortsMax));
  if (opt.nat_hold_ms < 0 || opt.nat_hold_ms > 3600000)
    return BadInput("--nat-hold-ms must be between 0 and 3600000");
  for (int i = 0; i < opt.nat; ++i) {
    run.nat[NatAddress(static_cast<size_t>(i)).to_v4().to_uint()] =
        std::make_unique<NatPorts>(kNatFirstPort, static_cast<size_t>(opt.nat_ports),
                                   std::chrono::milliseconds(opt.nat_hold_ms));
  }
  std::vector<PhoneState> phones;
  phones.reserve(fleet.size());
  for (const auto& spec : fleet) {
    auto p = StartPhone(catalog, spec);
    if (!p) return BadInput(spec.where + ": " + p.error().message);
    phones.push_back(std::move(p).value());
  }
  if (!opt.syslog.empty()) {
    auto u = ParseUrl("tftp://" + opt.syslog);  // any HOST:PORT; the scheme is not used
    if (!u) return BadInput("--syslog: " + u.error().message);
    run.syslog = udp::endpoint(asio::ip::make_address(u->host), u->port);
  }
  if (opt.web_off_share < 0 || opt.web_off_share > 1)
    return BadInput("--web-off-share must be between 0 and 1");
  asio::io_context ioc(1);
  run.ioc = &ioc;
  // Enterprise phones' web pages, each on its phone's own address; a share of them off,
  // spread evenly (phone i is off when i * share crosses a whole number).
  std::vector<std::shared_ptr<asio::ip::tcp::acceptor>> pages;
  for (size_t i = 0; opt.web_port != 0 && i < phones.size(); ++i) {
    const double share = opt.web_off_share;
    const bool enterprise = phones[i].kind.boot == BootStyle::kEnterprise;
    const bool off = static_cast<int64_t>((i + 1) * share) > static_cast<int64_t>(i * share);
    if (enterprise && off) continue;
    if (!enterprise && opt.linger_s <= 0) continue;  // SPA/MPP: only for resync triggers
    auto acc = std::make_shared<asio::ip::tcp::acceptor>(ioc);
    error_code ec;
    asio::ip::tcp::endpoint ep(PhoneAddress(i), opt.web_port);
    acc->open(ep.protocol(), ec);
    if (!ec) acc->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acc->bind(ep, ec);
    if (!ec) acc->listen(64, ec);
    if (ec) return BadInput("--web-port " + std::to_string(opt.web_port) + " on " +
                            ep.address().to_string() + ": " + ec.message());
    PhoneState* phone = &phones[i];
    auto resync = [&run, phone](const std::string& authorization) {
      // It asks for its admin password once a profile set one (HTTP basic, user "admin").
      if (!phone->admin_password.empty() &&
          authorization != BasicAuthorization("admin", phone->admin_password))
        return 401;
      ++phone->resyncs;
      if (auto it = run.lingering.find(phone); it != run.lingering.end()) it->second->cancel();
      return 200;
    };
    asio::co_spawn(ioc, ServePhonePage(acc, catalog, phones[i], enterprise, resync),
                   asio::detached);
    pages.push_back(std::move(acc));
  }
  size_t next = 0, done = 0;
  auto t0 = Clock::now();
  auto worker = [&]() -> awaitable<void> {
    while (next < phones.size()) {
      size_t i = next++;
      asio::ip::address self = PhoneAddress(i);  // (no ?: in a co_await: GCC 12 evaluates both)
      if (opt.nat > 0) self = NatAddress(i % static_cast<size_t>(opt.nat));
      co_await RunPhone(run, phones[i], self);
      if (++done == phones.size()) {
        for (auto& acc : pages) {
          error_code ignored;
          acc->close(ignored);
        }
      }
    }
  };
  size_t workers = std::min<size_t>(phones.size(), static_cast<size_t>(opt.concurrency));
  for (size_t w = 0; w < workers; ++w) asio::co_spawn(ioc, worker(), asio::detached);
  asio::steady_timer ticker(ioc);
  std::function<void(error_code)> tick = [&](error_code ec) {
    if (ec || done == phones.size()) return;
    std::cerr << "\rsimulate: " << done << "/" << phones.size() << " phones settled, "
              << run.requests << " requests" << std::flush;
    ticker.expires_after(std::chrono::milliseconds(500));
    ticker.async_wait(tick);
  };
  if (opt.progress) tick({});
  ioc.run();
  run.previous_socket.clear();  // sockets go before their io_context
  if (opt.nat > 0) {
    uint64_t reused = 0, early = 0;
    for (const auto& kv : run.nat) {
      reused += kv.second->reused();
      early += kv.second->early();
    }
    std::cerr << "simulate: " << phones.size() << " phones behind " << opt.nat
              << " addresses; TFTP ports handed out again " << reused << " times after "
              << opt.nat_hold_ms << " ms, " << early << " times sooner (pool dry)\n";
  }
  if (opt.progress) std::cerr << "\r\033[K";
  SimReport rep;
  rep.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  rep.requests = run.requests;
  rep.bytes = run.bytes;
  for (auto& p : phones) rep.phones.push_back(Judge(std::move(p)));
  return rep;
}

nlohmann::json ReportJson(const SimReport& rep) {
  nlohmann::json devices = nlohmann::json::array();
  nlohmann::json by_status = nlohmann::json::object();
  double slowest = 0;
  for (const auto& r : rep.phones) {
    const PhoneState& p = r.phone;
    nlohmann::json hops = nlohmann::json::array();
    for (const auto& h : p.hops) hops.push_back({{"load", h.load}, {"version", h.version}});
    devices.push_back({{"mac", p.spec.mac},
                       {"serial", p.spec.serial},
                       {"model", p.spec.model},
                       {"start", p.start},
                       {"final", p.running},
                       {"target", p.target_v.input},
                       {"status", r.status},
                       {"hops", hops},
                       {"reason", r.reason},
                       {"requests", p.requests},
                       {"boots", p.boots},
                       {"https_failures", p.https_failures},
                       {"encrypted_profiles", p.encrypted_profiles},
                       {"held_back", p.held_back},
                       {"resyncs", p.resyncs},
                       {"profile_from", p.profile_from},
                       {"bytes", p.bytes},
                       {"seconds", p.seconds}});
    by_status[r.status] = by_status.value(r.status, 0) + 1;
    slowest = std::max(slowest, p.seconds);
  }
  return {{"devices", devices},
          {"totals",
           {{"phones", rep.phones.size()},
            {"seconds", rep.seconds},
            {"requests", rep.requests},
            {"requests_per_second", rep.seconds > 0 ? rep.requests / rep.seconds : 0},
            {"bytes", rep.bytes},
            {"slowest_phone_seconds", slowest},
            {"by_status", by_status}}}};
}

}  // namespace stepup::sim
