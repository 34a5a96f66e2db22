#include "server/server.h"

#include <cerrno>
#include <cstring>

#include <sys/resource.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <condition_variable>
#include <csignal>
#include <ctime>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "app/metered_inventory.h"
#include "app/metrics.h"
#include "net/http_server.h"
#include "net/listen_address.h"
#include "net/phone_probe.h"
#include "net/syslog_receiver.h"
#include "net/tftp_server.h"
#include "net/trusted_proxy.h"
#include "store/access_log_file.h"
#include "store/file_store.h"
#include "store/image_cache.h"
#include "store/inventory.h"

namespace stepup {
namespace {

namespace net = boost::asio;
namespace fs = std::filesystem;
using Address = std::pair<std::string, uint16_t>;

// Every connection and TFTP transfer holds a descriptor: raise the soft limit to the hard one
// (the usual soft 1024 would refuse a boot storm's phones) and return it.
rlim_t RaiseFileLimit() {
  struct rlimit rl {};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit want = rl;
    want.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &want) == 0) rl = want;
  }
  return rl.rlim_cur;
}

// The host part of a URL for a listener's address (wildcards: loopback).
std::string UrlHost(const std::string& address) {
  std::string host = address.find(':') != std::string::npos ? "[" + address + "]" : address;
  return host == "0.0.0.0" || host == "[::]" ? "127.0.0.1" : host;
}

std::string BaseUrl(const std::string& public_url, const std::string& host, uint16_t port) {
  std::string url = public_url.empty() ? "http://" + host + ":" + std::to_string(port) : public_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

// --tftp-secrets as the provisioner takes it (the flag's check admits only these three).
TftpSecrets TftpSecretsOf(const std::string& flag) {
  return flag == "off" ? TftpSecrets::kOff : flag == "any" ? TftpSecrets::kAny : TftpSecrets::kFollowed;
}

}  // namespace

struct Server::Impl {
  ServerConfig cfg;
  Workspace ws;
  std::string firmware_dir, host;
  Address http_at;
  std::optional<Address> tftp_at, syslog_at, https_at, admin_at;
  std::shared_ptr<net::ssl::context> tls;
  SourceLimits tftp_limits;
  FILE* log_file = stdout;
  std::unique_ptr<AccessLogFile> sink;
  net::io_context ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::unique_ptr<PhoneProber> prober;
  Metrics metrics;  // /metrics: every listener and the provisioner's events count here
  std::vector<AddressRange> trusted_proxies;  // --trusted-proxy
  std::unique_ptr<SharedState> shared;  // nodes on one PostgreSQL fleet; else nullptr
  std::unique_ptr<MeteredInventory> metered;
  std::unique_ptr<Provisioner> prov;
  std::unique_ptr<AdminApi> admin_api;
  std::unique_ptr<HttpServer> http, https, admin;
  std::unique_ptr<TftpServer> tftp;
  std::unique_ptr<SyslogReceiver> syslog;
  std::vector<std::thread> pool;
  std::mutex house_mu;
  std::condition_variable house_cv;
  bool house_stop = false, running = false;
  std::thread housekeeper;
  // The catalog and template generations reloads brought (the first is ws's), all kept:
  // requests begun before a reload, and state derived from its catalog (offers under way),
  // may still point into the one it replaced.
  std::vector<std::unique_ptr<Catalog>> catalogs;
  std::vector<std::unique_ptr<Renderer>> renderers;
  std::mutex reload_mu;

  Status ParseAddresses();
  Status MakeTls();
  Status StartHttps();
  Status StartAdmin();
  Status OpenFiles();
  Status MakeProvisioner();
  Status StartTftp(rlim_t files);
  void StartHousekeeping();
  void StopHousekeeping();
  ~Impl() {
    sink.reset();
    if (log_file != stdout) std::fclose(log_file);
    // The inventory may still hold callbacks waiting for a commit (AfterDurable), each holding
    // a strand of `ioc`: it goes (with its committer thread) while `ioc` is still alive, which
    // the members' reverse order of destruction would not give.
    http.reset();
    https.reset();
    admin.reset();
    tftp.reset();
    syslog.reset();
    prov.reset();
    metered.reset();
    ws.inventory.reset();
  }
  AccessLog Log() {
    return [sink = sink.get()](const std::string& line) { sink->Write(line); };
  }
};

