// stepup serve [--data DIR] [--http ADDR:PORT] [--https ADDR:PORT --tls-cert F --tls-key F
//              [--client-ca F] [--require-client-cert] [--tls-legacy]] [--firmware DIR] [--catalog FILE] [--public-url URL]
//              [--threads N] [--stuck-after N] [--auto-enroll MODEL-PATTERN] [--syslog ADDR:PORT]
//              [--tftp-secrets followed|off|any] [--probe-limit SLOW,REFUSE,MINUTES|off]
// The flags fill a ServerConfig; the server module (server/server.h) assembles and runs it.
#include <pthread.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <ctime>
#include <thread>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "app/bench_report.h"
#include "cli/cli.h"
#include "server/server.h"

namespace stepup::cli {
namespace {

int RunServe(const ServerConfig& config) {
  // SIGINT and SIGTERM are taken by sigwait below: blocked before any thread starts, so every
  // thread the server starts inherits the mask and none is interrupted.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  auto opened = Server::Open(config);
  if (!opened) return Fail(opened.error());
  Server& server = *opened.value();
  if (auto s = server.Start(); !s) return Fail(s.error());
  std::cerr << "stepup: " << server.Describe() << "\n";
  // A bench on a terminal: its phones, redrawn every two seconds (the dashboard shows them too).
  std::atomic<bool> stop{false};
  std::thread live;
  if (!config.bench.empty() && isatty(STDERR_FILENO)) {
    live = std::thread([&] {
      while (!stop) {
        auto devices = server.inventory().List();
        if (devices)
          std::cerr << "\033[H\033[J" << BenchTable(*devices, config.bench, std::time(nullptr))
                    << std::flush;
        for (int i = 0; i < 20 && !stop; ++i)
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
  }
  int sig = 0;
  sigwait(&stop_signals, &sig);
  stop = true;
  if (live.joinable()) live.join();
  std::cerr << "stepup: " << (sig == SIGINT ? "SIGINT" : "SIGTERM") << ": draining "
            << server.active() << " connection(s)\n";
  server.Drain();
  std::cerr << "stepup: stopped\n";
  return kExitOk;
}

}  // namespace

void AddServeCommand(CLI::App& app, Action& action) {
  auto o = std::make_shared<ServerConfig>();
  auto* cmd = app.add_subcommand("serve", "Run the provisioning server until SIGINT/SIGTERM");
  cmd->add_option("--data", o->data.dir, "data directory (default ./stepup-data)");
  cmd->add_option("--db", o->data.db, "inventory: sqlite:PATH (default DATA/stepup.db)");
  cmd->add_option("--http", o->http, "HTTP listener ADDR:PORT, [::]:PORT accepted")
      ->capture_default_str();
  cmd->add_option("--tftp", o->tftp, "TFTP listener ADDR:PORT, or 'off'")->capture_default_str();
  cmd->add_option("--https", o->https, "HTTPS listener ADDR:PORT (default: none)");
  cmd->add_option("--tls-cert", o->tls.cert_file,
                  "HTTPS: PEM file, the server's certificate then its intermediates");
  cmd->add_option("--tls-key", o->tls.key_file, "HTTPS: PEM private key of --tls-cert");
  cmd->add_option("--client-ca", o->tls.client_ca,
                  "HTTPS: PEM CA certificate(s) phones' client certificates are verified "
                  "against; a verified certificate's subject identifies the phone");
  cmd->add_flag("--require-client-cert", o->tls.require_client_cert,
                "HTTPS: a request without a verified client certificate gets 403");
  cmd->add_option("--public-https-url", o->public_https_url,
                  "HTTPS base URL written into escalated phones' profiles (NAT, load balancer)");
  cmd->add_option("--tls-ca", o->tls_ca,
                  "HTTPS: the CA certificate phones install to verify the server (served at "
                  "/ca.pem, named in their Custom_CA_Rule)");
  cmd->add_option("--admin", o->admin,
                  "admin API listener ADDR:PORT (/api/v1); must be loopback unless --admin-token "
                  "is given (default: the admin API is on the HTTP listener when it is loopback)");
  cmd->add_option("--admin-token", o->admin_token,
                  "every /api/v1 route but openapi.json needs 'Authorization: Bearer TOKEN' "
                  "(default: $STEPUP_ADMIN_TOKEN)");
  cmd->add_flag("--tls-legacy", o->tls.legacy,
                "HTTPS: also TLS 1.0/1.1, old cipher suites and SHA-1 (old SPA/PAP firmware); "
                "off by default, flagged in the log");
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
  cmd->add_option("--max-downloads", o->max_downloads,
                  "phones fetching firmware at once (0: no cap); over it a phone gets its "
                  "configuration without the upgrade and is offered it at its next resync")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
  cmd->add_option("--auto-enroll", o->auto_enroll,
                  "admit unknown devices of models matching PATTERN to quarantine");
  cmd->add_option("--bench", o->bench,
                  "a staging bench: unknown phones of the --auto-enroll models (any model "
                  "without it) join rollout group GROUP, get no secrets, are walked to its "
                  "target and handed off (handoff_url / handoff_call_control); progress on "
                  "the terminal");
  cmd->add_option("--syslog", o->syslog, "receive phones' syslog on ADDR:PORT (UDP) as evidence");
  cmd->add_option("--access-log", o->access_log, "access log file, '-' for stdout")
      ->capture_default_str();
  cmd->add_option("--read-timeout", o->read_timeout, "seconds a request may take to arrive")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  cmd->add_option("--drain-seconds", o->drain_seconds, "how long a stop waits for open connections")
      ->capture_default_str();
  cmd->callback([&action, o] {
    if (o->admin_token.empty()) {
      if (const char* env = std::getenv("STEPUP_ADMIN_TOKEN")) o->admin_token = env;
    }
    action = [o] { return RunServe(*o); };
  });
}

}  // namespace stepup::cli
