// stepup serve [--data DIR] [--http ADDR:PORT] [--firmware DIR] [--catalog FILE] [--public-url URL]
//              [--threads N] [--stuck-after N] [--auto-enroll MODEL-PATTERN] [--syslog ADDR:PORT]
//              [--tftp-secrets followed|off|any] [--probe-limit SLOW,REFUSE,MINUTES|off]
#include <sys/resource.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "app/provisioner.h"
#include "cli/cli.h"
#include "net/http_server.h"
#include "net/phone_probe.h"
#include "net/tftp_server.h"
#include "net/transport_sockets.h"
#include "store/access_log_file.h"

namespace stepup::cli {
namespace {

namespace net = boost::asio;
namespace fs = std::filesystem;

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

struct ServeOptions {
  DataOptions data;
  std::string catalog, http = "127.0.0.1:8069", tftp = "127.0.0.1:6969", firmware, public_url,
                       syslog, access_log = "-";
  std::vector<std::string> auto_enroll;
  uint32_t tftp_rate = SourceLimit{}.rate, tftp_transfers = SourceLimit{}.transfers;
  std::vector<std::string> tftp_limits;
  std::string tftp_upload_dir;
  std::string tftp_secrets = "followed", probe_limit = "20,200,10", probe_phones = "private";
  uint16_t probe_port = 80;
  int learn_after = 30;
  int threads = 0, stuck_after = 3, read_timeout = 10, drain_seconds = 10;
};

// Phones' syslog lines (Log_Upgrade_Failure_Msg and the like) attached to their history.
class SyslogReceiver {
 public:
  SyslogReceiver(net::io_context& ioc, Provisioner& prov) : socket_(ioc), prov_(prov) {}
  Status Start(const std::string& address, uint16_t port) {
    if (auto s = OpenUdpListener(socket_, "--syslog", address, port); !s) return s;
    Receive();
    return Ok{};
  }
  void Stop() {
    boost::system::error_code ec;
    socket_.close(ec);
  }

 private:
  void Receive() {
    socket_.async_receive_from(net::buffer(buf_), from_,
                               [this](boost::system::error_code ec, size_t n) {
                                 if (ec) return;
                                 std::string msg(buf_.data(), n);
                                 if (!msg.empty() && msg[0] == '<')
                                   msg.erase(0, msg.find('>') + 1);  // <PRI>
                                 prov_.Evidence(from_.address().to_string(), msg);
                                 Receive();
                               });
  }
  net::ip::udp::socket socket_;
  net::ip::udp::endpoint from_;
  std::array<char, 2048> buf_{};
  Provisioner& prov_;
};

int RunServe(const ServeOptions& o) {
  // A client that goes away in the middle of a file sent with sendfile(2) must cost the
  // server that connection (EPIPE), not its life (SIGPIPE's default action).
  std::signal(SIGPIPE, SIG_IGN);
  auto opened = OpenWorkspace(o.data, o.catalog);
  if (!opened) return Fail(opened.error());
  Workspace& ws = opened.value();
  auto http = ParseListenAddress("--http", o.http);
  if (!http) return Fail(http.error());
  std::optional<std::pair<std::string, uint16_t>> syslog;
  if (!o.syslog.empty()) {
    auto s = ParseListenAddress("--syslog", o.syslog);
    if (!s) return Fail(s.error());
    syslog = *s;
  }
  std::optional<std::pair<std::string, uint16_t>> tftp;
  if (!o.tftp.empty() && o.tftp != "off") {
    auto t = ParseListenAddress("--tftp", o.tftp);
    if (!t) return Fail(t.error());
    tftp = *t;
  }
  std::string firmware =
      o.firmware.empty() ? (fs::path(o.data.dir) / "firmware").string() : o.firmware;
  for (const fs::path& dir : {fs::path(firmware), fs::path(o.data.dir) / "files"}) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return Fail(IoError("\"" + dir.string() + "\": " + ec.message()));
  }
  FILE* log_file = stdout;
  if (o.access_log != "-") {
    log_file = std::fopen(o.access_log.c_str(), "a");
    if (!log_file) return Fail(FileError("--access-log \"" + o.access_log + "\" cannot be opened"));
  }
  auto sink = std::make_unique<AccessLogFile>(log_file);