Status Server::Impl::ParseAddresses() {
  auto h = ParseListenAddress("--http", cfg.http);
  if (!h) return h.error();
  http_at = *h;
  host = UrlHost(http_at.first);
  if (!cfg.syslog.empty()) {
    auto s = ParseListenAddress("--syslog", cfg.syslog);
    if (!s) return s.error();
    syslog_at = *s;
  }
  if (!cfg.admin.empty()) {
    auto a = ParseListenAddress("--admin", cfg.admin);
    if (!a) return a.error();
    admin_at = *a;
    if (cfg.admin_token.empty() && !IsLoopbackAddress(admin_at->first))
      return BadInput("--admin \"" + cfg.admin +
                      "\" is not a loopback address: the admin API there needs --admin-token "
                      "TOKEN (or STEPUP_ADMIN_TOKEN)");
  }
  if (!cfg.https.empty()) {
    auto s = ParseListenAddress("--https", cfg.https);
    if (!s) return s.error();
    https_at = *s;
  }
  for (const std::string& range : cfg.trusted_proxies) {
    auto r = ParseAddressRange(range);
    if (!r) return BadInput("--trusted-proxy: " + r.error().message);
    trusted_proxies.push_back(*r);
  }
  if (!cfg.accel_redirect.empty()) {
    const std::string& p = cfg.accel_redirect;
    if (p.front() != '/' || p.back() != '/' || p.find_first_of(" \r\n") != std::string::npos)
      return BadInput("--accel-redirect \"" + p + "\" must be a path that starts and ends with /");
    if (cfg.trusted_proxies.empty())
      return BadInput("--accel-redirect needs --trusted-proxy (the balancer that sends the files)");
  }
  if (!cfg.tftp.empty() && cfg.tftp != "off") {
    auto t = ParseListenAddress("--tftp", cfg.tftp);
    if (!t) return t.error();
    tftp_at = *t;
    tftp_limits = SourceLimits({cfg.tftp_transfers, cfg.tftp_rate});
    for (const std::string& rule : cfg.tftp_limits) {
      if (auto s = tftp_limits.Add(rule); !s) return s.error();
    }
  }
  return Ok{};
}

// The HTTPS listener's TLS context, built at Open so a bad certificate or key stops the
// command before anything is bound.
Status Server::Impl::MakeTls() {
  const TlsOptions& t = cfg.tls;
  if (!https_at) {
    if (!t.cert_file.empty() || !t.key_file.empty() || !t.client_ca.empty() ||
        t.require_client_cert || t.legacy)
      return BadInput("--tls-cert, --tls-key, --client-ca, --require-client-cert and "
                      "--tls-legacy need --https ADDR:PORT");
    return Ok{};
  }
  auto ctx = MakeTlsContext(t);
  if (!ctx) return ctx.error();
  tls = std::move(ctx).value();
  return Ok{};
}

Status Server::Impl::StartHttps() {
  HttpOptions o;
  o.metrics = &metrics;
  o.address = https_at->first;
  o.port = https_at->second;
  o.read_timeout_s = cfg.read_timeout;
  o.trusted_proxies = trusted_proxies;
  o.accel_redirect = cfg.accel_redirect;
  o.tls = tls;
  o.require_client_cert = cfg.tls.require_client_cert;
  https = std::make_unique<HttpServer>(ioc, *prov, o, Log());
  return https->Start();
}

Status Server::Impl::StartAdmin() {
  HttpOptions o;
  o.metrics = &metrics;
  o.address = admin_at->first;
  o.port = admin_at->second;
  o.read_timeout_s = cfg.read_timeout;
  o.admin = admin_api.get();
  o.phones = false;
  admin = std::make_unique<HttpServer>(ioc, *prov, o, Log());
  return admin->Start();
}

