#include "cli/serve_options.h"

#include <toml++/toml.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>

namespace stepup::cli {

void DeclareServeOptions(CLI::App& cmd, ServerConfig& o) {
  cmd.add_option("--data", o.data.dir, "data directory (default ./stepup-data)");
  cmd.add_option("--db", o.data.db, "inventory: sqlite:PATH or postgresql://USER@HOST/DB (default DATA/stepup.db)");
  cmd.add_option("--http", o.http, "HTTP listener ADDR:PORT, [::]:PORT accepted")
      ->capture_default_str();
  cmd.add_option("--tftp", o.tftp, "TFTP listener ADDR:PORT, or 'off'")->capture_default_str();
  cmd.add_option("--https", o.https, "HTTPS listener ADDR:PORT (default: none)");
  cmd.add_option("--tls-cert", o.tls.cert_file,
                 "HTTPS: PEM file, the server's certificate then its intermediates");
  cmd.add_option("--tls-key", o.tls.key_file, "HTTPS: PEM private key of --tls-cert");
  cmd.add_option("--client-ca", o.tls.client_ca,
                 "HTTPS: PEM CA certificate(s) phones' client certificates are verified "
                 "against; a verified certificate's subject identifies the phone");
  cmd.add_flag("--require-client-cert", o.tls.require_client_cert,
               "HTTPS: a request without a verified client certificate gets 403");
  cmd.add_option("--public-https-url", o.public_https_url,
                 "HTTPS base URL written into escalated phones' profiles (NAT, load balancer)");
  cmd.add_option("--tls-ca", o.tls_ca,
                 "HTTPS: the CA certificate phones install to verify the server (served at "
                 "/ca.pem, named in their Custom_CA_Rule)");
  cmd.add_option("--admin", o.admin,
                 "admin API listener ADDR:PORT (/api/v1); must be loopback unless --admin-token "
                 "is given (default: the admin API is on the HTTP listener when it is loopback)");
  cmd.add_option("--admin-token", o.admin_token,
                 "every /api/v1 route but openapi.json needs 'Authorization: Bearer TOKEN' "
                 "(default: $STEPUP_ADMIN_TOKEN)");
  cmd.add_flag("--tls-legacy", o.tls.legacy,
               "HTTPS: also TLS 1.0/1.1, old cipher suites and SHA-1 (old SPA/PAP firmware); "
               "off by default, flagged in the log");
  cmd.add_option("--tftp-upload-dir", o.tftp_upload_dir,
                 "accept TFTP uploads (WRQ) into DIR (default: uploads refused)")
      ->check(CLI::ExistingDirectory);
  cmd.add_option("--tftp-rate", o.tftp_rate,
                 "TFTP requests a second from one address (in bursts of as many); more wait "
                 "their turn (held up to 5 s, not refused)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  cmd.add_option("--tftp-secrets", o.tftp_secrets,
                 "profiles with secrets over TFTP: 'followed' (only to a phone whose boot, its "
                 "CTLSEP/ITLSEP requests, came from the same address), 'off', or 'any' (unsafe)")
      ->capture_default_str()
      ->check(CLI::IsMember({"followed", "off", "any"}));
  cmd.add_option("--probe-limit", o.probe_limit,
                 "SLOW,REFUSE,MINUTES: requests from one address naming unknown devices or "
                 "failing the identity check answered at once, then slowed, then after REFUSE "
                 "in MINUTES every request from it refused for MINUTES; or 'off'")
      ->capture_default_str();
  cmd.add_option("--probe-phones", o.probe_phones,
                 "read an enterprise phone's own web page (http://PHONE/DeviceInformationX) "
                 "when nobody recorded what it runs: 'private' (loopback and private "
                 "addresses only), 'all', or 'off'")
      ->capture_default_str()
      ->check(CLI::IsMember({"private", "all", "off"}));
  cmd.add_option("--probe-port", o.probe_port, "port of the phones' web pages")
      ->capture_default_str();
  cmd.add_option("--learn-after", o.learn_after,
                 "seconds after which an offer a phone of unknown firmware fetched nothing of "
                 "means it already runs that load")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  cmd.add_option("--tftp-transfers", o.tftp_transfers,
                 "concurrent TFTP transfers from one address (a NAT'd site is one address); "
                 "more wait their turn")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  cmd.add_option("--tftp-limit", o.tftp_limits,
                 "per network: NET/BITS=TRANSFERS,RATE replaces --tftp-transfers and "
                 "--tftp-rate for addresses in NET (most specific wins; repeatable), e.g. "
                 "10.0.0.0/8=4000,2000 or 192.0.2.7/32=20,10")
      ->allow_extra_args(false);
  cmd.add_option("--firmware", o.firmware, "firmware directory (default DATA/firmware)");
  cmd.add_option("--catalog", o.catalog, "catalog TOML file or directory (default: bundled)");
  cmd.add_option("--public-url", o.public_url,
                 "base URL written into profiles (NAT, load balancer)");
  cmd.add_option("--threads", o.threads, "worker threads (default: cores)");
  cmd.add_option("--stuck-after", o.stuck_after,
                 "offers of one hop without progress before 'stuck'")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  cmd.add_option("--max-downloads", o.max_downloads,
                 "phones fetching firmware at once (0: no cap); over it a phone gets its "
                 "configuration without the upgrade and is offered it at its next resync")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
  cmd.add_option("--trusted-proxy", o.trusted_proxies,
                 "address or ADDRESS/BITS of a load balancer in front of this node (repeat for "
                 "several): from there, X-Real-IP (else X-Forwarded-For) names the phone's "
                 "address; from anywhere else those headers are ignored (deploy/README.md)");
  cmd.add_option("--accel-redirect", o.accel_redirect,
                 "PREFIX (e.g. /_stepup_firmware/): firmware images asked for through a "
                 "--trusted-proxy are answered with X-Accel-Redirect: PREFIX<name>, and the "
                 "balancer sends the file (deploy/nginx/stepup-lb.conf)");
  cmd.add_option("--auto-enroll", o.auto_enroll,
                 "admit unknown devices of models matching PATTERN to quarantine");
  cmd.add_option("--bench", o.bench,
                 "a staging bench: unknown phones of the --auto-enroll models (any model "
                 "without it) join rollout group GROUP, get no secrets, are walked to its "
                 "target and handed off (handoff_url / handoff_call_control); progress on "
                 "the terminal");
  cmd.add_option("--syslog", o.syslog, "receive phones' syslog on ADDR:PORT (UDP) as evidence");
  cmd.add_option("--access-log", o.access_log, "access log file, '-' for stdout")
      ->capture_default_str();
  cmd.add_option("--log-format", o.log_format,
                 "'text' (one access log line per request, messages as text) or 'json' (the "
                 "access log and the server's messages as JSON lines)")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  cmd.add_option("--read-timeout", o.read_timeout, "seconds a request may take to arrive")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  cmd.add_option("--drain-seconds", o.drain_seconds, "how long a stop waits for open connections")
      ->capture_default_str();
}

GivenOptions GivenOn(const CLI::App& cmd) {
  GivenOptions given;
  for (const CLI::Option* opt : cmd.get_options()) {
    if (opt->count() == 0 || opt->get_name() == "--help" || opt->get_name() == "--config") continue;
    given.emplace_back(opt->get_name(), opt->results());
  }
  return given;
}

namespace {

// One TOML value as the strings a flag takes; false when it is of no type a flag takes.
bool FlagValues(const toml::node& v, bool flag, std::vector<std::string>& out) {
  if (auto s = v.value_exact<std::string>()) {
    out.push_back(*s);
  } else if (auto i = v.value_exact<int64_t>()) {
    out.push_back(std::to_string(*i));
  } else if (auto b = v.value_exact<bool>(); b && flag) {
    out.push_back(*b ? "true" : "false");
  } else if (const toml::array* a = v.as_array()) {
    for (const toml::node& e : *a) {
      if (e.is_array() || !FlagValues(e, flag, out)) return false;
    }
  } else {
    return false;
  }
  return true;
}

Status ApplyFile(CLI::App& cmd, const std::string& path, std::map<std::string, int>& lines) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return BadInput(path + ": no such configuration file");
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return BadInput(path + ":" + std::to_string(e.source().begin.line) +
                    ": not TOML: " + std::string(e.description()));
  }
  for (const auto& [k, v] : t) {
    const std::string key(k.str());
    const int line = static_cast<int>(v.source().begin.line);
    const std::string where = path + ":" + std::to_string(line) + ": key \"" + key + "\"";
    CLI::Option* opt = key == "help" || key == "config" || key.starts_with("-")
                           ? nullptr
                           : cmd.get_option_no_throw("--" + key);
    if (!opt)
      return BadInput(where +
                      ": no such setting (the keys are serve's flags, see "
                      "stepup serve --help)");
    lines[key] = line;
    std::vector<std::string> values;
    const bool flag = opt->get_expected_max() == 0;
    if (!FlagValues(v, flag, values) || (values.size() > 1 && opt->get_items_expected_max() < 2))
      return BadInput(where + ": wants " +
                      (flag                                ? std::string("true or false")
                       : opt->get_items_expected_max() > 1 ? "a string or a list of strings"
                                                           : "a string or a number"));
    if (opt->count() > 0) continue;  // the command line wins
    try {
      opt->add_result(values);
      opt->run_callback();
    } catch (const CLI::Error& e) {
      return BadInput(where + ": " + e.what());
    }
  }
  return Ok{};
}

}  // namespace

