#include "server/workspace.h"

#include <toml++/toml.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/device_input.h"
#include "core/catalog_loader.h"
#include "store/firmware_dir.h"
#include "store/inventory.h"
#include "store/private_files.h"

namespace stepup {

Result<Catalog> OpenCatalog(const std::string& catalog_path) {
  if (catalog_path.empty()) return LoadCatalog(BundledCatalog());
  auto sources = ReadCatalogPath(catalog_path);
  if (!sources) return sources.error();
  return LoadCatalog(*sources);
}

std::string CatalogDir(const DataOptions& data) {
  return (std::filesystem::path(data.dir) / "catalog.d").string();
}

Result<Catalog> OpenCatalogFor(const DataOptions& data, const std::string& catalog_path,
                               const std::vector<EmbeddedFile>& extra) {
  std::vector<EmbeddedFile> sources;
  if (catalog_path.empty()) {
    sources = BundledCatalog();
  } else {
    auto read = ReadCatalogPath(catalog_path);
    if (!read) return read.error();
    sources = std::move(read).value();
  }
  std::error_code ec;
  const std::string dir = CatalogDir(data);
  bool any = false;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    any = any || it->path().extension() == ".toml";
  if (any) {
    auto more = ReadCatalogPath(dir);
    if (!more) return more.error();
    for (auto& f : *more) {
      // A file `extra` replaces (catalog update of a newer version of the same file).
      bool replaced = false;
      for (const auto& e : extra) replaced = replaced || e.name == f.name;
      if (!replaced) sources.push_back(std::move(f));
    }
  }
  sources.insert(sources.end(), extra.begin(), extra.end());
  return LoadCatalog(sources);
}

Result<std::unique_ptr<Inventory>> OpenData(const DataOptions& data) {
  // The data directory and the inventory hold every device's secrets: private to this user.
  std::vector<std::string> notes;
  auto opened = [&]() -> Result<std::unique_ptr<Inventory>> {
    if (!data.db.empty()) return OpenInventory(data.db, &notes);
    if (auto s = MakeDirPrivate(data.dir, notes); !s) return s.error();
    return OpenInventory("sqlite:" + (std::filesystem::path(data.dir) / "stepup.db").string(),
                         &notes);
  }();
  for (const auto& n : notes) std::cerr << "stepup: " << n << "\n";
  return opened;
}

Result<Renderer> OpenTemplates(const DataOptions& data) {
  std::vector<EmbeddedFile> overrides;
  std::filesystem::path dir = std::filesystem::path(data.dir) / "templates";
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() != ".mustache") continue;
    std::ifstream in(it->path(), std::ios::binary);
    if (!in) return IoError("cannot read template \"" + it->path().string() + "\"");
    std::stringstream ss;
    ss << in.rdbuf();
    overrides.push_back({it->path().string(), ss.str()});
  }
  if (ec && ec != std::errc::no_such_file_or_directory)
    return IoError("\"" + dir.string() + "\": " + ec.message());
  return Renderer::Create(BundledTemplates(), overrides);
}

std::string FirmwareDir(const DataOptions& data, const std::string& firmware_dir) {
  if (!firmware_dir.empty()) return firmware_dir;
  return (std::filesystem::path(data.dir) / "firmware").string();
}

Result<std::optional<std::unordered_set<const Load*>>> FirmwareAvailability(
    const Catalog& catalog, const DataOptions& data, const std::string& firmware_dir) {
  const std::string dir = FirmwareDir(data, firmware_dir);
  if (firmware_dir.empty() && !std::filesystem::is_directory(dir)) {
    return std::optional<std::unordered_set<const Load*>>();
  }
  auto names = ListFirmwareNames(dir, FileChecks(catalog), nullptr);
  if (!names) return names.error();
  std::unordered_set<const Load*> out;
  for (const auto& l : catalog.loads) {
    if (LoadAvailable(l, *names)) out.insert(&l);
  }
  return std::optional<std::unordered_set<const Load*>>(std::move(out));
}

Result<Workspace> OpenWorkspace(const DataOptions& data, const std::string& catalog_path) {
  auto cat = OpenCatalogFor(data, catalog_path);
  if (!cat) return cat.error();
  auto templates = OpenTemplates(data);
  if (!templates) return templates.error();
  auto inv = OpenData(data);
  if (!inv) return inv.error();
  auto defaults = OpenDefaults(data);
  if (!defaults) return defaults.error();
  return Workspace{std::move(cat).value(), std::move(templates).value(), std::move(inv).value(),
                   std::move(defaults).value()};
}

Result<Settings> OpenDefaults(const DataOptions& data) {
  std::filesystem::path path = std::filesystem::path(data.dir) / "defaults.toml";
  if (!std::filesystem::exists(path)) return Settings{};
  toml::table t;
  try {
    t = toml::parse_file(path.string());
  } catch (const toml::parse_error& e) {
    return BadInput(path.string() + ":" + std::to_string(e.source().begin.line) + ": " +
                    std::string(e.description()));
  }
  Settings out;
  for (const auto& [k, v] : t) {
    std::string key(k.str());
    std::string where = path.string() + ":" + std::to_string(v.source().begin.line) + ": " + key;
    std::string value;
    if (auto s = v.value<std::string>()) {
      value = *s;
    } else if (auto i = v.value<int64_t>()) {
      value = std::to_string(*i);
    } else if (auto b = v.value<bool>()) {
      value = *b ? "Yes" : "No";
    } else {
      return BadInput(where + ": defaults are flat KEY = \"value\" pairs");
    }
    if (auto c = CheckSetting(key, value); !c) return BadInput(where + ": " + c.error().message);
    out[key] = value;
  }
  return out;
}

}  // namespace stepup
