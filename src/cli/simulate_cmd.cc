// stepup simulate --fleet FILE.csv --http URL [--tftp HOST:PORT] [--concurrency N] [--seed S]
//                 [--loss P] [--delay-ms N] [--max-boots N] [--nat N [--nat-ports P] [--nat-hold-ms T]]
//                 [--reuse-ports] [--json]
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/cli.h"
#include "sim/simulator.h"

namespace stepup::cli {
namespace {

struct SimulateOptions {
  std::string fleet, catalog, phone_ca;
  sim::SimOptions sim;
  bool json = false;
};

// Thousands of phones at once need a socket each.
void RaiseOpenFileLimit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

int RunSimulate(SimulateOptions o) {
  auto cat = OpenCatalog(o.catalog);
  if (!cat) return Fail(cat.error());
  errno = 0;
  std::ifstream in(o.fleet, std::ios::binary);
  if (!in) return Fail(FileError("--fleet: cannot read \"" + o.fleet + "\""));
  std::stringstream ss;
  ss << in.rdbuf();
  auto fleet = sim::FleetFromCsv(*cat, ss.str(), o.fleet);
  if (!fleet) return Fail(fleet.error());
  if (!o.phone_ca.empty()) {
    std::ifstream ca(o.phone_ca, std::ios::binary);
    std::stringstream text;
    text << ca.rdbuf();
    if (!ca || text.str().find("-----BEGIN CERTIFICATE-----") == std::string::npos)
      return Fail(BadInput("--phone-ca \"" + o.phone_ca + "\" holds no PEM certificate"));
    o.sim.built_in_ca = text.str();
  }
  RaiseOpenFileLimit();
  o.sim.progress = isatty(STDERR_FILENO) != 0;
  auto rep = sim::Simulate(*cat, *fleet, o.sim);
  if (!rep) return Fail(rep.error());
  nlohmann::json j = sim::ReportJson(*rep);
  if (o.json) {
    std::cout << j.dump() << "\n";
  } else {
    for (const auto& d : j["devices"]) {
      std::cout << d["mac"].get<std::string>() << " " << d["model"].get<std::string>() << ": "
                << d["start"].get<std::string>();
      for (const auto& h : d["hops"]) std::cout << " -> " << h["load"].get<std::string>();
      std::cout << "  [" << d["status"].get<std::string>() << "]";
      if (!d["reason"].get<std::string>().empty())
        std::cout << " " << d["reason"].get<std::string>();
      std::cout << "\n";
    }
    const auto& t = j["totals"];
    std::cout << "phones " << t["phones"] << ", " << t["seconds"].get<double>() << " s, "
              << t["requests"] << " requests, " << t["bytes"] << " bytes, " << t["by_status"].dump()
              << "\n";
  }
  for (const auto& r : rep->phones) {
    if (r.status != "current") return kExitNegative;
  }
  return kExitOk;
}

}  // namespace

void AddSimulateCommand(CLI::App& app, Action& action) {
  auto o = std::make_shared<SimulateOptions>();
  auto* cmd = app.add_subcommand("simulate", "Boot a fleet of simulated phones against a server");
  cmd->add_option("--fleet", o->fleet,
                  "CSV: mac,model,firmware,protocol[,serial,hardware,keys,target]")
      ->required();
  cmd->add_option("--http", o->sim.http_url, "Server base URL, e.g. http://127.0.0.1:8069")
      ->required();
  cmd->add_option("--tftp", o->sim.tftp, "TFTP server HOST:PORT (79xx and enterprise phones)");
  cmd->add_option("--concurrency", o->sim.concurrency, "Phones booting at once")
      ->capture_default_str();
  cmd->add_option("--seed", o->sim.seed, "Seed for the packet-loss draws")->capture_default_str();
  cmd->add_option("--loss", o->sim.loss, "Share of TFTP datagrams lost each way (0..0.5)");
  cmd->add_option("--delay-ms", o->sim.delay_ms, "Slow link: delay before each request/datagram");
  cmd->add_option("--max-boots", o->sim.max_boots, "Boots before a phone counts as failed")
      ->capture_default_str();
  cmd->add_option("--nat", o->sim.nat,
                  "Put the fleet behind N shared addresses (127.3.0.1...), TFTP ports from each "
                  "address's pool reused oldest-free first, as a site's NAT does");
  cmd->add_option("--nat-ports", o->sim.nat_ports, "Outside ports per shared address (--nat)")
      ->capture_default_str();
  cmd->add_option("--nat-hold-ms", o->sim.nat_hold_ms,
                  "A port a transfer let go waits this long before the NAT hands it out again "
                  "(its mapping time-out; 30 s is Linux conntrack's UDP default)")
      ->capture_default_str();
  cmd->add_flag("--reuse-ports", o->sim.reuse_ports,
                "Phones' TFTP ports start over at every boot (40000, 40001, ...)");
  cmd->add_option("--trace", o->sim.trace_mac,
                  "Print one phone's requests, answers and retries on stderr (its MAC)");
  cmd->add_option("--web-port", o->sim.web_port,
                  "Enterprise phones serve /DeviceInformationX on their own address at this port "
                  "(default: no pages)");
  cmd->add_option("--linger", o->sim.linger_s,
                  "a phone that settled short of its target waits up to SECONDS from its start "
                  "for what brings it back: SPA/MPP phones a resync trigger on --web-port "
                  "(GET /admin/resync), enterprise phones reset every 2 s (no call control on "
                  "a bench)");
  cmd->add_option("--web-off-share", o->sim.web_off_share,
                  "Share of enterprise phones whose web page is off (0..1)");
  cmd->add_option("--syslog", o->sim.syslog,
                  "Enterprise phones log 'Load=...' to this HOST:PORT (UDP) as they boot");
  cmd->add_option("--catalog", o->catalog, "Catalog file or directory");
  cmd->add_option("--phone-ca", o->phone_ca,
                  "PEM CA the phones trust from the factory (the vendor's server CA): https:// "
                  "servers it signed are verified; otherwise only a CA a profile's "
                  "Custom_CA_Rule installed (MPP)");
  cmd->add_flag("--json", o->json, "JSON output (contract.md)");
  cmd->callback([o, &action] { action = [o] { return RunSimulate(*o); }; });
}

}  // namespace stepup::cli
