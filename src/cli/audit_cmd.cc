// stepup audit [--data DIR] [--db URL] [--catalog PATH] [--json]: what each device falls short
// of the security baseline (contract.md "Operations"). Exit 0 whatever it finds.
#include <ctime>
#include <iostream>
#include <map>
#include <memory>

#include "app/audit.h"
#include "cli/cli.h"

namespace stepup::cli {
namespace {

struct AuditOptions {
  DataOptions data;
  std::string catalog;
  bool json = false;
};

int RunAudit(const AuditOptions& o) {
  auto cat = OpenCatalogFor(o.data, o.catalog);
  if (!cat) return Fail(cat.error());
  auto inv = OpenData(o.data);
  if (!inv) return Fail(inv.error());
  auto defaults = OpenDefaults(o.data);
  if (!defaults) return Fail(defaults.error());
  auto devices = (*inv)->List();
  if (!devices) return Fail(devices.error());
  auto sent = (*inv)->EventsOfKind("secrets-sent");
  if (!sent) return Fail(sent.error());
  std::map<int64_t, std::vector<Event>> events;
  for (auto& [id, e] : *sent) events[id].push_back(std::move(e));

  AuditSetup setup;
  setup.catalog = &cat.value();
  setup.defaults = std::move(defaults).value();
  setup.now = std::time(nullptr);
  std::vector<DeviceAudit> audits;
  static const std::vector<Event> kNone;
  for (const auto& d : *devices) {
    auto it = events.find(d.id);
    audits.push_back(AuditDevice(setup, d, it == events.end() ? kNone : it->second));
  }
  std::cout << (o.json ? AuditJson(audits) : AuditTable(audits));
  return kExitOk;
}

}  // namespace

void AddAuditCommand(CLI::App& app, Action& action) {
  auto o = std::make_shared<AuditOptions>();
  auto* cmd = app.add_subcommand(
      "audit", "Report, per device and in total, what falls short of the security baseline");
  cmd->add_option("--data", o->data.dir, "data directory (default ./stepup-data)");
  cmd->add_option("--db", o->data.db, "inventory: sqlite:PATH or postgresql://USER@HOST/DB (default DATA/stepup.db)");
  cmd->add_option("--catalog", o->catalog, "catalog TOML file or directory (default: bundled)");
  cmd->add_flag("--json", o->json, "print JSON (contract.md \"Operations\")");
  cmd->callback([&action, o] { action = [o] { return RunAudit(*o); }; });
}

}  // namespace stepup::cli