  net::io_context ioc;
  PhoneProbeOptions popt;
  popt.allow = o.probe_phones == "off"   ? PhoneProbeOptions::Allow::kOff
               : o.probe_phones == "all" ? PhoneProbeOptions::Allow::kAll
                                         : PhoneProbeOptions::Allow::kPrivate;
  popt.port = o.probe_port;
  PhoneProber prober(ioc, popt);
  ProvisionerConfig cfg;
  if (popt.allow != PhoneProbeOptions::Allow::kOff) {
    cfg.probe_phone = [&prober](const std::string& ip,
                                std::function<void(std::optional<std::string>)> done) {
      prober.Probe(ip, std::move(done));
    };
  }
  cfg.learn_after_ms = int64_t{o.learn_after} * 1000;
  auto probe = ParseProbeLimits(o.probe_limit);
  if (!probe.ok) return Fail(BadInput(probe.error));
  cfg.probe_limits = probe.limits;
  cfg.tftp_secrets = o.tftp_secrets == "off"   ? TftpSecrets::kOff
                     : o.tftp_secrets == "any" ? TftpSecrets::kAny
                                               : TftpSecrets::kFollowed;
  cfg.catalog = &ws.catalog;
  cfg.renderer = &ws.renderer;
  cfg.inventory = ws.inventory.get();
  cfg.firmware = FileStore(firmware);
  cfg.firmware.SetChecks(FileChecks(ws.catalog));  // wrong-size/hash images are not offered
  cfg.extras = FileStore((fs::path(o.data.dir) / "files").string());
  cfg.stuck_after = o.stuck_after;
  cfg.defaults = ws.defaults;
  cfg.auto_enroll = o.auto_enroll;
  std::string host =
      http->first.find(':') != std::string::npos ? "[" + http->first + "]" : http->first;
  if (host == "0.0.0.0" || host == "[::]") host = "127.0.0.1";
  cfg.base_url =
      o.public_url.empty() ? "http://" + host + ":" + std::to_string(http->second) : o.public_url;
  while (!cfg.base_url.empty() && cfg.base_url.back() == '/') cfg.base_url.pop_back();
  Provisioner prov(std::move(cfg));

  const rlim_t files = RaiseFileLimit();
  HttpOptions hopt;
  hopt.address = http->first;
  hopt.port = http->second;
  hopt.read_timeout_s = o.read_timeout;
  HttpServer server(ioc, prov, hopt, [&sink](const std::string& line) { sink->Write(line); });
  if (auto s = server.Start(); !s) return Fail(s.error());
  std::string base_url =
      o.public_url.empty() ? "http://" + host + ":" + std::to_string(server.port()) : o.public_url;
  while (!base_url.empty() && base_url.back() == '/') base_url.pop_back();
  prov.SetBaseUrl(base_url);  // no request is handled before ioc.run()
  std::unique_ptr<TftpServer> tftp_server;
  if (tftp) {
    TftpServerOptions topt;
    topt.address = tftp->first;
    topt.port = tftp->second;
    topt.limits = SourceLimits({o.tftp_transfers, o.tftp_rate});
    for (const std::string& rule : o.tftp_limits) {
      if (auto s = topt.limits.Add(rule); !s) return Fail(s.error());
    }
    // Half the descriptors at most, the rest for HTTP connections and files.
    if (files / 2 < topt.max_transfers) topt.max_transfers = static_cast<uint32_t>(files / 2);
    topt.upload.dir = o.tftp_upload_dir;
    tftp_server = std::make_unique<TftpServer>(
        ioc, prov, topt, [&sink](const std::string& line) { sink->Write(line); });
    if (auto s = tftp_server->Start(); !s) return Fail(s.error());
  }
  std::unique_ptr<SyslogReceiver> syslog_rx;
  if (syslog) {
    syslog_rx = std::make_unique<SyslogReceiver>(ioc, prov);
    if (auto s = syslog_rx->Start(syslog->first, syslog->second); !s) return Fail(s.error());
  }
  auto devices = ws.inventory->List();
  std::cerr << "stepup: serving http://" << host << ":" << server.port() << " (profiles point at "
            << base_url << "); data " << o.data.dir << ", " << (devices ? devices->size() : 0)
            << " devices, firmware " << firmware << ", catalog of " << ws.catalog.loads.size()
            << " loads" << (syslog ? ", syslog on " + o.syslog : "")
            << (tftp_server ? "; tftp " + tftp->first + ":" + std::to_string(tftp_server->port())
                            : std::string())
            << "\n";

  // Housekeeping off the threads that answer phones: new firmware is picked up within a
  // second (the access log writes itself from its own thread).
  std::mutex house_mu;
  std::condition_variable house_cv;
  bool house_stop = false;
  std::thread housekeeper([&] {
    std::unique_lock lock(house_mu);
    while (!house_cv.wait_for(lock, std::chrono::seconds(1), [&] { return house_stop; })) {
      lock.unlock();
      prov.RescanFirmware();
      prov.Sweep();
      lock.lock();
    }
  });
  auto stop_housekeeping = [&] {
    {
      std::lock_guard lock(house_mu);
      house_stop = true;
    }
    house_cv.notify_all();
  };

