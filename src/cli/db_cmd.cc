// stepup db migrate|export|import: the inventory's schema, and moving a whole inventory from
// one database to another (SQLite to PostgreSQL when a fleet grows to several nodes).
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/cli.h"
#include "store/inventory.h"
#include "store/inventory_export.h"
#include "store/private_files.h"

namespace stepup::cli {
namespace {

struct DbOptions {
  DataOptions data;
  std::string out, in;
  bool json = false;
};

// The inventory --data/--db names, as OpenInventory takes it.
std::string InventoryUrl(const DataOptions& data) {
  return data.db.empty() ? "sqlite:" + (std::filesystem::path(data.dir) / "stepup.db").string()
                         : data.db;
}

// Where the inventory is, for messages: a PostgreSQL URL without its password.
std::string Shown(const DataOptions& data) { return RedactInventoryUrl(InventoryUrl(data)); }

int RunMigrate(const DbOptions& o) {
  {
    auto inv = OpenData(o.data);  // creates the data directory and the schema, as serve does
    if (!inv) return Fail(inv.error());
  }
  auto version = MigrateInventory(InventoryUrl(o.data));
  if (!version) return Fail(version.error());
  if (o.json) {
    std::cout << nlohmann::json{{"inventory", Shown(o.data)}, {"schema", *version}}.dump() << "\n";
  } else {
    std::cout << "inventory " << Shown(o.data) << ": schema version " << *version << "\n";
  }
  return kExitOk;
}

int RunExport(const DbOptions& o) {
  auto inv = OpenData(o.data);
  if (!inv) return Fail(inv.error());
  auto dump = (*inv)->Dump();
  if (!dump) return Fail(dump.error());
  inv.value().reset();
  auto version = MigrateInventory(InventoryUrl(o.data));
  if (!version) return Fail(version.error());
  const std::string text = ExportToJsonLines(*dump, *version);
  // It holds every device's secrets: private to this user, and complete or absent.
  const std::string tmp = o.out + ".tmp";
  std::error_code ec;
  std::filesystem::remove(tmp, ec);
  if (auto s = CreatePrivateFile(tmp); !s) return Fail(s.error());
  errno = 0;
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      std::filesystem::remove(tmp, ec);
      return Fail(FileError("cannot write \"" + tmp + "\""));
    }
  }
  errno = 0;
  if (std::rename(tmp.c_str(), o.out.c_str()) != 0) {
    Error e = FileError("cannot write \"" + o.out + "\"");
    std::filesystem::remove(tmp, ec);
    return Fail(e);
  }
  std::cerr << "exported " << dump->devices.size() << " devices, " << dump->events.size()
            << " events, " << dump->unknown.size() << " unknown attempts and "
            << dump->groups.size() << " rollout groups from " << Shown(o.data) << " to " << o.out
            << "\n";
  return kExitOk;
}

int RunImport(const DbOptions& o) {
  errno = 0;
  std::ifstream in(o.in, std::ios::binary);
  if (!in) return Fail(FileError("cannot read \"" + o.in + "\""));
  std::stringstream ss;
  ss << in.rdbuf();
  auto dump = ImportFromJsonLines(ss.str(), o.in);
  if (!dump) return Fail(dump.error());
  auto inv = OpenData(o.data);
  if (!inv) return Fail(inv.error());
  if (auto s = (*inv)->Load(*dump); !s)
    return Fail({s.error().kind, "import into " + Shown(o.data) + ": " + s.error().message});
  std::cerr << "imported " << dump->devices.size() << " devices, " << dump->events.size()
            << " events, " << dump->unknown.size() << " unknown attempts and "
            << dump->groups.size() << " rollout groups from " << o.in << " into " << Shown(o.data)
            << "\n";
  return kExitOk;
}

}  // namespace

void AddDbCommand(CLI::App& app, Action& action) {
  auto o = std::make_shared<DbOptions>();
  auto* cmd = app.add_subcommand(
      "db", "The inventory database: migrate its schema, export it, import it elsewhere");
  cmd->require_subcommand(1);
  auto data_flags = [o](CLI::App* c) {
    c->add_option("--data", o->data.dir, "data directory (default ./stepup-data)");
    c->add_option("--db", o->data.db,
                  "inventory: sqlite:PATH (default DATA/stepup.db) or "
                  "postgresql://USER:PASSWORD@HOST:PORT/DB");
  };
  auto* migrate = cmd->add_subcommand(
      "migrate", "Create the inventory's schema or bring it up to date; print its version");
  migrate->add_flag("--json", o->json, "print {\"inventory\", \"schema\"}");
  data_flags(migrate);
  migrate->callback([&action, o] { action = [o] { return RunMigrate(*o); }; });

  auto* exp = cmd->add_subcommand(
      "export",
      "Write the whole inventory to one file: every device (all fields, settings and secrets "
      "in clear, ids), every event (its device's id, time, kind, detail, transport, peer, "
      "repeat count) in the order written, unknown attempts and rollout groups");
  exp->add_option("--out", o->out, "the file to write (mode 0600)")->required();
  data_flags(exp);
  exp->description(
      exp->get_description() +
      ". Format: JSON lines. The first line is a header, {\"stepup_export\": 1, \"schema\": N, "
      "\"devices\": N, \"events\": N, \"unknown\": N, \"groups\": N}; then one record a line, "
      "each with \"type\": \"device\" (id, mac, serial, model, protocol, target, firmware, "
      "hardware, settings, state, state_detail, hold, pending_load, pending_offers, excluded, "
      "candidates, firmware_source, transport, created, updated), \"event\" (device, time, "
      "kind, detail, transport, peer, repeats, last_time), \"unknown\" (time, kind, detail, "
      "transport, peer, claimed) or \"group\" (name, target, window, paused, resync_at, "
      "settings, created, updated). Times of events are milliseconds, of devices and groups "
      "seconds, since the epoch.");
  exp->callback([&action, o] { action = [o] { return RunExport(*o); }; });

  auto* imp = cmd->add_subcommand(
      "import",
      "Load a file `db export` wrote into an inventory that has no devices yet, in one "
      "transaction: devices keep their ids, MACs and serials, events their device, order, times "
      "and counts");
  imp->add_option("--in", o->in, "the file `stepup db export` wrote")->required();
  data_flags(imp);
  imp->callback([&action, o] { action = [o] { return RunImport(*o); }; });
}

}  // namespace stepup::cli
