// stepup device add|import|list|show|set
#include <algorithm>
#include <cerrno>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "app/device_input.h"
#include "app/suspects.h"
#include "cli/cli.h"
#include "core/device_json.h"
#include "core/profile_cipher.h"
#include "core/text.h"

namespace stepup::cli {
namespace {

struct DeviceOptions {
  DataOptions data;
  std::string catalog, mac, serial, model, target, protocol, firmware, hardware, file, key;
  std::vector<std::string> set, unset, states;
  bool json = false, hold = false, release = false, secrets = false, suspicious = false;
};

Result<Settings> ParseSets(const std::vector<std::string>& sets) {
  Settings out;
  for (const auto& kv : sets) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      return BadInput("--set \"" + kv + "\" is not KEY=VALUE");
    std::string k = kv.substr(0, eq), v = kv.substr(eq + 1);
    if (auto s = CheckSetting(k, v); !s) return BadInput("--set: " + s.error().message);
    out[k] = v;
  }
  return out;
}

int RunAdd(const DeviceOptions& o) {
  auto cat = OpenCatalogFor(o.data, o.catalog);
  if (!cat) return Fail(cat.error());
  auto sets = ParseSets(o.set);
  if (!sets) return Fail(sets.error());
  DeviceFields f{o.mac,      o.serial,   o.model,    o.target.empty() ? "latest" : o.target,
                 o.protocol, o.firmware, o.hardware, *sets};
  auto d = MakeDevice(*cat, f, std::time(nullptr));
  if (!d) return Fail(d.error());
  auto inv = OpenData(o.data);
  if (!inv) return Fail(inv.error());
  auto added = (*inv)->Add(*d);
  if (!added) return Fail(added.error());
  (void)(*inv)->AppendEvent(added->id,
                            {std::time(nullptr) * 1000LL, "operator", "added", "cli", ""});
  if (o.json) {
    std::cout << DeviceToJson(*added, false).dump() << "\n";
  } else {
    std::cout << "added " << added->model << " " << added->key() << " (target " << added->target
              << ")\n";
  }
  return kExitOk;
}

int RunImport(const DeviceOptions& o) {
  auto cat = OpenCatalogFor(o.data, o.catalog);
  if (!cat) return Fail(cat.error());
  errno = 0;
  std::ifstream in(o.file, std::ios::binary);
  if (!in) return Fail(FileError("cannot read \"" + o.file + "\""));
  std::stringstream ss;
  ss << in.rdbuf();
  auto devices = DevicesFromCsv(*cat, ss.str(), std::time(nullptr), o.file);
  if (!devices) return Fail(devices.error());
  auto inv = OpenData(o.data);
  if (!inv) return Fail(inv.error());
  if (auto s = (*inv)->AddAll(*devices); !s)
    return Fail(BadInput(o.file + ": " + s.error().message));
  std::cout << "imported " << devices->size() << " devices from " << o.file << "\n";
  return kExitOk;
}

// The addresses that named unknown devices or failed the identity check, most first.
int RunSuspicious(Inventory& inv, bool json) {
  auto suspects = FindSuspects(inv);
  if (!suspects) return Fail(suspects.error());
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : *suspects) {
      out.push_back({{"address", s.address},
                     {"failures", s.failures()},
                     {"unknown", s.unknown},
                     {"mismatched", s.mismatched},
                     {"refused", s.refused},
                     {"refused_until", s.refused_until_ms},
                     {"first_time", s.first_ms},
                     {"last_time", s.last_ms},
                     {"named", s.named}});
    }
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  for (const auto& s : *suspects) {
    std::string named;
    for (const auto& n : s.named) named += (named.empty() ? "" : " ") + n;
    std::cout << s.address << "\t" << s.failures() << " failed (" << s.unknown << " unknown, "
              << s.mismatched << " identity mismatches recorded)\t" << s.refused << " refused"
              << (s.refused_until_ms ? " until " + std::to_string(s.refused_until_ms / 1000) : "")
              << "\t" << s.first_ms << ".." << s.last_ms << "\tnamed: " << named << "\n";
  }
  return kExitOk;
}

