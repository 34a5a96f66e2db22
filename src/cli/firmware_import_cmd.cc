// stepup firmware import FILE... [--data DIR] [--firmware DIR] [--catalog PATH] [--json]
// Places Cisco downloads (zip, tar, tar.gz, COP, plain images) in the firmware repository and
// says, per file, what it placed and which catalog loads are now complete or still missing.
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "core/firmware_repo.h"
#include "core/text.h"
#include "store/firmware_dir.h"
#include "store/firmware_import.h"
#include "store/private_files.h"

namespace stepup::cli {
namespace {

struct ImportOptions {
  DataOptions data;
  std::string firmware, catalog;
  std::vector<std::string> files;
  bool json = false;
};

// The names on hand that pass the catalog's checks; none when the repository is not there yet.
std::unordered_set<std::string> OnHand(const std::string& dir,
                                       const std::unordered_map<std::string, FileCheck>& checks) {
  auto names = ListFirmwareNames(dir, checks, nullptr);
  return names ? std::move(names).value() : std::unordered_set<std::string>();
}

nlohmann::json LoadRef(const LoadState& s) {
  return {{"family", s.load->family}, {"load", s.load->load}, {"version", s.load->version_label}};
}

nlohmann::json Report(const std::string& file, DownloadKind kind, const ImportResult& r,
                      const std::vector<LoadState>& loads) {
  nlohmann::json placed = nlohmann::json::array(), skipped = nlohmann::json::array(),
                 rejected = nlohmann::json::array(), complete = nlohmann::json::array(),
                 incomplete = nlohmann::json::array();
  for (const auto& p : r.placed) {
    placed.push_back({{"name", p.name}, {"member", p.member}, {"replaced", p.replaced}});
  }
  for (const auto& s : r.skipped) skipped.push_back({{"member", s.member}, {"why", s.why}});
  for (const auto& s : r.rejected) rejected.push_back({{"member", s.member}, {"why", s.why}});
  for (const auto& l : loads) {
    if (l.complete) {
      complete.push_back(LoadRef(l));
    } else {
      nlohmann::json j = LoadRef(l);
      j["missing"] = l.missing;
      incomplete.push_back(std::move(j));
    }
  }
  return {{"file", file},
          {"kind", std::string(DownloadKindName(kind))},
          {"placed", placed},
          {"skipped", skipped},
          {"rejected", rejected},
          {"complete", complete},
          {"incomplete", incomplete}};
}

void PrintText(const nlohmann::json& j, const std::string& dir) {
  std::cout << j["file"].get<std::string>() << " (" << j["kind"].get<std::string>()
            << "): " << j["placed"].size() << " placed in " << dir << "\n";
  for (const auto& p : j["placed"]) {
    std::cout << "  placed     " << p["name"].get<std::string>()
              << (p["replaced"].get<bool>() ? " (replaced the one there)" : "") << "\n";
  }
  for (const auto& s : j["rejected"]) {
    std::cout << "  rejected   " << s["member"].get<std::string>() << ": "
              << s["why"].get<std::string>() << "\n";
  }
  for (const auto& s : j["skipped"]) {
    std::cout << "  skipped    " << s["member"].get<std::string>() << ": "
              << s["why"].get<std::string>() << "\n";
  }
  for (const auto& l : j["complete"]) {
    std::cout << "  complete   " << l["family"].get<std::string>() << " "
              << l["load"].get<std::string>() << " (" << l["version"].get<std::string>() << ")\n";
  }
  for (const auto& l : j["incomplete"]) {
    std::cout << "  incomplete " << l["family"].get<std::string>() << " "
              << l["load"].get<std::string>() << " (" << l["version"].get<std::string>()
              << "), still missing: " << Join(l["missing"].get<std::vector<std::string>>()) << "\n";
  }
}

int RunImport(const ImportOptions& o) {
  auto cat = OpenCatalogFor(o.data, o.catalog);
  if (!cat) return Fail(cat.error());
  if (o.firmware.empty()) {
    // The data directory also holds the inventory's secrets: created private, as OpenData does.
    std::vector<std::string> notes;
    if (auto s = MakeDirPrivate(o.data.dir, notes); !s) return Fail(s.error());
    for (const auto& n : notes) std::cerr << "stepup: " << n << "\n";
  }
  const std::string dir = FirmwareDir(o.data, o.firmware);
  const auto checks = FileChecks(*cat);
  const auto files = CatalogFiles(*cat), bundles = CatalogBundles(*cat), names = CatalogNames(*cat);
  int code = kExitOk;
  auto fail = [&code](const Error& e) {
    const int c = Fail(e);
    if (code == kExitOk) code = c;
  };
  nlohmann::json imports = nlohmann::json::array();
  for (const auto& file : o.files) {
    const std::string base = std::filesystem::path(file).filename().string();
    ImportRequest req;
    req.file = file;
    req.dir = dir;
    req.kind = ClassifyDownload(base, files);
    if (req.kind == DownloadKind::kUnknown) {
      Error e = BadInput("\"" + file +
                         "\": not a download stepup knows: .zip, .tar, .tar.gz, "
                         ".tgz, .cop, .cop.sgn, .k3/.k4.cop.sha512, or an image (.bin, .loads, "
                         ".sbn, .sb2, .zup, .img, .zz, or a file name the catalog lists)");
      fail(e);
      imports.push_back({{"file", file}, {"error", e.message}});
      continue;
    }
    req.wanted = [&names](const std::string& lower) {
      return IsImageName(lower) || names.count(lower) > 0;
    };
    // A catalog bundle is itself what makes its load available (core/catalog.h LoadAvailable).
    req.keep_archive = req.kind != DownloadKind::kImage && bundles.count(ToLower(base)) > 0;
    req.checks = &checks;
    const auto before = OnHand(dir, checks);
    auto r = ImportDownload(req);
    if (!r) {
      fail(r.error());
      imports.push_back({{"file", file}, {"error", r.error().message}});
      continue;
    }
    std::vector<std::string> placed;
    for (const auto& p : r->placed) placed.push_back(ToLower(p.name));
    const auto loads = LoadsAfterImport(*cat, placed, before, OnHand(dir, checks));
    nlohmann::json j = Report(file, req.kind, *r, loads);
    if (!o.json) PrintText(j, dir);
    imports.push_back(std::move(j));
    if (!r->rejected.empty()) {
      fail(BadInput("\"" + file + "\": " + std::to_string(r->rejected.size()) +
                    " file(s) not placed: not what the catalog says (" +
                    r->rejected.front().member + " " + r->rejected.front().why + ")"));
    }
  }
  if (o.json) {
    std::cout << nlohmann::json{{"repository", dir}, {"imports", std::move(imports)}}.dump(2)
              << "\n";
  }
  return code;
}

}  // namespace

void AddFirmwareImport(CLI::App& firmware, Action& action) {
  auto o = std::make_shared<ImportOptions>();
  auto* cmd = firmware.add_subcommand(
      "import", "Place Cisco downloads (zip, tar, tar.gz, COP, images) in the firmware repository");
  cmd->add_option("files", o->files, "the downloads")->required();
  cmd->add_option("--data", o->data.dir, "data directory (default ./stepup-data)");
  cmd->add_option("--firmware", o->firmware, "firmware repository (default DATA/firmware)");
  cmd->add_option("--catalog", o->catalog, "catalog TOML file or directory (default: bundled)");
  cmd->add_flag("--json", o->json, "print JSON");
  cmd->callback([&action, o] { action = [o] { return RunImport(*o); }; });
}

}  // namespace stepup::cli
