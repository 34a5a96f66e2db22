// stepup identify [--ua S] [--path P] [--vendor-class S] [--cert-subject S] [--json]
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "core/identify.h"

namespace stepup::cli {
namespace {

struct IdentifyOptions {
  std::string ua, path, vendor_class, cert_subject, catalog;
  bool json = false;
};

nlohmann::json OrNull(const std::string& s) {
  return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s);
}

int RunIdentify(const IdentifyOptions& o) {
  auto cat = OpenCatalog(o.catalog);
  if (!cat) return Fail(cat.error());
  std::vector<Observation> obs;
  if (!o.ua.empty()) obs.push_back({"user-agent", IdentifyUserAgent(o.ua, &*cat)});
  if (!o.path.empty()) obs.push_back({"path", IdentifyPath(o.path, &*cat)});
  if (!o.vendor_class.empty())
    obs.push_back({"vendor-class", IdentifyVendorClass(o.vendor_class, &*cat)});
  if (!o.cert_subject.empty()) obs.push_back({"cert", IdentifyCertSubject(o.cert_subject, &*cat)});
  if (obs.empty())
    return Fail(BadInput("identify needs --ua, --path, --vendor-class or --cert-subject"));
  MergedIdentity m = MergeIdentities(obs);
  const Identity& id = m.identity;
  nlohmann::json j = {
      {"vendor", OrNull(id.vendor)},
      {"model", OrNull(id.model)},
      {"mac", OrNull(id.mac)},
      {"serial", OrNull(id.serial)},
      {"firmware", OrNull(id.firmware)},
      {"protocol", id.protocol == Protocol::kNone ? nlohmann::json(nullptr)
                                                  : nlohmann::json(ProtocolName(id.protocol))}};
  nlohmann::json conflicts = nlohmann::json::array();
  for (const auto& c : m.conflicts) {
    nlohmann::json claims = nlohmann::json::object();
    for (const auto& [source, value] : c.claims) claims[source] = value;
    conflicts.push_back({{"field", c.field}, {"claims", claims}});
  }
  j["conflicts"] = conflicts;
  if (o.json) {
    std::cout << j.dump() << "\n";
  } else {
    for (const char* k : {"vendor", "model", "mac", "serial", "firmware", "protocol"}) {
      std::cout << k << ": " << (j[k].is_null() ? "-" : j[k].get<std::string>()) << "\n";
    }
  }
  if (!m.conflicts.empty()) {
    std::string msg = "conflicting identity:";
    for (const auto& c : m.conflicts) msg += " " + c.Describe();
    return Fail(BadInput(msg));
  }
  if (id.model.empty() && id.mac.empty() && id.serial.empty()) {
    return Fail(Unknown("no model, MAC or serial found in what was given"));
  }
  return kExitOk;
}

}  // namespace

void AddIdentifyCommand(CLI::App& app, Action& action) {
  auto o = std::make_shared<IdentifyOptions>();
  auto* cmd = app.add_subcommand("identify", "Identify a device from what it sends");
  cmd->add_option("--ua", o->ua, "HTTP User-Agent");
  cmd->add_option("--path", o->path, "requested path or file name");
  cmd->add_option("--vendor-class", o->vendor_class, "DHCP option 60");
  cmd->add_option("--cert-subject", o->cert_subject, "client-certificate subject");
  cmd->add_option("--catalog", o->catalog, "catalog TOML file or directory (default: bundled)");
  cmd->add_flag("--json", o->json, "print JSON");
  cmd->callback([&action, o] { action = [o] { return RunIdentify(*o); }; });
}

}  // namespace stepup::cli