Status Server::Impl::OpenFiles() {
  firmware_dir =
      cfg.firmware.empty() ? (fs::path(cfg.data.dir) / "firmware").string() : cfg.firmware;
  for (const fs::path& dir : {fs::path(firmware_dir), fs::path(cfg.data.dir) / "files"}) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return IoError("\"" + dir.string() + "\": " + ec.message());
  }
  if (cfg.access_log != "-") {
    log_file = std::fopen(cfg.access_log.c_str(), "a");
    if (!log_file) {
      const int err = errno;
      log_file = stdout;
      const std::string what = "--access-log \"" + cfg.access_log + "\" cannot be opened: " +
                               std::strerror(err);
      // A missing directory is the operator's to fix (bad input); anything else is I/O.
      return err == ENOENT || err == ENOTDIR ? BadInput(what) : IoError(what);
    }
  }
  sink = std::make_unique<AccessLogFile>(log_file, cfg.log_format == "json");
  return Ok{};
}

Status Server::Impl::MakeProvisioner() {
  PhoneProbeOptions popt;
  popt.allow = cfg.probe_phones == "off"   ? PhoneProbeOptions::Allow::kOff
               : cfg.probe_phones == "all" ? PhoneProbeOptions::Allow::kAll
                                           : PhoneProbeOptions::Allow::kPrivate;
  popt.port = cfg.probe_port;
  prober = std::make_unique<PhoneProber>(ioc, popt);
  ProvisionerConfig pc;
  if (popt.allow != PhoneProbeOptions::Allow::kOff) {
    pc.probe_phone = [p = prober.get()](const std::string& ip,
                                        std::function<void(std::optional<std::string>)> done) {
      p->Probe(ip, std::move(done));
    };
    pc.resync_phone = [p = prober.get()](const std::string& ip, const std::string& password,
                                         std::function<void(bool)> done) {
      p->Resync(ip, password, std::move(done));
    };
  }
  pc.learn_after_ms = int64_t{cfg.learn_after} * 1000;
  auto probe = ParseProbeLimits(cfg.probe_limit);
  if (!probe.ok) return BadInput(probe.error);
  pc.probe_limits = probe.limits;
  pc.tftp_secrets = TftpSecretsOf(cfg.tftp_secrets);
  pc.catalog = &ws.catalog;
  pc.renderer = &ws.renderer;
  metered = std::make_unique<MeteredInventory>(*ws.inventory, metrics);
  pc.inventory = metered.get();
  // Several nodes on one PostgreSQL fleet: the working state between a phone's requests and
  // the download cap live in the database (app/shared_state.h).
  auto opened = OpenSharedState(cfg.data.db);
  if (!opened) return opened.error();
  shared = std::move(opened).value();
  pc.shared = shared.get();
  pc.firmware = DirFileStore(firmware_dir, FileChecks(ws.catalog));  // wrong size/hash: not offered
  pc.extras = DirFileStore((fs::path(cfg.data.dir) / "files").string());
  pc.stuck_after = cfg.stuck_after;
  pc.max_downloads = cfg.max_downloads;
  pc.defaults = ws.defaults;
  pc.auto_enroll = cfg.auto_enroll;
  pc.bench_group = cfg.bench;
  if (!cfg.bench.empty()) {  // the bench's group, made if it is not there yet
    if (auto s = CheckGroupName(cfg.bench); !s) return BadInput("--bench: " + s.error().message);
    auto groups = ws.inventory->Groups();
    if (!groups) return groups.error();
    bool have = false;
    for (const auto& g : *groups) have = have || g.name == cfg.bench;
    if (!have) {
      RolloutGroup g;
      g.name = cfg.bench;
      g.created = g.updated = std::time(nullptr);
      if (auto s = ws.inventory->PutGroup(g); !s) return s.error();
    }
  }
  pc.base_url = BaseUrl(cfg.public_url, host, http_at.second);
  if (!cfg.tls_ca.empty()) {
    if (!https_at) return BadInput("--tls-ca needs --https ADDR:PORT");
    std::error_code ec;
    if (!fs::is_regular_file(cfg.tls_ca, ec))
      return BadInput("--tls-ca \"" + cfg.tls_ca + "\" is not a file");
    pc.ca_file = fs::absolute(cfg.tls_ca, ec).string();
  }
  prov = std::make_unique<Provisioner>(std::move(pc));
  AdminConfig ac;
  ac.inventory = ws.inventory.get();
  ac.catalog = &ws.catalog;
  ac.provisioner = prov.get();
  ac.metrics = &metrics;
  ac.defaults = ws.defaults;
  ac.token = cfg.admin_token;
  ac.limits = probe.limits;
  admin_api = std::make_unique<AdminApi>(std::move(ac));
  return Ok{};
}

