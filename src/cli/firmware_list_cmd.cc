// stepup firmware list [--data DIR] [--db URL] [--firmware DIR] [--catalog PATH] [--json]
// The firmware repository against the catalog (per family: loads complete, loads missing
// files) and against the inventory (devices whose chain needs an image the repository lacks).
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <iostream>
#include <memory>

#include "app/device_input.h"
#include "app/firmware_report.h"
#include "cli/cli.h"
#include "store/firmware_dir.h"

namespace stepup::cli {
namespace {

struct ListOptions {
  DataOptions data;
  std::string firmware, catalog, fleet;
  bool json = false, needed = false;
};

int RunList(const ListOptions& o) {
  auto cat = OpenCatalogFor(o.data, o.catalog);
  if (!cat) return Fail(cat.error());
  const std::string dir = FirmwareDir(o.data, o.firmware);
  FirmwareReportInput in;
  in.catalog = &cat.value();
  in.now = std::time(nullptr);
  std::unordered_set<std::string> on_hand;
  if (std::filesystem::is_directory(dir)) {
    std::vector<RejectedFile> rejected;
    auto names = ListFirmwareNames(dir, FileChecks(*cat), &rejected);
    if (!names) return Fail(names.error());
    on_hand = std::move(names).value();
    for (auto& r : rejected) in.rejected.emplace_back(r.name, r.why);
  } else if (!o.firmware.empty()) {
    return Fail(BadInput("--firmware \"" + o.firmware + "\" is not a directory"));
  } else {
    std::cerr << "stepup: no firmware repository at " << dir
              << " yet (stepup firmware import FILE... places images there)\n";
  }
  in.on_hand = &on_hand;
  std::vector<Device> devices;
  if (!o.fleet.empty()) {  // a lot to buy: models and the releases they run, no inventory
    std::ifstream f(o.fleet, std::ios::binary);
    if (!f) return Fail(FileError("--fleet \"" + o.fleet + "\""));
    std::stringstream text;
    text << f.rdbuf();
    auto parsed = DevicesFromCsv(*cat, text.str(), std::time(nullptr), o.fleet);
    if (!parsed) return Fail(parsed.error());
    devices = std::move(parsed).value();
  } else {
    auto inv = OpenData(o.data);
    if (!inv) return Fail(inv.error());
    auto listed = (*inv)->List();
    if (!listed) return Fail(listed.error());
    devices = std::move(listed).value();
  }
  if (o.needed) {
    const auto needs = DeviceNeeds(in, devices);
    std::cout << (o.json ? FirmwareNeededJson(needs) : FirmwareNeededText(needs));
    return kExitOk;
  }
  const auto families = RepositoryState(*cat, on_hand);
  const auto needs = DeviceNeeds(in, devices);
  std::cout << (o.json ? FirmwareListJson(in, families, needs)
                       : FirmwareListText(in, families, needs));
  return kExitOk;
}

}  // namespace

void AddFirmwareList(CLI::App& firmware, Action& action) {
  auto o = std::make_shared<ListOptions>();
  auto* cmd = firmware.add_subcommand(
      "list", "The firmware repository against the catalog and the devices it must serve");
  cmd->add_option("--data", o->data.dir, "data directory (default ./stepup-data)");
  cmd->add_option("--db", o->data.db, "inventory: sqlite:PATH or postgresql://USER@HOST/DB (default DATA/stepup.db)");
  cmd->add_option("--firmware", o->firmware, "firmware repository (default DATA/firmware)");
  cmd->add_option("--catalog", o->catalog, "catalog TOML file or directory (default: bundled)");
  cmd->add_flag("--json", o->json, "print JSON");
  cmd->callback([&action, o] { action = [o] { return RunList(*o); }; });

  auto n = std::make_shared<ListOptions>();
  n->needed = true;
  auto* needed = firmware.add_subcommand(
      "needed", "The images to obtain, by model, with the phones each unblocks (the inventory, "
                "or a CSV of models and the releases they run)");
  needed->add_option("--data", n->data.dir, "data directory (default ./stepup-data)");
  needed->add_option("--db", n->data.db, "inventory: sqlite:PATH or postgresql://USER@HOST/DB (default DATA/stepup.db)");
  needed->add_option("--firmware", n->firmware, "firmware repository (default DATA/firmware)");
  needed->add_option("--catalog", n->catalog, "catalog TOML file or directory (default: bundled)");
  needed->add_option("--fleet", n->fleet,
                     "CSV of phones instead of the inventory: model, mac or serial, firmware, "
                     "target (as device import)");
  needed->add_flag("--json", n->json, "print JSON (contract.md \"Operations\")");
  needed->callback([&action, n] { action = [n] { return RunList(*n); }; });
}

}  // namespace stepup::cli
