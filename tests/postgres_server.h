// Test helper: one throwaway PostgreSQL server per test binary run, started on first use
// (initdb in a temporary directory, pg_ctl on 127.0.0.1 and a free port, unix sockets in that
// directory, as a user other than root), a fresh database per test, and stopped and removed
// at exit, or by a watchdog process when the test binary dies without exiting.
// The cluster initdb makes is kept beside the test binary (pg-template-VERSION) and copied
// for later runs: ctest runs every test in a process of its own.
#pragma once

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "tests/free_port.h"

namespace stepup::testing {

class PostgresServer {
 public:
  // The binary's server. nullptr when there is none: `installed` says whether PostgreSQL is
  // installed at all (if not, callers skip), `why` what went wrong.
  static PostgresServer* Get(bool* installed, std::string* why) {
    static std::string failure;
    static bool have_binaries = false;
    // Never deleted: the atexit handler stops it after every static is gone.
    static PostgresServer* server = [] {
      auto* s = new PostgresServer;
      have_binaries = !s->bin_.empty();
      if (!have_binaries) {
        failure = "no /usr/lib/postgresql/*/bin/initdb (scripts/bootstrap installs postgresql)";
      } else {
        failure = s->Start();
      }
      if (!failure.empty()) {
        if (have_binaries) s->Stop();  // what did start, and its directory
        delete s;
        return static_cast<PostgresServer*>(nullptr);
      }
      Running() = s;
      std::atexit([] { Running()->Stop(); });
      return s;
    }();
    *installed = have_binaries;
    *why = failure;
    return server;
  }

  // A new, empty database; its URL ("" and `why` when it could not be created).
  std::string NewDatabase(std::string* why) {
    const std::string name = "t" + std::to_string(++databases_);
    if (databases_ <= kPremade) return Url(name);  // made with the template, still unused
    const std::string out = Run(AsUser() + Quote((bin_ / "createdb").string()) +
                                " -h 127.0.0.1 -p " + std::to_string(port_) + " -U stepup " + name);
    if (!ok_) {
      *why = "createdb " + name + ": " + out;
      return "";
    }
    return Url(name);
  }

 private:
  PostgresServer() {
    namespace fs = std::filesystem;
    std::error_code ec;
    std::string best;
    for (fs::directory_iterator it("/usr/lib/postgresql", ec), end; !ec && it != end;
         it.increment(ec)) {
      if (!fs::exists(it->path() / "bin" / "initdb")) continue;
      const std::string v = it->path().filename().string();
      if (best.empty() || std::stoi(v) > std::stoi(best)) best = v;
    }
    if (best.empty()) return;
    version_ = best;
    bin_ = fs::path("/usr/lib/postgresql") / best / "bin";
  }

  // Databases t1..tN the template already holds: most test processes (ctest runs one a test)
  // need no CREATE DATABASE.
  static constexpr int kPremade = 2;

  std::string Url(const std::string& database) const {
    return "postgresql://stepup@127.0.0.1:" + std::to_string(port_) + "/" + database;
  }

  static PostgresServer*& Running() {
    static PostgresServer* p = nullptr;
    return p;
  }

  static std::string Quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
  }

