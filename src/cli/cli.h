// Shared pieces of the command-line front end: each subcommand file registers itself on the
// CLI11 app and sets the action main() runs after parsing.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>

#include "core/catalog.h"
#include "core/render.h"
#include "core/result.h"
#include "store/inventory.h"

namespace stepup::cli {

using Action = std::function<int()>;

// Exit codes from contract.md, and 5 for I/O (contract.md names none: the next free one).
constexpr int kExitOk = 0;
constexpr int kExitNegative = 1;
constexpr int kExitBadInput = 2;
constexpr int kExitNoPath = 3;
constexpr int kExitUnknown = 4;
constexpr int kExitIo = 5;  // a file, directory, socket or the database failed
// The footer of every command's --help: what its exit codes mean.
extern const char* const kExitCodesHelp;

// Prints the error on stderr and returns its exit code.
int Fail(const Error& e);
// A file the operator named could not be opened (`what`, with errno's reason added): bad input
// when it does not exist, an I/O error otherwise (permissions, a full disk).
Error FileError(const std::string& what);

// The bundled catalog, or the file/directory given with --catalog.
Result<Catalog> OpenCatalog(const std::string& catalog_path);

// Where the inventory, firmware and template overrides live.
struct DataOptions {
  std::string dir = "./stepup-data";
  std::string db;  // "" : sqlite:DIR/stepup.db
};

// Opens (creating the data directory if needed) the inventory of --data/--db.
Result<std::unique_ptr<Inventory>> OpenData(const DataOptions& data);
// The shipped templates with DIR/templates/*.mustache overrides.
Result<Renderer> OpenTemplates(const DataOptions& data);
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

// A MAC in any common notation as 12 lower-case hex digits, "" if it is not one.
std::string NormalizeKey(const std::string& key);

void AddVersionCommand(CLI::App& app, Action& action);
void AddDeviceCommand(CLI::App& app, Action& action);
void AddRenderCommand(CLI::App& app, Action& action);
void AddServeCommand(CLI::App& app, Action& action);
void AddCatalogCommand(CLI::App& app, Action& action);
void AddPlanCommand(CLI::App& app, Action& action);
void AddIdentifyCommand(CLI::App& app, Action& action);
void AddFirmwareCommand(CLI::App& app, Action& action);
void AddSimulateCommand(CLI::App& app, Action& action);

}  // namespace stepup::cli