Status Server::Check(const ServerConfig& config) {
  Impl m;
  m.cfg = config;
  if (auto s = m.ParseAddresses(); !s) return s;
  std::error_code ec;
  for (const auto& [flag, file] : {std::pair{"--tls-cert", config.tls.cert_file},
                                   {"--tls-key", config.tls.key_file},
                                   {"--client-ca", config.tls.client_ca}}) {
    if (!file.empty() && !fs::is_regular_file(file, ec))
      return BadInput(std::string(flag) + " \"" + file + "\" is not a file");
  }
  if (auto s = m.MakeTls(); !s) return s;
  if (auto p = ParseProbeLimits(config.probe_limit); !p.ok) return BadInput(p.error);
  if (!config.bench.empty()) {
    if (auto s = CheckGroupName(config.bench); !s) return BadInput("--bench: " + s.error().message);
  }
  if (!config.tls_ca.empty() && !fs::is_regular_file(config.tls_ca, ec))
    return BadInput("--tls-ca \"" + config.tls_ca + "\" is not a file");
  if (auto c = OpenCatalogFor(config.data, config.catalog); !c) return c.error();
  if (auto t = OpenTemplates(config.data); !t) return t.error();
  if (auto d = OpenDefaults(config.data); !d) return d.error();
  return Ok{};
}

namespace {

// Settings a reload cannot change (they shape listeners, files and threads), by flag.
std::vector<std::string> NeedRestart(const ServerConfig& a, const ServerConfig& b) {
  auto tls = [](const ServerConfig& c) {
    return c.tls.cert_file + "\n" + c.tls.key_file + "\n" + c.tls.client_ca + "\n" +
           std::to_string(c.tls.require_client_cert) + std::to_string(c.tls.legacy);
  };
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& x : v) out += x + "\n";
    return out;
  };
  const std::pair<const char*, std::pair<std::string, std::string>> fields[] = {
      {"data", {a.data.dir, b.data.dir}},
      {"db", {a.data.db, b.data.db}},
      {"http", {a.http, b.http}},
      {"tftp", {a.tftp, b.tftp}},
      {"https", {a.https, b.https}},
      {"tls-cert/tls-key/client-ca/require-client-cert/tls-legacy", {tls(a), tls(b)}},
      {"admin", {a.admin, b.admin}},
      {"admin-token", {a.admin_token, b.admin_token}},
      {"public-https-url", {a.public_https_url, b.public_https_url}},
      {"tls-ca", {a.tls_ca, b.tls_ca}},
      {"syslog", {a.syslog, b.syslog}},
      {"public-url", {a.public_url, b.public_url}},
      {"access-log", {a.access_log, b.access_log}},
      {"log-format", {a.log_format, b.log_format}},
      {"bench", {a.bench, b.bench}},
      {"tftp-rate", {std::to_string(a.tftp_rate), std::to_string(b.tftp_rate)}},
      {"tftp-transfers", {std::to_string(a.tftp_transfers), std::to_string(b.tftp_transfers)}},
      {"tftp-limit", {join(a.tftp_limits), join(b.tftp_limits)}},
      {"tftp-upload-dir", {a.tftp_upload_dir, b.tftp_upload_dir}},
      {"probe-limit", {a.probe_limit, b.probe_limit}},
      {"probe-phones", {a.probe_phones, b.probe_phones}},
      {"probe-port", {std::to_string(a.probe_port), std::to_string(b.probe_port)}},
      {"trusted-proxy", {join(a.trusted_proxies), join(b.trusted_proxies)}},
      {"accel-redirect", {a.accel_redirect, b.accel_redirect}},
      {"threads", {std::to_string(a.threads), std::to_string(b.threads)}},
      {"max-downloads", {std::to_string(a.max_downloads), std::to_string(b.max_downloads)}},
      {"read-timeout", {std::to_string(a.read_timeout), std::to_string(b.read_timeout)}},
      {"drain-seconds", {std::to_string(a.drain_seconds), std::to_string(b.drain_seconds)}},
      {"firmware", {a.firmware, b.firmware}},
  };
  std::vector<std::string> out;
  for (const auto& [name, values] : fields) {
    if (values.first != values.second) out.push_back(name);
  }
  return out;
}

}  // namespace