Result<LoadedConfig> LoadServeConfig(const GivenOptions& given, const std::string& path) {
  LoadedConfig out;
  CLI::App cmd;
  DeclareServeOptions(cmd, out.config);
  try {
    for (const auto& [name, values] : given) {
      CLI::Option* opt = cmd.get_option(name);
      opt->add_result(values);
      opt->run_callback();
    }
  } catch (const CLI::Error& e) {
    return BadInput(e.what());
  }
  if (!path.empty()) {
    if (auto s = ApplyFile(cmd, path, out.lines); !s) return s.error();
  }
  if (out.config.admin_token.empty()) {
    if (const char* env = std::getenv("STEPUP_ADMIN_TOKEN")) out.config.admin_token = env;
  }
  return out;
}

Error Locate(const Error& e, const LoadedConfig& loaded, const std::string& path) {
  // The file's key the message names first ("--tls-cert, --tls-key ... need --https").
  const std::string* found = nullptr;
  size_t at = std::string::npos;
  int line = 0;
  for (const auto& [key, key_line] : loaded.lines) {
    const std::string flag = "--" + key;
    for (size_t p = e.message.find(flag); p != std::string::npos && p < at;
         p = e.message.find(flag, p + 1)) {
      const size_t end = p + flag.size();
      const bool whole =
          end == e.message.size() ||
          !(std::isalnum(static_cast<unsigned char>(e.message[end])) || e.message[end] == '-');
      if (whole) {
        found = &key;
        at = p;
        line = key_line;
        break;
      }
    }
  }
  if (!found) return e;
  return Error{e.kind,
               path + ":" + std::to_string(line) + ": key \"" + *found + "\": " + e.message};
}

}  // namespace stepup::cli
