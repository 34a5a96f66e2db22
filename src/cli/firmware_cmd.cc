// stepup firmware fake --out DIR [--model M] [--load L] [--signed-with KEY] [--size BYTES] [--json]
// (firmware import: firmware_import_cmd.cc; firmware list: firmware_list_cmd.cc)
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "sim/fake_image.h"

namespace stepup::cli {
namespace {

struct FakeCmdOptions {
  std::string out, catalog;
  sim::FakeOptions fake;
  bool json = false;
};

int RunFake(const FakeCmdOptions& o) {
  auto cat = OpenCatalog(o.catalog);
  if (!cat) return Fail(cat.error());
  if (!o.fake.signed_with.empty()) {
    bool known = false;
    for (const auto& k : cat->keys) known = known || k.id == o.fake.signed_with;
    if (!known) return Fail(BadInput("--signed-with: unknown key \"" + o.fake.signed_with + "\""));
  }
  auto files = sim::FakeFirmware(*cat, o.fake);
  if (!files) return Fail(files.error());
  std::error_code ec;
  std::filesystem::create_directories(o.out, ec);
  if (ec) return Fail(IoError("--out \"" + o.out + "\": " + ec.message()));
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [name, bytes] : *files) {
    std::filesystem::path path = std::filesystem::path(o.out) / name;
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!f) return Fail(FileError("cannot write \"" + path.string() + "\""));
    list.push_back(name);
  }
  if (o.json) {
    std::cout << nlohmann::json{{"out", o.out}, {"files", list}}.dump() << "\n";
  } else {
    std::cout << "stepup: wrote " << list.size() << " fake images (test fixtures, not vendor "
              << "images) to " << o.out << "\n";
  }
  return kExitOk;
}

}  // namespace

void AddFirmwareCommand(CLI::App& app, Action& action) {
  auto* fw = app.add_subcommand("firmware", "Firmware repository tools");
  fw->require_subcommand(1);
  auto o = std::make_shared<FakeCmdOptions>();
  auto* fake = fw->add_subcommand(
      "fake", "Write synthetic images (clearly marked test fixtures) under catalog file names");
  fake->add_option("--out", o->out, "Directory to write into")->required();
  fake->add_option("--model", o->fake.model, "Only this model's family");
  fake->add_option("--load", o->fake.load, "Only this load");
  fake->add_option("--signed-with", o->fake.signed_with,
                   "Mark the images as signed with this key instead of the catalog's");
  fake->add_option("--size", o->fake.size, "Bytes per image file")
      ->check(CLI::Range(size_t{256}, size_t{1} << 30))
      ->capture_default_str();
  fake->add_option("--catalog", o->catalog, "Catalog file or directory");
  fake->add_flag("--json", o->json, "JSON output");
  fake->callback([o, &action] { action = [o] { return RunFake(*o); }; });
  AddFirmwareImport(*fw, action);
  AddFirmwareList(*fw, action);
}

}  // namespace stepup::cli