  net::signal_set signals(ioc, SIGINT, SIGTERM);
  net::steady_timer drain(ioc);
  auto deadline = std::chrono::steady_clock::now();
  std::function<void()> wait_drain = [&] {
    const size_t open = server.active() + (tftp_server ? tftp_server->active() : 0);
    if (open == 0 || std::chrono::steady_clock::now() >= deadline) {
      ioc.stop();
      return;
    }
    drain.expires_after(std::chrono::milliseconds(20));
    drain.async_wait([&](boost::system::error_code) { wait_drain(); });
  };
  signals.async_wait([&](boost::system::error_code e, int sig) {
    if (e) return;
    std::cerr << "stepup: " << (sig == SIGINT ? "SIGINT" : "SIGTERM") << ": draining "
              << server.active() << " connection(s)\n";
    server.Stop();
    if (tftp_server) tftp_server->Stop();
    if (syslog_rx) syslog_rx->Stop();
    stop_housekeeping();
    deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o.drain_seconds);
    wait_drain();
  });

  int n = o.threads > 0 ? o.threads
                        : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (int i = 1; i < n; ++i) pool.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  stop_housekeeping();
  housekeeper.join();
  sink.reset();  // writes what is buffered
  (void)ws.inventory->Flush();
  if (log_file != stdout) std::fclose(log_file);
  std::cerr << "stepup: stopped\n";
  return kExitOk;
}

}  // namespace

void AddServeCommand(CLI::App& app, Action& action) {
  auto o = std::make_shared<ServeOptions>();
  auto* cmd = app.add_subcommand("serve", "Run the provisioning server until SIGINT/SIGTERM");
  cmd->add_option("--data", o->data.dir, "data directory (default ./stepup-data)");
  cmd->add_option("--db", o->data.db, "inventory: sqlite:PATH (default DATA/stepup.db)");
  cmd->add_option("--http", o->http, "HTTP listener ADDR:PORT, [::]:PORT accepted")
      ->capture_default_str();
  cmd->add_option("--tftp", o->tftp, "TFTP listener ADDR:PORT, or 'off'")->capture_default_str();
  cmd->add_option("--tftp-upload-dir", o->tftp_upload_dir,
                  "accept TFTP uploads (WRQ) into DIR (default: uploads refused)")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--tftp-rate", o->tftp_rate,
                  "TFTP requests a second from one address (in bursts of as many); more wait "
                  "their turn (held up to 5 s, not refused)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--tftp-secrets", o->tftp_secrets,
                  "profiles with secrets over TFTP: 'followed' (only to a phone whose boot, its "
                  "CTLSEP/ITLSEP requests, came from the same address), 'off', or 'any' (unsafe)")
      ->capture_default_str()
      ->check(CLI::IsMember({"followed", "off", "any"}));
  cmd->add_option("--probe-limit", o->probe_limit,
                  "SLOW,REFUSE,MINUTES: requests from one address naming unknown devices or "
                  "failing the identity check answered at once, then slowed, then after REFUSE "
                  "in MINUTES every request from it refused for MINUTES; or 'off'")
      ->capture_default_str();
  cmd->add_option("--probe-phones", o->probe_phones,
                  "read an enterprise phone's own web page (http://PHONE/DeviceInformationX) "
                  "when nobody recorded what it runs: 'private' (loopback and private "
                  "addresses only), 'all', or 'off'")
      ->capture_default_str()
      ->check(CLI::IsMember({"private", "all", "off"}));
  cmd->add_option("--probe-port", o->probe_port, "port of the phones' web pages")
      ->capture_default_str();
  cmd->add_option("--learn-after", o->learn_after,
                  "seconds after which an offer a phone of unknown firmware fetched nothing of "
                  "means it already runs that load")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  cmd->add_option("--tftp-transfers", o->tftp_transfers,
                  "concurrent TFTP transfers from one address (a NAT'd site is one address); "
                  "more wait their turn")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--tftp-limit", o->tftp_limits,
                  "per network: NET/BITS=TRANSFERS,RATE replaces --tftp-transfers and "
                  "--tftp-rate for addresses in NET (most specific wins; repeatable), e.g. "
                  "10.0.0.0/8=4000,2000 or 192.0.2.7/32=20,10")
      ->allow_extra_args(false);
  cmd->add_option("--firmware", o->firmware, "firmware directory (default DATA/firmware)");
  cmd->add_option("--catalog", o->catalog, "catalog TOML file or directory (default: bundled)");
  cmd->add_option("--public-url", o->public_url,
                  "base URL written into profiles (NAT, load balancer)");
  cmd->add_option("--threads", o->threads, "worker threads (default: cores)");
  cmd->add_option("--stuck-after", o->stuck_after,
                  "offers of one hop without progress before 'stuck'")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  cmd->add_option("--auto-enroll", o->auto_enroll,
                  "admit unknown devices of models matching PATTERN to quarantine");
  cmd->add_option("--syslog", o->syslog, "receive phones' syslog on ADDR:PORT (UDP) as evidence");
  cmd->add_option("--access-log", o->access_log, "access log file, '-' for stdout")
      ->capture_default_str();
  cmd->add_option("--read-timeout", o->read_timeout, "seconds a request may take to arrive")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  cmd->add_option("--drain-seconds", o->drain_seconds, "how long a stop waits for open connections")
      ->capture_default_str();
  cmd->callback([&action, o] { action = [o] { return RunServe(*o); }; });
}

}  // namespace stepup::cli
