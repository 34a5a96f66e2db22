// What the commands that work on a data directory open (serve, render, device): the catalog
// (bundled or --catalog), the templates with the operator's overrides, the inventory of
// --data/--db, and the operator's defaults. Part of the server module: it picks the store
// layer's implementations behind the application's interfaces.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_set>

#include "app/inventory.h"
#include "core/catalog.h"
#include "core/embedded_files.h"
#include "core/render.h"
#include "core/result.h"

namespace stepup {

// The bundled catalog, or the file/directory given with --catalog.
Result<Catalog> OpenCatalog(const std::string& catalog_path);

// Where the inventory, firmware and template overrides live.
struct DataOptions {
  std::string dir = "./stepup-data";
  std::string db;  // "" : sqlite:DIR/stepup.db
};

// The catalog with the data directory's additions: the bundled one (or --catalog) and every
// DIR/catalog.d/*.toml (`stepup catalog update` puts them there), validated as one catalog,
// plus `extra` sources (a file named like one in catalog.d replaces it).
Result<Catalog> OpenCatalogFor(const DataOptions& data, const std::string& catalog_path,
                               const std::vector<EmbeddedFile>& extra = {});
// DIR/catalog.d.
std::string CatalogDir(const DataOptions& data);

// Opens (creating the data directory if needed) the inventory of --data/--db.
Result<std::unique_ptr<Inventory>> OpenData(const DataOptions& data);
// The shipped templates with DIR/templates/*.mustache overrides.
Result<Renderer> OpenTemplates(const DataOptions& data);
// The firmware repository: --firmware DIR when given, else DIR/firmware of the data directory.
std::string FirmwareDir(const DataOptions& data, const std::string& firmware_dir);
// Loads available from --firmware DIR, else DIR/firmware when it exists; nullopt (every
// catalog load) when neither is there.
Result<std::optional<std::unordered_set<const Load*>>> FirmwareAvailability(
    const Catalog& catalog, const DataOptions& data, const std::string& firmware_dir);
// Operator defaults under every device's settings: DIR/defaults.toml, a flat table of
// KEY = "value" (absent file: none). Errors name the file, line and key.
Result<Settings> OpenDefaults(const DataOptions& data);
// What `render` and `serve` work from: catalog, templates, inventory and operator defaults.
struct Workspace {
  Catalog catalog;
  Renderer renderer;
  std::unique_ptr<Inventory> inventory;
  Settings defaults;
};
Result<Workspace> OpenWorkspace(const DataOptions& data, const std::string& catalog_path);

}  // namespace stepup
