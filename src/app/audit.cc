#include "app/audit.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/device_profile.h"
#include "core/hardening.h"
#include "core/text.h"
#include "core/version.h"

namespace stepup {
namespace {

std::string Day(int64_t ms) { return IsoDate(ms / 1000); }

// The TLS version a "secrets-sent" detail names ("... over https (TLSv1.1)"), "" if none.
std::string TlsVersionOf(const std::string& detail) {
  size_t open = detail.rfind('(');
  size_t close = detail.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return "";
  return detail.substr(open + 1, close - open - 1);
}

bool LegacyTls(const std::string& version) {
  return version == "TLSv1" || version == "TLSv1.0" || version == "TLSv1.1" ||
         version == "SSLv3" || version == "SSLv2";
}

// Seed 002 tested these flaws on MPP firmware 11.2.3 and retested them on 11.3.1 (up to
// MSR1-3): the SHA-2 digest handling "ignores algorithm and picks last", and the padlock shown
// without SIP over TLS. Later releases are not known to be fixed or affected, so they are
// not reported (no fact is invented in either direction).
bool SeedTestedMppRelease(const Family& fam, const std::string& firmware) {
  if (fam.line != "mpp" || firmware.empty()) return false;
  auto v = ParseVersion(firmware);
  if (!v || v->release.size() < 3) return false;
  const std::vector<int> r(v->release.begin(), v->release.begin() + 3);
  return r >= std::vector<int>{11, 2, 3} && r <= std::vector<int>{11, 3, 1};
}

std::string Key(const Device& d) { return d.mac.empty() ? d.serial : d.mac; }

}  // namespace

DeviceAudit AuditDevice(const AuditSetup& setup, const Device& d,
                        const std::vector<Event>& events) {
  DeviceAudit out{d.mac, d.serial, d.model, {}};
  auto add = [&](std::string id, std::string severity, std::string detail, std::string fix) {
    out.findings.push_back({std::move(id), std::move(severity), std::move(detail), std::move(fix)});
  };
  const Catalog& cat = *setup.catalog;
  const Model* model = cat.FindModel(d.model);
  const Family* fam = model ? cat.FindFamily(model->family) : nullptr;
  const bool phone = fam && (fam->line == "spa" || fam->line == "mpp");
  auto eff = [&](const char* key) {
    return ToLower(EffectiveSetting(key, setup.defaults, d.settings));
  };

  // The admin password every template renders (flat profiles and SEP<MAC>.cnf.xml).
  {
    const std::string pw = EffectiveSetting("admin_password", setup.defaults, d.settings);
    if (WeakAdminPassword(pw)) {
      const bool own = d.settings.count("admin_password") > 0;
      add("admin-password-weak", "high",
          pw.empty() ? "no admin password is set (" +
                           std::string(own ? "the device's setting is empty" : "none in its settings or the defaults") +
                           "): anyone on the network can reach the phone's admin pages"
                     : std::string("the admin password is the well-known \"") + pw + "\" (from " +
                           (own ? "the device's settings" : "defaults.toml") + ")",
          "stepup device set " + Key(d) +
              " --set admin_password=<a long random password> (a device added without one "
              "gets a generated one)");
    }
  }

  // Secrets that went out: plain transports, and TLS older than 1.2.
  int plain = 0, legacy = 0;
  const Event *first_plain = nullptr, *first_legacy = nullptr;
  for (const auto& e : events) {
    if (e.kind != "secrets-sent") continue;
    if (e.transport != "https") {
      if (!first_plain) first_plain = &e;
      ++plain;
    } else if (LegacyTls(TlsVersionOf(e.detail))) {
      if (!first_legacy) first_legacy = &e;
      ++legacy;
    }
  }
  if (first_plain) {
    add("secrets-plain", "high",
        "secrets went out over a plain transport " + std::to_string(plain) + " time(s), first on " +
            Day(first_plain->time) + ": " + first_plain->detail,
        "serve this device over HTTPS only (README \"HTTPS and phone client certificates\") and "
        "change every secret named: stepup device set " + Key(d) + " --set admin_password=... "
        "--set sip_password=...");
  }
  if (first_legacy) {
    add("legacy-tls", "medium",
        "secrets went out over legacy TLS " + std::to_string(legacy) + " time(s), first on " +
            Day(first_legacy->time) + ": " + first_legacy->detail,
        "upgrade the phone to firmware that speaks TLS 1.2 or later (stepup device set " + Key(d) +
            " --target <release>), then turn the listener's legacy TLS opt-in off");
  }

  // The hardened settings the phone templates render (core/hardening.h).
  if (phone) {
    const std::string transport = eff("sip_transport");
    const bool tls = transport == "tls";
    const bool srtp = eff("srtp") == "yes";
    if (!tls) {
      add("sip-without-tls", "medium",
          "SIP signalling (line 1) goes over " + transport +
              " without TLS: credentials' digests, numbers dialled and call setup are readable",
          "where the call server supports SIP over TLS: stepup device set " + Key(d) +
              " --set sip_transport=tls (or sip_transport = \"tls\" in defaults.toml)");
    }
    if (!srtp) {
      add("no-srtp", "medium", "calls are not encrypted (srtp=" + eff("srtp") + "): RTP audio is readable",
          "where the call server supports SDES-SRTP: stepup device set " + Key(d) +
              " --set srtp=yes (srtp_method defaults to s-descriptor)");
    } else if (!tls) {
      add("padlock-without-tls", "medium",
          "SRTP is on but SIP goes over " + transport +
              ": the SDES keys travel in the clear SIP messages, while the phone may still show "
              "its padlock (seed 002: padlock icon even without SIP over TLS)",
          "stepup device set " + Key(d) + " --set sip_transport=tls");
    }
    const std::string port_min = eff("sip_tcp_port_min");
    const bool numeric = !port_min.empty() && port_min.size() <= 5 &&
                         std::all_of(port_min.begin(), port_min.end(),
                                     [](char c) { return c >= '0' && c <= '9'; });
    if (!numeric || std::stoi(port_min) < kRandomPortMin) {
      add("ports-not-random", "low",
          "SIP TCP source ports start at " + port_min +
              ", below the dynamic range 49152-65535: the phone's ports are predictable",
          "stepup device set " + Key(d) +
              " --set sip_tcp_port_min=49152 (or remove the override: 49152 is the default)");
    }
  }

  // Firmware: trust store (the planner's own warnings) and flaws seed 002 names.
  if (model && !d.firmware.empty()) {
    ProfileSetup ps;
    ps.catalog = &cat;
    ps.now = setup.now;
    auto plan = PlanForDevice(ps, d, "");
    if (plan) {
      for (const auto& w : plan->warnings) {
        if (w.find(", expired ") == std::string::npos) continue;
        add("trust-store-expired", "medium", w,
            "move it to a release whose trust store is current: stepup plan --model " + d.model +
                " --from " + d.firmware + ", then stepup device set " + Key(d) + " --target <release>");
      }
    }
    if (auto v = ParseVersion(d.firmware); v && fam) {
      for (const Advisory* a : cat.AdvisoriesFor(fam->id, *v)) {
        add("firmware-advisory", a->severity,
            "firmware " + d.firmware + " is affected by " + a->id + ": " + a->summary + " (" +
                (a->through ? "releases up to " + a->through_label : std::string("every release")) +
                "; " + std::string(FactStatusName(a->status)) + ": " + a->source + ")",
            a->fix);
      }
    }
    if (fam && SeedTestedMppRelease(*fam, d.firmware)) {
      add("digest-algorithm-choice", "low",
          "firmware " + d.firmware +
              " ignores the digest algorithm a challenge asks for and picks the last one offered "
              "(SHA-2 digest, seed 002, tested on MPP 11.2.3 to 11.3.1)",
          "configure the call server to offer a single digest algorithm");
    }
  }

  // MPP firmware for hardware that is neither a 3PCC SKU nor listed for migration.
  if (model && fam && ToLower(d.protocol) == "mpp" && fam->default_protocol != Protocol::kMpp) {
    bool listed = false;
    for (const auto& m : cat.migrations) {
      if (m.to_protocol == Protocol::kMpp &&
          std::find(m.models.begin(), m.models.end(), model->name) != m.models.end())
        listed = true;
    }
    if (!listed) {
      add("mpp-ineligible-hardware", "high",
          d.model + " is not a 3PCC SKU and the catalog lists no MPP migration for it, yet the "
                    "device is set to MPP firmware (docs/firmware/spa-ata-mpp.md section 3)",
          "stepup device set " + Key(d) + " --protocol " +
              std::string(ProtocolName(fam->default_protocol)) +
              " (or replace the phone with a 3PCC SKU)");
    }
  }
  return out;
}

AuditTotals Totals(const std::vector<DeviceAudit>& audits) {
  AuditTotals t;
  t.by_severity = {{"high", 0}, {"medium", 0}, {"low", 0}};
  for (const auto& a : audits) {
    ++t.devices;
    if (!a.findings.empty()) ++t.devices_with_findings;
    for (const auto& f : a.findings) {
      ++t.by_severity[f.severity];
      ++t.by_id[f.id];
    }
  }
  return t;
}

std::string AuditJson(const std::vector<DeviceAudit>& audits) {
  nlohmann::json devices = nlohmann::json::array();
  int findings = 0;
  for (const auto& a : audits) {
    nlohmann::json fs = nlohmann::json::array();
    for (const auto& f : a.findings) {
      fs.push_back({{"id", f.id}, {"severity", f.severity}, {"detail", f.detail}, {"fix", f.fix}});
      ++findings;
    }
    nlohmann::json d = {{"mac", a.mac.empty() ? nlohmann::json(nullptr) : nlohmann::json(a.mac)},
                        {"model", a.model},
                        {"findings", fs}};
    if (!a.serial.empty()) d["serial"] = a.serial;
    devices.push_back(std::move(d));
  }
  AuditTotals t = Totals(audits);
  nlohmann::json totals = {{"devices", t.devices},
                           {"devices_with_findings", t.devices_with_findings},
                           {"findings", findings},
                           {"by_severity", t.by_severity},
                           {"by_id", t.by_id}};
  return nlohmann::json({{"devices", devices}, {"totals", totals}}).dump(2) + "\n";
}

std::string AuditTable(const std::vector<DeviceAudit>& audits) {
  std::ostringstream o;
  o << "DEVICE        MODEL            SEVERITY  FINDING                  DETAIL\n";
  for (const auto& a : audits) {
    std::string key = a.mac.empty() ? a.serial : a.mac;
    key.resize(std::max<size_t>(key.size(), 13), ' ');
    std::string model = a.model;
    model.resize(std::max<size_t>(model.size(), 16), ' ');
    if (a.findings.empty()) {
      o << key << " " << model << " -         none\n";
      continue;
    }
    for (const auto& f : a.findings) {
      std::string sev = f.severity, id = f.id;
      sev.resize(std::max<size_t>(sev.size(), 9), ' ');
      id.resize(std::max<size_t>(id.size(), 24), ' ');
      o << key << " " << model << " " << sev << " " << id << " " << f.detail << "\n"
        << std::string(14 + 17 + 10, ' ') << "fix: " << f.fix << "\n";
    }
  }
  AuditTotals t = Totals(audits);
  o << "\n" << t.devices << " device(s), " << t.devices_with_findings << " with findings: "
    << t.by_severity["high"] << " high, " << t.by_severity["medium"] << " medium, "
    << t.by_severity["low"] << " low\n";
  return o.str();
}

}  // namespace stepup
