// The `stepup serve` settings: every flag, and the configuration file that gives the same
// settings by the flags' names (/etc/stepup/stepup.toml when installed, --config FILE). The
// command line wins over the file, the file over the defaults. Shared by `serve` (at start
// and on SIGHUP) and `stepup config check`.
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "server/server.h"

namespace stepup::cli {

// The configuration file an installed stepup reads (the package's systemd unit names it).
inline constexpr const char* kSystemConfig = "/etc/stepup/stepup.toml";

// Declares every `stepup serve` flag on `cmd`, filling `o`.
void DeclareServeOptions(CLI::App& cmd, ServerConfig& o);

// What the command line gave, by option name ("--http"), to give again over a re-read file.
using GivenOptions = std::vector<std::pair<std::string, std::vector<std::string>>>;
GivenOptions GivenOn(const CLI::App& cmd);

// A serve configuration and, for each key the file set, its line.
struct LoadedConfig {
  ServerConfig config;
  std::map<std::string, int> lines;
};
// The defaults, then the file at `path` ("" : none), then `given`. Errors name the file, the
// line and the key: a key that is no serve flag, a value of the wrong type or one the flag's
// own check refuses, a file that is not TOML.
Result<LoadedConfig> LoadServeConfig(const GivenOptions& given, const std::string& path);
// An error of Server::Check or Server::Open ("--http ...") with the file and line of the key
// it names, when the file set it.
Error Locate(const Error& e, const LoadedConfig& loaded, const std::string& path);

}  // namespace stepup::cli