Result<std::vector<std::string>> Server::Reload(const ServerConfig& next) {
  Impl& m = *impl_;
  std::lock_guard lock(m.reload_mu);
  auto catalog = OpenCatalogFor(next.data, next.catalog);
  if (!catalog) return catalog.error();
  auto renderer = OpenTemplates(next.data);
  if (!renderer) return renderer.error();
  auto defaults = OpenDefaults(next.data);
  if (!defaults) return defaults.error();
  if (next.tftp_secrets != "followed" && next.tftp_secrets != "off" && next.tftp_secrets != "any")
    return BadInput("--tftp-secrets \"" + next.tftp_secrets + "\": followed, off or any");
  auto cat = std::make_unique<Catalog>(std::move(catalog).value());
  auto ren = std::make_unique<Renderer>(std::move(renderer).value());
  std::vector<std::string> changes;
  changes.push_back("catalog: " + std::to_string(cat->loads.size()) + " loads (was " +
                    std::to_string(m.prov->catalog().loads.size()) + ")");
  Provisioner::Knowledge k;
  k.catalog = cat.get();
  k.renderer = ren.get();
  k.defaults = *defaults;
  k.firmware = DirFileStore(m.firmware_dir, FileChecks(*cat));
  k.stuck_after = next.stuck_after;
  k.learn_after_ms = int64_t{next.learn_after} * 1000;
  k.auto_enroll = next.auto_enroll;
  k.tftp_secrets = TftpSecretsOf(next.tftp_secrets);
  auto changed = [&](const char* name, const std::string& was, const std::string& now) {
    if (was != now) changes.push_back(std::string(name) + ": " + was + " -> " + now);
  };
  changed("stuck-after", std::to_string(m.cfg.stuck_after), std::to_string(next.stuck_after));
  changed("learn-after", std::to_string(m.cfg.learn_after), std::to_string(next.learn_after));
  changed("tftp-secrets", m.cfg.tftp_secrets, next.tftp_secrets);
  std::string was, now;
  for (const auto& p : m.cfg.auto_enroll) was += (was.empty() ? "" : ",") + p;
  for (const auto& p : next.auto_enroll) now += (now.empty() ? "" : ",") + p;
  changed("auto-enroll", was.empty() ? "none" : was, now.empty() ? "none" : now);
  m.prov->Reload(std::move(k));
  m.catalogs.push_back(std::move(cat));
  m.renderers.push_back(std::move(ren));
  for (const auto& name : NeedRestart(m.cfg, next))
    changes.push_back(name + ": changed; takes effect at the next start, not on reload");
  m.cfg.catalog = next.catalog;
  m.cfg.stuck_after = next.stuck_after;
  m.cfg.learn_after = next.learn_after;
  m.cfg.tftp_secrets = next.tftp_secrets;
  m.cfg.auto_enroll = next.auto_enroll;
  return changes;
}

