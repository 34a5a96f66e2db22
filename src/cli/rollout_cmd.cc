// stepup rollout list|create|set|pause|resume|resync|remove|add: rollout groups (issue 18,
// item 4) in the data directory's inventory. A running server reads them within 200 ms; it
// sends the resync triggers itself (a resumed group, an opened window, `rollout resync`), as
// it knows the addresses its phones ask from.
#include <ctime>
#include <iostream>
#include <memory>

#include "app/device_input.h"
#include "app/rollout_groups.h"
#include "cli/cli.h"

namespace stepup::cli {
namespace {

struct RolloutOptions {
  DataOptions data;
  std::string catalog, name, target, window;
  std::vector<std::string> devices, set, unset;
  bool json = false, paused = false;
  bool has_target = false, has_window = false;
};

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<RolloutGroup> Find(const std::vector<RolloutGroup>& groups, const std::string& n) {
  for (const auto& g : groups) {
    if (g.name == n) return g;
  }
  return std::nullopt;
}

std::string Describe(const nlohmann::json& j) {
  std::string line = j["name"].get<std::string>() + ": target " +
                     (j["target"].get<std::string>().empty() ? "(each device's own)"
                                                             : j["target"].get<std::string>());
  line += j["window"].get<std::string>().empty() ? ", any time"
                                                 : ", window " + j["window"].get<std::string>() + " UTC";
  line += j["paused"].get<bool>() ? ", PAUSED" : (j["open"].get<bool>() ? ", open" : ", closed");
  line += "; " + std::to_string(j["members"].get<int>()) + " devices";
  for (const auto& [state, n] : j["by_state"].items())
    line += " " + state + "=" + std::to_string(n.get<int>());
  for (const auto& b : j["behind"]) {
    line += "\n  behind: " + std::to_string(b["devices"].get<int>()) + " " +
            b["model"].get<std::string>() + " target " + b["target"].get<std::string>() +
            ", newest " + b["newest"].get<std::string>() + " (" +
            b["newest_load"].get<std::string>() + ")";
  }
  return line;
}

// Opens what every subcommand needs and runs `fn` with it.
template <typename Fn>
int WithInventory(const RolloutOptions& o, Fn fn) {
  auto cat = OpenCatalogFor(o.data, o.catalog);
  if (!cat) return Fail(cat.error());
  auto inv = OpenData(o.data);
  if (!inv) return Fail(inv.error());
  return fn(*cat, **inv);
}

int List(const RolloutOptions& o) {
  return WithInventory(o, [&](const Catalog& cat, Inventory& inv) {
    auto groups = inv.Groups();
    if (!groups) return Fail(groups.error());
    auto devices = inv.List();
    if (!devices) return Fail(devices.error());
    const int64_t now = NowMs();
    nlohmann::json list = nlohmann::json::array();
    for (const auto& g : *groups)
      list.push_back(GroupToJson(g, ReportGroup(cat, g, *devices, now), now));
    const auto unknown = UnknownGroups(*groups, *devices);
    if (o.json) {
      std::cout << nlohmann::json{{"groups", list}, {"unknown_groups", unknown}}.dump(2) << "\n";
      return kExitOk;
    }
    if (list.empty()) std::cout << "no rollout groups\n";
    for (const auto& j : list) std::cout << Describe(j) << "\n";
    for (const auto& u : unknown)
      std::cout << "devices name group " << u << ", which does not exist: they follow their own "
                << "targets\n";
    return kExitOk;
  });
}

// create, set, pause, resume, resync: one group changed and written.
int Change(const RolloutOptions& o, bool create, GroupChanges c) {
  return WithInventory(o, [&](const Catalog& cat, Inventory& inv) {
    auto groups = inv.Groups();
    if (!groups) return Fail(groups.error());
    auto found = Find(*groups, o.name);
    if (create && found) return Fail(BadInput("rollout group \"" + o.name + "\" exists already"));
    if (!create && !found) return Fail(Unknown("no rollout group \"" + o.name + "\""));
    RolloutGroup g = found ? *found : RolloutGroup{.name = o.name};
    if (o.has_target) c.target = o.target;
    if (o.has_window) c.window = o.window;
    for (const auto& kv : o.set) {
      const size_t eq = kv.find('=');
      if (eq == std::string::npos || eq == 0)
        return Fail(BadInput("--set \"" + kv + "\": expected KEY=VALUE"));
      const std::string k = kv.substr(0, eq), v = kv.substr(eq + 1);
      if (auto s = CheckSetting(k, v); !s) return Fail(BadInput("--set: " + s.error().message));
      c.set[k] = v;
    }
    c.unset = o.unset;
    auto changed = ApplyGroupChanges(cat, g, c, NowMs());
    if (!changed) return Fail(changed.error());
    if (auto s = inv.PutGroup(*changed); !s) return Fail(s.error());
    auto devices = inv.List();
    if (!devices) return Fail(devices.error());
    const int64_t now = NowMs();
    nlohmann::json j = GroupToJson(*changed, ReportGroup(cat, *changed, *devices, now), now);
    std::cout << (o.json ? j.dump(2) : Describe(j)) << "\n";
    if (c.resync && !o.json)
      std::cout << "a running server asks its phones not yet at target to resync within a "
                   "second\n";
    return kExitOk;
  });
}

int Remove(const RolloutOptions& o) {
  return WithInventory(o, [&](const Catalog&, Inventory& inv) {
    if (auto s = inv.RemoveGroup(o.name); !s) return Fail(s.error());
    std::cout << "removed rollout group " << o.name << "; its devices follow their own targets\n";
    return kExitOk;
  });
}

// Devices join the group (their `group` setting), all or none.
int Add(const RolloutOptions& o) {
  return WithInventory(o, [&](const Catalog& cat, Inventory& inv) {
    auto groups = inv.Groups();
    if (!groups) return Fail(groups.error());
    if (!Find(*groups, o.name)) return Fail(Unknown("no rollout group \"" + o.name + "\""));
    std::vector<Device> changed;
    for (const auto& key : o.devices) {
      auto d = inv.FindByKey(key);
      if (!d) return Fail(d.error());
      Device dev = *d;
      DeviceChanges c;
      c.set[kGroupSetting] = o.name;
      auto what = ApplyDeviceChanges(cat, dev, c, [](std::string_view f) {
        return "--" + std::string(f);
      });
      if (!what) return Fail(what.error());
      changed.push_back(std::move(dev));
    }
    for (auto& d : changed) {
      d.updated = NowMs() / 1000;
      if (auto s = inv.Update(d); !s) return Fail(s.error());
      (void)inv.AppendEvent(d.id, {NowMs(), "operator", "set group=" + o.name, "cli", ""});
    }
    std::cout << changed.size() << " devices in rollout group " << o.name << "\n";
    return kExitOk;
  });
}

}  // namespace

void AddRolloutCommand(CLI::App& app, Action& action) {
  auto o = std::make_shared<RolloutOptions>();
  auto* cmd = app.add_subcommand(
      "rollout",
      "Rollout groups: devices with their own target, a maintenance window (UTC) and a pause");
  cmd->require_subcommand(1);
  auto common = [o](CLI::App* c, bool named) {
    c->add_option("--data", o->data.dir, "data directory (default ./stepup-data)");
    c->add_option("--db", o->data.db, "inventory: sqlite:PATH or postgresql://USER@HOST/DB (default DATA/stepup.db)");
    c->add_option("--catalog", o->catalog, "catalog TOML file or directory (default: bundled)");
    c->add_flag("--json", o->json, "print JSON");
    if (named) c->add_option("NAME", o->name, "the group's name")->required();
  };
  auto fields = [o](CLI::App* c) {
    c->add_option("--target", o->target, "load, version or latest (\"\": each device's own)")
        ->each([o](const std::string&) { o->has_target = true; });
    c->add_option("--window", o->window, "upgrades only HH:MM-HH:MM UTC (\"\": any time)")
        ->each([o](const std::string&) { o->has_window = true; });
    c->add_option("--set", o->set,
                  "KEY=VALUE its members get unless they have their own (handoff_url, "
                  "handoff_call_control, handoff_tftp, or any profile setting); repeatable");
    c->add_option("--unset", o->unset, "remove a group setting; repeatable");
  };
  auto* list = cmd->add_subcommand("list", "The groups, their members by state, and targets "
                                           "behind the newest catalogued release");
  common(list, false);
  list->callback([&action, o] { action = [o] { return List(*o); }; });
  auto* create = cmd->add_subcommand("create", "Create a group");
  common(create, true);
  fields(create);
  create->add_flag("--paused", o->paused, "created paused");
  create->callback([&action, o] {
    action = [o] {
      GroupChanges c;
      if (o->paused) c.paused = true;
      return Change(*o, true, c);
    };
  });
  auto* set = cmd->add_subcommand("set", "Change a group's target or window");
  common(set, true);
  fields(set);
  set->callback([&action, o] { action = [o] { return Change(*o, false, {}); }; });
  for (const char* verb : {"pause", "resume"}) {
    const bool pause = std::string_view(verb) == "pause";
    auto* c = cmd->add_subcommand(verb, pause ? "Offer the group's phones no upgrade until resumed"
                                              : "Resume a paused group; a running server asks "
                                                "its phones to resync");
    common(c, true);
    c->callback([&action, o, pause] {
      action = [o, pause] {
        GroupChanges ch;
        ch.paused = pause;
        return Change(*o, false, ch);
      };
    });
  }
  auto* resync = cmd->add_subcommand(
      "resync", "Ask the group's phones not yet at target to resync now (through the running "
                "server: the SPA/MPP resync URL)");
  common(resync, true);
  resync->callback([&action, o] {
    action = [o] {
      GroupChanges c;
      c.resync = true;
      return Change(*o, false, c);
    };
  });
  auto* remove = cmd->add_subcommand("remove", "Remove a group (its devices keep their own targets)");
  common(remove, true);
  remove->callback([&action, o] { action = [o] { return Remove(*o); }; });
  auto* add = cmd->add_subcommand("add", "Put devices (MAC or serial) in a group");
  common(add, true);
  add->add_option("DEVICE", o->devices, "MAC or serial")->required();
  add->callback([&action, o] { action = [o] { return Add(*o); }; });
}

}  // namespace stepup::cli
