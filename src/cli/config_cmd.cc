// stepup config check [--config FILE]: reads a serve configuration file as `serve` would and
// checks every setting (addresses, TLS files, limits, catalog, templates, operator defaults)
// without opening the inventory or binding anything. Errors name the file, line and key.
#include <iostream>

#include "cli/cli.h"
#include "cli/serve_options.h"

namespace stepup::cli {
namespace {

int RunCheck(const std::string& path) {
  auto loaded = LoadServeConfig({}, path);
  if (!loaded) return Fail(loaded.error());
  if (auto s = Server::Check(loaded->config); !s) return Fail(Locate(s.error(), *loaded, path));
  std::cout << path << ": ok (" << loaded->lines.size() << " settings)\n";
  return kExitOk;
}

}  // namespace

void AddConfigCommand(CLI::App& app, Action& action) {
  auto* config = app.add_subcommand("config", "The serve configuration file");
  config->require_subcommand(1);
  auto path = std::make_shared<std::string>(kSystemConfig);
  auto* check = config->add_subcommand(
      "check", "Check a configuration file as serve would read it, without starting");
  check->add_option("--config", *path, "the file")->capture_default_str();
  check->callback([&action, path] { action = [path] { return RunCheck(*path); }; });
}

}  // namespace stepup::cli