Result<std::unique_ptr<Server>> Server::Open(ServerConfig config) {
  auto impl = std::make_unique<Impl>();
  impl->cfg = std::move(config);
  auto opened = OpenWorkspace(impl->cfg.data, impl->cfg.catalog);
  if (!opened) return opened.error();
  impl->ws = std::move(opened).value();
  if (impl->cfg.wrap_inventory)
    impl->ws.inventory = impl->cfg.wrap_inventory(std::move(impl->ws.inventory));
  if (auto s = impl->ParseAddresses(); !s) return s.error();
  if (auto s = impl->MakeTls(); !s) return s.error();
  if (auto s = impl->OpenFiles(); !s) return s.error();
  if (auto s = impl->MakeProvisioner(); !s) return s.error();
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { Stop(); }

Status Server::Impl::StartTftp(rlim_t files) {
  TftpServerOptions topt;
  topt.metrics = &metrics;
  topt.address = tftp_at->first;
  topt.port = tftp_at->second;
  topt.limits = tftp_limits;
  // Half the descriptors at most, the rest for HTTP connections and files.
  if (files / 2 < topt.max_transfers) topt.max_transfers = static_cast<uint32_t>(files / 2);
  topt.upload.dir = cfg.tftp_upload_dir;
  topt.images = std::make_shared<ImageCache>();
  tftp = std::make_unique<TftpServer>(ioc, *prov, topt, Log());
  return tftp->Start();
}

Status Server::Start() {
  Impl& m = *impl_;
  // A client that goes away in the middle of a file sent with sendfile(2) must cost the
  // server that connection (EPIPE), not its life (SIGPIPE's default action).
  std::signal(SIGPIPE, SIG_IGN);
  const rlim_t files = RaiseFileLimit();
  HttpOptions hopt;
  hopt.metrics = &m.metrics;
  hopt.address = m.http_at.first;
  hopt.port = m.http_at.second;
  hopt.read_timeout_s = m.cfg.read_timeout;
  hopt.trusted_proxies = m.trusted_proxies;
  hopt.accel_redirect = m.cfg.accel_redirect;
  // contract.md: the admin routes are on the HTTP listener when it is bound to loopback.
  if (IsLoopbackAddress(m.http_at.first)) hopt.admin = m.admin_api.get();
  m.http = std::make_unique<HttpServer>(m.ioc, *m.prov, hopt, m.Log());
  if (auto s = m.http->Start(); !s) return s;
  // The port is known only now (port 0); no request is handled before the threads run.
  m.prov->SetBaseUrl(BaseUrl(m.cfg.public_url, m.host, m.http->port()));
  if (m.https_at) {
    if (auto s = m.StartHttps(); !s) return s;
    std::string https_url = BaseUrl(m.cfg.public_https_url, UrlHost(m.https_at->first), m.https->port());
    if (m.cfg.public_https_url.empty()) https_url.replace(0, 4, "https");  // BaseUrl says http
    m.prov->SetHttpsBaseUrl(https_url);
  }
  if (m.admin_at) {
    if (auto s = m.StartAdmin(); !s) return s;
  }
  if (m.tftp_at) {
    if (auto s = m.StartTftp(files); !s) return s;
  }
  if (m.syslog_at) {
    m.syslog = std::make_unique<SyslogReceiver>(m.ioc, *m.prov);
    if (auto s = m.syslog->Start(m.syslog_at->first, m.syslog_at->second); !s) return s;
  }
  m.StartHousekeeping();
  m.work.emplace(m.ioc.get_executor());
  const int n = m.cfg.threads > 0
                    ? m.cfg.threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 0; i < n; ++i) m.pool.emplace_back([&ioc = m.ioc] { ioc.run(); });
  m.running = true;
  return Ok{};
}

// Housekeeping off the threads that answer phones: new firmware is picked up within a
// second (the access log writes itself from its own thread).
void Server::Impl::StartHousekeeping() {
  housekeeper = std::thread([this] {
    std::unique_lock lock(house_mu);
    while (!house_cv.wait_for(lock, std::chrono::seconds(1), [this] { return house_stop; })) {
      lock.unlock();
      prov->RescanFirmware();
      prov->Sweep();
      lock.lock();
    }
  });
}