  // Runs a shell command from the server's directory; its output (ok_: whether it exited 0).
  std::string Run(const std::string& cmd) {
    const std::string log = (dir_ / "cmd.out").string();
    const int rc = std::system(
        ("cd " + Quote(dir_.string()) + " && " + cmd + " >" + Quote(log) + " 2>&1").c_str());
    ok_ = rc == 0;
    std::ifstream in(log);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  // PostgreSQL refuses to run as root: as root, the server and its tools run as `postgres`
  // (the package's user) or else `nobody`.
  std::string AsUser() const { return user_.empty() ? "" : "runuser -u " + user_ + " -- "; }



  // "" when the server runs, else why not.
  std::string Start() {
    namespace fs = std::filesystem;
    dir_ = fs::temp_directory_path() / ("stepup-pg-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    if (::geteuid() == 0) {
      user_ = ::getpwnam("postgres") ? "postgres" : "nobody";
      Run("chown " + user_ + " .");
    }
    const fs::path data = dir_ / "data";
    const fs::path tmpl = fs::path(STEPUP_BINARY).parent_path() / ("pg-template-" + version_);
    std::string out;
    if (fs::exists(tmpl / "PG_VERSION")) {
      out = Run("cp -a " + Quote(tmpl.string()) + " " + Quote(data.string()) +
                (user_.empty() ? "" : " && chown -R " + user_ + " " + Quote(data.string())));
    } else {
      // 1 MB WAL segments: a smaller template to copy.
      out = Run(AsUser() + Quote((bin_ / "initdb").string()) +
                " -N -A trust -U stepup -E UTF8 --wal-segsize=1 -D " + Quote(data.string()));
      if (ok_) out = StartServer(data);
      for (int i = 1; ok_ && i <= kPremade; ++i)
        out = Run(AsUser() + Quote((bin_ / "createdb").string()) + " -h 127.0.0.1 -p " +
                  std::to_string(port_) + " -U stepup t" + std::to_string(i));
      if (ok_) out = StopServer(data, "fast");
      // Kept for the next process: copied under a name of its own, then renamed into place.
      const std::string staged = tmpl.string() + ".tmp-" + std::to_string(::getpid());
      if (ok_) {
        (void)Run("cp -a " + Quote(data.string()) + " " + Quote(staged) + " && mv -T " +
                  Quote(staged) + " " + Quote(tmpl.string()) + " || rm -rf " + Quote(staged));
        ok_ = true;
      }
    }
    if (!ok_) return "initdb failed: " + out;
    out = StartServer(data);
    if (!ok_) {
      std::ifstream log(dir_ / "server.log");
      return "pg_ctl start failed: " + out + std::string(std::istreambuf_iterator<char>(log), {});
    }
    // The watchdog: when this process ends without Stop (a crash, a sanitizer's abort), it
    // stops the server and removes its directory.
    const std::string stop = AsUser() + Quote((bin_ / "pg_ctl").string()) + " -D " +
                             Quote(data.string()) + " -m immediate -w stop";
    const std::string watch = "while kill -0 " + std::to_string(::getpid()) +
                              " 2>/dev/null; do sleep 1; done; " + stop + "; rm -rf " +
                              Quote(dir_.string());
    (void)std::system(("setsid sh -c " + Quote(watch) + " >/dev/null 2>&1 </dev/null &").c_str());
    return "";
  }

  // pg_ctl start on a free port; its output (ok_ says whether it started).
  std::string StartServer(const std::filesystem::path& data) {
    std::string out;
    // Another process may take the port between FreeLoopbackPort and the server's bind: try again.
    for (int attempt = 0; attempt < 3; ++attempt) {
      port_ = FreeLoopbackPort();
      out = Run(AsUser() + Quote((bin_ / "pg_ctl").string()) + " -D " + Quote(data.string()) +
                " -l " + Quote((dir_ / "server.log").string()) + " -w -t 30 -o " +
                Quote("-c listen_addresses=127.0.0.1 -p " + std::to_string(port_) + " -k " +
                      dir_.string() + " -c fsync=off -c full_page_writes=off") +
                " start");
      if (ok_) break;
    }
    return out;
  }

  std::string StopServer(const std::filesystem::path& data, const char* mode) {
    return Run(AsUser() + Quote((bin_ / "pg_ctl").string()) + " -D " + Quote(data.string()) +
               " -m " + mode + " -w stop");
  }

  void Stop() {
    (void)StopServer(dir_ / "data", "immediate");
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string version_;
  std::filesystem::path bin_, dir_;
  std::string user_;
  int port_ = 0;
  int databases_ = 0;
  bool ok_ = false;
};

// In a test's SetUp: a fresh database of the binary's server, or the test is skipped (not
// installed) or fails (installed but not running), saying why.
#define STEPUP_PG_DATABASE(url)                                                       \
  do {                                                                                \
    bool pg_installed = false;                                                        \
    std::string pg_why;                                                               \
    auto* pg_server = ::stepup::testing::PostgresServer::Get(&pg_installed, &pg_why); \
    if (!pg_installed) GTEST_SKIP() << "PostgreSQL is not installed: " << pg_why;     \
    ASSERT_NE(pg_server, nullptr) << "PostgreSQL did not start: " << pg_why;          \
    url = pg_server->NewDatabase(&pg_why);                                            \
    ASSERT_FALSE(url.empty()) << pg_why;                                              \
  } while (0)

}  // namespace stepup::testing