int RunList(const DeviceOptions& o) {
  auto inv = OpenData(o.data);
  if (!inv) return Fail(inv.error());
  if (o.suspicious) return RunSuspicious(**inv, o.json);
  auto list = (*inv)->List();
  if (!list) return Fail(list.error());
  if (!o.states.empty()) {  // --state S (repeatable)
    std::erase_if(list.value(), [&](const Device& d) {
      return std::find(o.states.begin(), o.states.end(), d.state) == o.states.end();
    });
  }
  if (o.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& d : *list) out.push_back(DeviceToJson(d, o.secrets));
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  for (const auto& d : *list) {
    std::cout << d.key() << "\t" << d.model << "\t" << (d.firmware.empty() ? "-" : d.firmware)
              << "\t->\t" << d.target << "\t" << d.state << (d.hold ? " (hold)" : "") << "\n";
  }
  return kExitOk;
}

int RunShow(const DeviceOptions& o) {
  auto inv = OpenData(o.data);
  if (!inv) return Fail(inv.error());
  auto d = (*inv)->FindByKey(o.key);
  if (!d) return Fail(d.error());
  auto events = (*inv)->Events(d->id);
  if (!events) return Fail(events.error());
  if (o.json) {
    nlohmann::json j = DeviceToJson(*d, o.secrets);
    j["events"] = EventsToJson(*events);
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << d->model << " " << d->key() << "\n  state: " << d->state
            << (d->state_detail.empty() ? "" : " (" + d->state_detail + ")")
            << "\n  firmware: " << (d->firmware.empty() ? "unknown" : d->firmware)
            << (d->firmware_source.empty() ? "" : " (from " + d->firmware_source + ")")
            << "\n  target: " << d->target << "\n";
  if (d->hold) std::cout << "  on hold: no upgrades\n";
  if (!d->candidates.empty()) {
    std::cout << "  may be running:";
    for (const auto& c : d->candidates)
      std::cout << " " << (c.empty() ? "(nothing the catalog knows)"
                           : c[0] == '<' ? "releases before " + c.substr(1)
                                         : c);
    std::cout << "\n";
  }
  if (!d->pending_load.empty())
    std::cout << "  pending hop: " << d->pending_load << " (offered " << d->pending_offers
              << "x)\n";
  for (const auto& x : d->excluded) std::cout << "  excluded after getting stuck: " << x << "\n";
  for (const auto& e : *events) {
    std::cout << "  " << e.time << " " << e.kind << " " << e.detail
              << (e.peer.empty() ? "" : " from " + e.peer)
              << (e.repeats > 0 ? " (and " + std::to_string(e.repeats) + " times more until " +
                                      std::to_string(e.last_time) + ")"
                                : std::string())
              << "\n";
  }
  return kExitOk;
}

int RunSet(const DeviceOptions& o) {
  auto cat = OpenCatalogFor(o.data, o.catalog);
  if (!cat) return Fail(cat.error());
  auto inv = OpenData(o.data);
  if (!inv) return Fail(inv.error());
  auto found = (*inv)->FindByKey(o.key);
  if (!found) return Fail(found.error());
  Device d = *found;
  if (o.hold && o.release) return Fail(BadInput("--hold and --release together"));
  DeviceChanges c;
  if (o.hold || o.release) c.hold = o.hold;
  auto given = [](const std::string& v) {
    return v.empty() ? std::nullopt : std::optional<std::string>(v);
  };
  c.target = given(o.target);
  c.firmware = given(o.firmware);
  c.protocol = given(o.protocol);
  c.hardware = given(o.hardware);
  auto sets = ParseSets(o.set);
  if (!sets) return Fail(sets.error());
  c.set = std::move(sets).value();
  c.unset = o.unset;
  auto applied = ApplyDeviceChanges(*cat, d, c, [](std::string_view) { return "--"; });
  if (!applied) return Fail(applied.error());
  const std::vector<std::string>& changes = *applied;
  if (changes.empty()) return Fail(BadInput("device set: nothing to change"));
  d.updated = std::time(nullptr);
  if (auto s = (*inv)->Update(d); !s) return Fail(s.error());
  const std::string detail = Join(changes);
  (void)(*inv)->AppendEvent(d.id, {std::time(nullptr) * 1000LL, "operator", detail, "cli", ""});
  std::cout << "updated " << d.key() << ": " << detail << "\n";
  return kExitOk;
}

}  // namespace

