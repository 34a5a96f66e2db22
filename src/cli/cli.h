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
#include "server/workspace.h"

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
void AddTrustCommand(CLI::App& app, Action& action);
void AddAuditCommand(CLI::App& app, Action& action);
void AddDhcpCommand(CLI::App& app, Action& action);
void AddRolloutCommand(CLI::App& app, Action& action);
void AddReportCommand(CLI::App& app, Action& action);
void AddConfigCommand(CLI::App& app, Action& action);
void AddDbCommand(CLI::App& app, Action& action);
// `firmware import` and `firmware list`, under the `firmware` command.
void AddFirmwareImport(CLI::App& firmware, Action& action);
void AddFirmwareList(CLI::App& firmware, Action& action);
// `catalog update`, under the `catalog` command.
void AddCatalogUpdate(CLI::App& catalog, Action& action);

}  // namespace stepup::cli
