// stepup render --mac M [--running LOAD_OR_VERSION] [--data DIR] [--firmware DIR]
#include <ctime>
#include <iostream>
#include <memory>

#include "app/device_profile.h"
#include "cli/cli.h"
#include "store/firmware_dir.h"

namespace stepup::cli {
namespace {

struct RenderOptions {
  DataOptions data;
  std::string catalog, key, serial, running, firmware, base_url = "http://127.0.0.1:8069";
  int attempt = 0;
  bool quiet = false;
};

int RunRender(const RenderOptions& o) {
  auto opened = OpenWorkspace(o.data, o.catalog);
  if (!opened) return Fail(opened.error());
  Workspace& ws = opened.value();
  std::string mac = NormalizeKey(o.key);
  if (!o.key.empty() && mac.empty())
    return Fail(BadInput("--mac \"" + o.key + "\" is not a MAC address"));
  auto found = ws.inventory->Find(mac, o.serial);
  if (!found) return Fail(found.error());
  if (!found->has_value()) {
    return Fail(
        Unknown("no device \"" + (o.key.empty() ? o.serial : o.key) + "\" in the inventory"));
  }
  auto avail = FirmwareAvailability(ws.catalog, o.data, o.firmware);
  if (!avail) return Fail(avail.error());
  ProfileSetup setup;
  setup.catalog = &ws.catalog;
  setup.renderer = &ws.renderer;
  setup.available = avail->has_value() ? &**avail : nullptr;
  setup.base_url = o.base_url;
  setup.defaults = ws.defaults;
  setup.now = std::time(nullptr);
  auto p = RenderForDevice(setup, **found, o.running, o.attempt);
  if (!p) return Fail(p.error());
  std::cout << p->rendered.body;
  if (!o.quiet) {
    if (p->next) {
      std::cerr << "stepup: offering " << p->next->load << " (" << p->next->version_label << ")\n";
    } else if (!p->note.empty()) {
      std::cerr << "stepup: no upgrade offered: " << p->note << "\n";
    }
  }
  return kExitOk;
}

}  // namespace

void AddRenderCommand(CLI::App& app, Action& action) {
  auto o = std::make_shared<RenderOptions>();
  auto* cmd = app.add_subcommand("render", "Print the configuration a device would get now");
  cmd->add_option("--mac", o->key, "the device's MAC");
  cmd->add_option("--serial", o->serial, "the device's serial (when it has no MAC)");
  cmd->add_option("--running", o->running, "what it runs now (default: its recorded firmware)");
  cmd->add_option("--firmware", o->firmware,
                  "firmware directory (default DATA/firmware if present)");
  cmd->add_option("--base-url", o->base_url, "URL written into the profile")->capture_default_str();
  cmd->add_option("--attempt", o->attempt, "how many times this hop was offered before");
  cmd->add_option("--catalog", o->catalog, "catalog TOML file or directory (default: bundled)");
  cmd->add_option("--data", o->data.dir, "data directory (default ./stepup-data)");
  cmd->add_option("--db", o->data.db, "inventory: sqlite:PATH or postgresql://USER@HOST/DB (default DATA/stepup.db)");
  cmd->add_flag("--quiet", o->quiet, "no note on stderr");
  cmd->callback([&action, o] { action = [o] { return RunRender(*o); }; });
}

}  // namespace stepup::cli
