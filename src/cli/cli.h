// Shared pieces of the command-line front end: each subcommand file registers itself on the
// CLI11 app and sets the action main() runs after parsing.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "core/catalog.h"
#include "core/result.h"

namespace stepup::cli {

using Action = std::function<int()>;

// Exit codes from contract.md.
constexpr int kExitOk = 0;
constexpr int kExitNegative = 1;
constexpr int kExitBadInput = 2;
constexpr int kExitNoPath = 3;
constexpr int kExitUnknown = 4;

// Prints the error on stderr and returns its exit code.
int Fail(const Error& e);

// The bundled catalog, or the file/directory given with --catalog.
Result<Catalog> OpenCatalog(const std::string& catalog_path);

void AddVersionCommand(CLI::App& app, Action& action);
void AddCatalogCommand(CLI::App& app, Action& action);
void AddPlanCommand(CLI::App& app, Action& action);
void AddIdentifyCommand(CLI::App& app, Action& action);

}  // namespace stepup::cli
