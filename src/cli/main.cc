// stepup: one binary, one subcommand per file under cli/.
#include <cerrno>
#include <cstring>
#include <iostream>

#include "cli/cli.h"
#include "core/identify.h"

namespace stepup::cli {

const char* const kExitCodesHelp =
    "Exit codes: 0 success; 1 a negative verdict (trust check: the chain rejected; simulate: a "
    "phone not current); 2 bad input "
    "or usage; 3 no upgrade path; 4 unknown device or model; 5 an I/O failure (a file, "
    "directory, socket or the database).";

int Fail(const Error& e) {
  std::cerr << "stepup: " << e.message << "\n";
  switch (e.kind) {
    case ErrorKind::kBadInput:
      return kExitBadInput;
    case ErrorKind::kNoPath:
      return kExitNoPath;
    case ErrorKind::kUnknown:
      return kExitUnknown;
    case ErrorKind::kIo:
      return kExitIo;
  }
  return kExitBadInput;
}

Error FileError(const std::string& what) {
  const int err = errno;
  if (err == 0) return BadInput(what);  // no reason known: as before, the operator's to check
  const std::string message = what + ": " + std::strerror(err);
  return err == ENOENT || err == ENOTDIR ? BadInput(message) : IoError(message);
}

std::string NormalizeKey(const std::string& key) { return NormalizeMac(key); }

}  // namespace stepup::cli

int main(int argc, char** argv) {
  using namespace stepup::cli;
  CLI::App app{"stepup: zero-touch provisioning and multi-hop firmware upgrades for IP phones"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "stepup 0.1.0");
  Action action;
  AddVersionCommand(app, action);
  AddCatalogCommand(app, action);
  AddPlanCommand(app, action);
  AddIdentifyCommand(app, action);
  AddDeviceCommand(app, action);
  AddRenderCommand(app, action);
  AddServeCommand(app, action);
  AddFirmwareCommand(app, action);
  AddSimulateCommand(app, action);
  AddTrustCommand(app, action);
  AddAuditCommand(app, action);
  AddDhcpCommand(app, action);
  AddRolloutCommand(app, action);
  AddReportCommand(app, action);
  AddConfigCommand(app, action);
  AddDbCommand(app, action);
  app.footer(kExitCodesHelp);
  for (CLI::App* sub : app.get_subcommands({})) {
    sub->footer(kExitCodesHelp);
    for (CLI::App* leaf : sub->get_subcommands({})) leaf->footer(kExitCodesHelp);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitBadInput;
  }
  if (!action) {
    std::cerr << app.help();
    return kExitBadInput;
  }
  try {
    return action();
  } catch (const std::exception& e) {  // a bug: every expected failure is a Result
    std::cerr << "stepup: internal error: " << e.what() << "\n";
    return 70;
  }
}
