// The server, assembled in one place from one ServerConfig: the workspace (catalog,
// templates, inventory, operator defaults), the firmware and extras directories, the
// provisioner, the HTTP and TFTP listeners, the syslog receiver, the phone prober, the
// housekeeping sweep and the access log, with the durability wiring between them. `stepup
// serve` parses its flags into a ServerConfig and runs one; tests start one in-process the
// same way (port 0 binds an ephemeral port; the ports bound are exposed).
//
// Lifecycle: Open (validate, open everything, bind nothing) → Start (bind, run threads) →
// Drain or Stop (stop accepting, let open connections and transfers finish, join threads,
// write what is buffered). Open, Start, Drain and Stop are called from one thread; the
// accessors are safe from any thread once Start returned.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/inventory.h"
#include "app/provisioner.h"
#include "core/result.h"
#include "net/source_limits.h"
#include "net/tls_context.h"
#include "server/workspace.h"

namespace stepup {

// Every `stepup serve` flag, by the flag's name (contract.md; `stepup serve --help`).
struct ServerConfig {
  DataOptions data;                     // --data, --db
  std::string catalog;                  // --catalog ("" : bundled)
  std::string firmware;                 // --firmware ("" : DATA/firmware)
  std::string http = "127.0.0.1:8069";  // --http ADDR:PORT (port 0: any free port)
  std::string tftp = "127.0.0.1:6969";  // --tftp ADDR:PORT, "" or "off": no TFTP
  std::string https;                    // --https ADDR:PORT, "" : no HTTPS (port 0: any free)
  TlsOptions tls;  // --tls-cert, --tls-key, --client-ca, --require-client-cert, --tls-legacy
  // --admin ADDR:PORT: a listener for the admin routes only, "" : none (the admin routes are on
  // the HTTP listener when that is loopback). Not loopback: needs a token.
  std::string admin;
  std::string public_https_url;  // --public-https-url ("" : the HTTPS listener's URL)
  // --tls-ca FILE: the CA certificate phones install to verify the server (served at
  // /ca.pem over HTTP, named in their Custom_CA_Rule); "" : the server's certificate chains
  // to a CA the phones already trust.
  std::string tls_ca;
  std::string admin_token;  // --admin-token (or STEPUP_ADMIN_TOKEN): Bearer token for /api/v1
  std::string syslog;                   // --syslog ADDR:PORT, "" : none
  std::string public_url;               // --public-url ("" : the HTTP listener's URL)
  std::string access_log = "-";         // --access-log FILE, "-" : stdout
  std::vector<std::string> auto_enroll;
  // --trusted-proxy: address ranges of load balancers whose X-Real-IP / X-Forwarded-For name
  // the client (net/trusted_proxy.h).
  std::vector<std::string> trusted_proxies;
  std::string accel_redirect;  // --accel-redirect PREFIX (net/http_server.h)
  std::string log_format = "text";  // --log-format text | json (access log and server lines)
  std::string bench;  // --bench GROUP: a staging bench (ProvisionerConfig::bench_group)
  uint32_t tftp_rate = SourceLimit{}.rate, tftp_transfers = SourceLimit{}.transfers;
  std::vector<std::string> tftp_limits;   // --tftp-limit NET/BITS=TRANSFERS,RATE
  std::string tftp_upload_dir;            // "" : uploads refused
  std::string tftp_secrets = "followed";  // followed | off | any
  std::string probe_limit = "20,200,10";  // SLOW,REFUSE,MINUTES | off
  std::string probe_phones = "private";   // private | all | off
  uint16_t probe_port = 80;
  int learn_after = 30;  // seconds
  int threads = 0;       // 0 : one per core
  int stuck_after = 3;
  int max_downloads = 0;  // --max-downloads: phones fetching firmware at once (0: no cap)
  int read_timeout = 10;   // seconds
  int drain_seconds = 10;  // how long Drain waits for open connections
  // Not a flag: wraps the inventory --data opened before anything uses it (tests: one whose
  // commits are slow or lost, to show the transports wait for durability). Empty: as opened.
  std::function<std::unique_ptr<Inventory>(std::unique_ptr<Inventory>)> wrap_inventory;
};

class Server {
 public:
  // Validates the configuration and opens what it names; errors name the flag or file.
  static Result<std::unique_ptr<Server>> Open(ServerConfig config);
  ~Server();  // Stop() if still running
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Checks a configuration as Open does (addresses, TLS files, limits, catalog, templates,
  // operator defaults) without opening the inventory, creating a directory or binding
  // anything: `stepup config check`. Errors name the flag.
  static Status Check(const ServerConfig& config);
  // A reload (serve's SIGHUP): reads the catalog (with catalog.d), the templates and the
  // operator defaults again and takes `next`'s settings that can change while serving
  // (catalog, stuck-after, learn-after, auto-enroll, tftp-secrets). Requests under way,
  // keep-alive connections and TFTP transfers go on undisturbed; the next requests see the
  // new knowledge. Returns one line per change, naming the changed settings that wait for a
  // restart (listeners, data, TLS, threads, ...). On error nothing changes.
  Result<std::vector<std::string>> Reload(const ServerConfig& next);

  // Binds the listeners (the error names the address), then answers on the worker threads
  // and starts the once-a-second housekeeping (firmware rescan, Provisioner::Sweep).
  Status Start();
  // Stops accepting, waits up to drain_seconds for open connections and transfers, stops
  // the threads and writes what is buffered (access log, batched events). Idempotent.
  void Drain();
  // Drain without waiting for open connections.
  void Stop();

  uint16_t http_port() const;
  uint16_t tftp_port() const;  // 0 without TFTP
  uint16_t https_port() const;  // 0 without HTTPS
  uint16_t admin_port() const;  // 0 without --admin
  // The base URL written into profiles (--public-url, else the HTTP listener's).
  std::string base_url() const;
  // Open HTTP connections and TFTP transfers.
  size_t active() const;
  // One line for the operator: where it serves, what from.
  std::string Describe() const;

  Inventory& inventory();
  Provisioner& provisioner();

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  void DrainFor(std::chrono::milliseconds wait);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stepup
