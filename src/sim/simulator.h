// The phone-fleet simulator: boots every phone of a fleet against a running stepup server, as
// its family does (SPA/MPP over HTTP with their User-Agents, 79xx and enterprise 78xx/88xx over
// TFTP with their file sequence), downloads what it is told, installs an image only when the
// phone would (behaviour.h), "reboots" and asks again until nothing changes.
//
// Each phone has its own loopback address (127.1.0.1, 127.1.0.2, ...), so the server can tie
// its MAC-less requests to it as it would on a real network; or the fleet sits behind a few
// shared addresses, as a site behind a NAT (SimOptions::nat, sim_nat.h).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/catalog.h"
#include "core/result.h"
#include "sim/phone.h"
#include "sim/sim_nat.h"

namespace stepup::sim {

struct SimOptions {
  std::string http_url;     // "http://127.0.0.1:8069": where factory-fresh phones first ask
  std::string tftp;         // "127.0.0.1:6969" ("" : no TFTP; enterprise phones then fail)
  int concurrency = 1000;   // phones booting at once
  uint64_t seed = 1;        // for packet loss
  double loss = 0;          // share of TFTP datagrams lost each way (0..0.5)
  int delay_ms = 0;         // added before every request and TFTP datagram (slow link)
  int max_boots = 20;       // a phone that has not settled after this many boots has failed
  int timeout_ms = 15000;   // per HTTP request
  int tftp_timeout_ms = 250;  // TFTP retransmission timeout
  int nat = 0;              // > 0: the fleet behind this many shared addresses (sim_nat.h)
  int nat_ports = kNatPortsMax;  // outside ports per shared address, oldest-free first
  int nat_hold_ms = 30000;  // a let-go port waits this long before its next user (sim_nat.h)
  bool reuse_ports = false;  // a phone's TFTP ports start over at every boot (sim_nat.h)
  bool progress = false;    // a progress line on stderr
  std::string trace_mac;    // this phone's exchanges on stderr, with times (diagnosis)
  // Enterprise phones serve /DeviceInformationX on their own address at this port (0: none)...
  uint16_t web_port = 0;
  double web_off_share = 0;  // ...except this share of them, spread evenly over the fleet
  // > 0: a phone that settled short of its target waits up to this long from its start for
  // what brings it back (simulator.cc, Linger): SPA/MPP phones then listen on web_port for
  // the resync URL (GET /admin/resync), enterprise phones reset every 2 s.
  int linger_s = 0;
  std::string syslog;        // HOST:PORT: enterprise phones log their load there as they boot
  std::string built_in_ca;   // PEM: the CA phones trust from the factory ("" : none)
};

struct PhoneResult {
  PhoneState phone;
  // current | stuck | no-path | failed; settled: a phone given no target that stopped changing
  std::string status;
  std::string reason;
};

struct SimReport {
  std::vector<PhoneResult> phones;
  double seconds = 0;
  int64_t requests = 0;
  uint64_t bytes = 0;
};

// Runs the whole fleet. Errors only for bad options (URL, address); what happens to each
// phone, failures included, is in the report.
Result<SimReport> Simulate(const Catalog& catalog, const std::vector<PhoneSpec>& fleet,
                           const SimOptions& options);

// contract.md: {"devices": [...], "totals": {...}}.
nlohmann::json ReportJson(const SimReport& report);

}  // namespace stepup::sim