void Server::Impl::StopHousekeeping() {
  {
    std::lock_guard lock(house_mu);
    house_stop = true;
  }
  house_cv.notify_all();
  if (housekeeper.joinable()) housekeeper.join();
}

void Server::Drain() { DrainFor(std::chrono::seconds(impl_->cfg.drain_seconds)); }

void Server::Stop() { DrainFor(std::chrono::milliseconds(0)); }

void Server::DrainFor(std::chrono::milliseconds wait) {
  Impl& m = *impl_;
  if (m.http) m.http->Stop();
  if (m.https) m.https->Stop();
  if (m.admin) m.admin->Stop();
  if (m.tftp) m.tftp->Stop();
  if (m.syslog) m.syslog->Stop();
  m.StopHousekeeping();
  if (m.running) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (active() > 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    m.work.reset();
    m.ioc.stop();
    for (auto& t : m.pool) t.join();
    m.pool.clear();
    m.running = false;
  }
  if (m.sink) m.sink.reset();  // writes what is buffered
  if (m.ws.inventory) (void)m.ws.inventory->Flush();
  if (m.log_file != stdout) std::fclose(m.log_file);
  m.log_file = stdout;
}

uint16_t Server::http_port() const { return impl_->http ? impl_->http->port() : 0; }
uint16_t Server::tftp_port() const { return impl_->tftp ? impl_->tftp->port() : 0; }
uint16_t Server::https_port() const { return impl_->https ? impl_->https->port() : 0; }
uint16_t Server::admin_port() const { return impl_->admin ? impl_->admin->port() : 0; }
std::string Server::base_url() const {
  return BaseUrl(impl_->cfg.public_url, impl_->host, http_port());
}
size_t Server::active() const {
  size_t n = impl_->tftp ? impl_->tftp->active() : 0;
  for (const auto* h : {impl_->http.get(), impl_->https.get(), impl_->admin.get()}) {
    if (h) n += h->active();
  }
  return n;
}
Inventory& Server::inventory() { return *impl_->ws.inventory; }
Provisioner& Server::provisioner() { return *impl_->prov; }

std::string Server::Describe() const {
  const Impl& m = *impl_;
  auto devices = m.ws.inventory->List();
  std::string line = "serving http://" + m.host + ":" + std::to_string(http_port()) +
                     " (profiles point at " + base_url() + "); data " + m.cfg.data.dir + ", " +
                     std::to_string(devices ? devices->size() : 0) + " devices, firmware " +
                     m.firmware_dir + ", catalog of " + std::to_string(m.prov->catalog().loads.size()) +
                     " loads";
  if (m.syslog_at) line += ", syslog on " + m.cfg.syslog;
  if (m.https) {
    line += "; https " + UrlHost(m.https_at->first) + ":" + std::to_string(https_port());
    if (!m.cfg.tls.client_ca.empty())
      line += m.cfg.tls.require_client_cert ? " (client certificates required)"
                                            : " (client certificates verified)";
    if (m.cfg.tls.legacy)
      line += " WITH LEGACY TLS (1.0/1.1, old cipher suites, SHA-1: --tls-legacy, for old "
              "SPA/PAP firmware only)";
  }
  if (m.admin) {
    line += "; admin http://" + UrlHost(m.admin_at->first) + ":" + std::to_string(admin_port()) +
            (m.cfg.admin_token.empty() ? " (no token: loopback only)" : " (token required)");
  } else if (IsLoopbackAddress(m.http_at.first)) {
    line += "; admin API on the HTTP listener" +
            std::string(m.cfg.admin_token.empty() ? "" : " (token required)");
  }
  if (m.tftp) {
    const std::string& a = m.tftp_at->first;
    line += "; tftp " + (a.find(':') != std::string::npos ? "[" + a + "]" : a) + ":" +
            std::to_string(tftp_port());
  }
  return line;
}

}  // namespace stepup
