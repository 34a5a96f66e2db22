// stepup serve [--config FILE] [--data DIR] [--http ADDR:PORT] [--https ADDR:PORT --tls-cert F --tls-key F
//              [--client-ca F] [--require-client-cert] [--tls-legacy]] [--firmware DIR] [--catalog FILE] [--public-url URL]
//              [--threads N] [--stuck-after N] [--auto-enroll MODEL-PATTERN] [--syslog ADDR:PORT]
//              [--tftp-secrets followed|off|any] [--probe-limit SLOW,REFUSE,MINUTES|off]
// The flags and the configuration file (cli/serve_options.h) fill a ServerConfig; the server
// module (server/server.h) assembles and runs it. SIGHUP reloads (Server::Reload).
#include <pthread.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <ctime>
#include <thread>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/bench_report.h"
#include "cli/cli.h"
#include "cli/serve_options.h"
#include "server/server.h"

namespace stepup::cli {
namespace {

// One line of the server's own on stderr (the journal, under systemd): text, or a JSON line
// with --log-format json.
void Say(const ServerConfig& config, const char* level, const std::string& message) {
  if (config.log_format == "json") {
    char when[32];
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    std::cerr << nlohmann::ordered_json{{"time", when}, {"level", level},
                                {"message", message}}
                     .dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
              << "\n";
  } else {
    std::cerr << "stepup: " << message << "\n";
  }
}

// SIGHUP: the configuration file, catalog, templates and defaults read again; a bad one
// changes nothing (the server goes on with what it had) and says why.
void Reload(Server& server, const GivenOptions& given, const std::string& path,
            const ServerConfig& running) {
  auto next = LoadServeConfig(given, path);
  if (!next) {
    Say(running, "error", "SIGHUP: not reloaded (still serving as before): " + next.error().message);
    return;
  }
  auto changes = server.Reload(next->config);
  if (!changes) {
    Say(running, "error", "SIGHUP: not reloaded (still serving as before): " +
                              Locate(changes.error(), *next, path).message);
    return;
  }
  std::string line = "SIGHUP: reloaded";
  for (const auto& c : *changes) line += "; " + c;
  Say(running, "info", line);
}

int RunServe(const LoadedConfig& loaded, const GivenOptions& given, const std::string& path) {
  const ServerConfig& config = loaded.config;
  // SIGINT, SIGTERM and SIGHUP are taken by sigwait below: blocked before any thread starts,
  // so every thread the server starts inherits the mask and none is interrupted.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto opened = Server::Open(config);
  if (!opened) return Fail(Locate(opened.error(), loaded, path));
  Server& server = *opened.value();
  if (auto s = server.Start(); !s) return Fail(Locate(s.error(), loaded, path));
  Say(config, "info", server.Describe());
  // A bench on a terminal: its phones, redrawn every two seconds (the dashboard shows them too).
  std::atomic<bool> stop{false};
  std::thread live;
  if (!config.bench.empty() && isatty(STDERR_FILENO)) {
    live = std::thread([&] {
      while (!stop) {
        auto devices = server.inventory().List();
        if (devices)
          std::cerr << "\033[H\033[J" << BenchTable(*devices, config.bench, std::time(nullptr))
                    << std::flush;
        for (int i = 0; i < 20 && !stop; ++i)
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
  }
  int sig = 0;
  while (sigwait(&signals, &sig) == 0 && sig == SIGHUP) Reload(server, given, path, config);
  stop = true;
  if (live.joinable()) live.join();
  Say(config, "info",
      std::string(sig == SIGINT ? "SIGINT" : "SIGTERM") + ": draining " +
          std::to_string(server.active()) + " connection(s)");
  server.Drain();
  Say(config, "info", "stopped");
  return kExitOk;
}

}  // namespace

void AddServeCommand(CLI::App& app, Action& action) {
  auto o = std::make_shared<ServerConfig>();
  auto* cmd = app.add_subcommand("serve", "Run the provisioning server until SIGINT/SIGTERM (SIGHUP reloads)");
  DeclareServeOptions(*cmd, *o);
  auto config = std::make_shared<std::string>();
  cmd->add_option("--config", *config,
                  "configuration file: TOML, one key per flag of this command by the flag's "
                  "name (http = \"[::]:80\", max-downloads = 50, auto-enroll = [\"SPA5*\"]); "
                  "flags given here win; SIGHUP reads it again");
  cmd->callback([&action, cmd, config, o] {  // o: the flags parse into it
    auto given = GivenOn(*cmd);
    action = [given, config] {
      auto loaded = LoadServeConfig(given, *config);
      if (!loaded) return Fail(loaded.error());
      return RunServe(*loaded, given, *config);
    };
  });
}

}  // namespace stepup::cli