void AddDeviceCommand(CLI::App& app, Action& action) {
  auto o = std::make_shared<DeviceOptions>();
  auto* cmd = app.add_subcommand("device", "Manage the device inventory");
  cmd->require_subcommand(1);
  auto data_flags = [o](CLI::App* c) {
    c->add_option("--data", o->data.dir, "data directory (default ./stepup-data)");
    c->add_option("--db", o->data.db, "inventory: sqlite:PATH or postgresql://USER@HOST/DB (default DATA/stepup.db)");
  };
  auto* add = cmd->add_subcommand("add", "Add one device");
  add->add_option("--mac", o->mac, "MAC address");
  add->add_option("--serial", o->serial, "serial number");
  add->add_option("--model", o->model, "model (canonical name or alias)")->required();
  add->add_option("--target", o->target, "target load, version or 'latest' (default)");
  add->add_option("--protocol", o->protocol, "sip|sccp|mpp (default: the model's usual one)");
  add->add_option("--firmware", o->firmware, "what the device is known to run");
  add->add_option("--hardware", o->hardware, "hardware revision, e.g. V15");
  add->add_option("--set", o->set, "KEY=VALUE setting (repeatable)");
  add->add_option("--catalog", o->catalog, "catalog TOML file or directory (default: bundled)");
  add->add_flag("--json", o->json, "print JSON");
  data_flags(add);
  add->callback([&action, o] { action = [o] { return RunAdd(*o); }; });

  auto* imp = cmd->add_subcommand("import", "Import devices from CSV (all or nothing)");
  imp->add_option("FILE", o->file, "CSV with a header row: model and mac or serial required")
      ->required();
  imp->add_option("--catalog", o->catalog, "catalog TOML file or directory (default: bundled)");
  data_flags(imp);
  imp->callback([&action, o] { action = [o] { return RunImport(*o); }; });

  auto* list = cmd->add_subcommand("list", "List devices");
  list->add_flag("--json", o->json, "print JSON");
  list->add_flag("--show-secrets", o->secrets, "print passwords instead of ***");
  list->add_option("--state", o->states,
                   "only devices in this state (repeatable): new, upgrading, current, stuck, "
                   "no-path, quarantine, unknown-firmware, probing, ...");
  list->add_flag("--suspicious", o->suspicious,
                 "list the addresses that named unknown devices or failed the identity check "
                 "(+MAC: an enrolled device it named), most first");
  data_flags(list);
  list->callback([&action, o] { action = [o] { return RunList(*o); }; });

  auto* show = cmd->add_subcommand("show", "Show a device and its history");
  show->add_option("KEY", o->key, "MAC or serial")->required();
  show->add_flag("--json", o->json, "print JSON");
  show->add_flag("--show-secrets", o->secrets, "print passwords instead of ***");
  data_flags(show);
  show->callback([&action, o] { action = [o] { return RunShow(*o); }; });

  auto* set =
      cmd->add_subcommand("set", "Change a device: hold/release, target, firmware, settings");
  set->add_option("KEY", o->key, "MAC or serial")->required();
  set->add_flag("--hold", o->hold, "pin: offer no upgrades to this device");
  set->add_flag("--release", o->release, "undo --hold");
  set->add_option("--target", o->target, "target load, version or 'latest'");
  set->add_option("--firmware", o->firmware, "what the device is known to run");
  set->add_option("--protocol", o->protocol, "sip|sccp|mpp");
  set->add_option("--hardware", o->hardware, "hardware revision");
  set->add_option("--set", o->set, "KEY=VALUE setting (repeatable)");
  set->add_option("--unset", o->unset, "remove a setting (repeatable)");
  set->add_option("--catalog", o->catalog, "catalog TOML file or directory (default: bundled)");
  data_flags(set);
  set->callback([&action, o] { action = [o] { return RunSet(*o); }; });
}

}  // namespace stepup::cli
