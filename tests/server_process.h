// Test helper: runs `stepup serve` (or any stepup command) as a real process on loopback and
// talks to it over real sockets. Every process is bounded in time and killed at teardown.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/wait_for.h"

extern char** environ;

namespace stepup::testing {

// A shell-quoted argument.
inline std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Whether a tool is on the PATH.
inline bool Have(const char* tool) {
  return std::system((std::string("command -v ") + tool + " >/dev/null 2>&1").c_str()) == 0;
}

// Runs `cmd` (no single quotes in it) with a 120 s limit, output discarded; its exit code.
inline int Sh(const std::string& cmd) {
  int status = std::system(("timeout 120 sh -c '" + cmd + "' >/dev/null 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Runs `cmd` (no single quotes in it) with a 60 s limit; what it printed on stdout and stderr.
inline std::string ShOut(const std::string& cmd) {
  std::string out;
  FILE* p = popen(("timeout 60 sh -c '" + cmd + "' 2>&1").c_str(), "r");
  char buf[512];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

// A fresh, empty directory for the running test: TMP/stepup-PREFIX-PID-TESTNAME.
inline std::filesystem::path FreshTestDir(const std::string& prefix) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("stepup-" + prefix + "-" + std::to_string(::getpid()) + "-" +
       ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct Fetched {
  int status = 0;
  std::string body;
  std::string head;  // the status line and header fields (CurlWithHead only)
};

// curl, the real client: GET url with a User-Agent ("" : curl's own); `extra` is more curl
// options (already quoted).
inline Fetched Curl(const std::string& url, const std::string& ua = "",
                    const std::string& extra = "") {
  std::string cmd = "curl -s -m 10 -w '\\n%{http_code}' " + extra + " " +
                    (ua.empty() ? "" : "-A " + Quote(ua) + " ") + Quote(url);
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  Fetched f;
  size_t nl = out.rfind('\n');
  if (nl == std::string::npos) return f;
  f.status = std::atoi(out.c_str() + nl + 1);
  f.body = out.substr(0, nl);
  return f;
}

// Curl, keeping the answer's head as well.
inline Fetched CurlWithHead(const std::string& url, const std::string& extra = "") {
  const std::filesystem::path head =
      std::filesystem::temp_directory_path() /
      ("stepup-head-" + std::to_string(::getpid()) + "-" +
       std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  Fetched f = Curl(url, "", "-D " + Quote(head.string()) + " " + extra);
  f.head = Slurp(head);
  std::filesystem::remove(head);
  return f;
}

// Runs the stepup binary with `args`; returns its exit code and, if `out`, its stdout.
// A fleet CSV as an operator enrols it zero-touch: the same rows with the `firmware` column
// emptied (what each phone runs is the simulator's truth, never told to the server).
inline std::string WithoutFirmware(const std::string& csv) {
  std::istringstream in(csv);
  std::string out, line;
  int column = -1;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ls(line);
    for (std::string x; std::getline(ls, x, ',');) f.push_back(x);
    if (!line.empty() && line.back() == ',') f.push_back("");
    if (column < 0) {
      column = static_cast<int>(std::find(f.begin(), f.end(), "firmware") - f.begin());
    } else if (column < static_cast<int>(f.size())) {
      f[column].clear();
    }
    for (size_t i = 0; i < f.size(); ++i) out += (i ? "," : "") + f[i];
    out += "\n";
  }
  return out;
}

inline int Cli(const std::vector<std::string>& args, std::string* out = nullptr) {
  std::string cmd = Quote(STEPUP_BINARY);
  for (const auto& a : args) cmd += " " + Quote(a);
  cmd += " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  std::string o;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) o.append(buf, n);
  int status = pclose(p);
  if (out) *out = o;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A child process with its stderr captured.
class Child {
 public:
  explicit Child(const std::vector<std::string>& args) {
    int fds[2];
    if (pipe(fds) != 0) return;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    err_fd_ = fds[0];
    fcntl(err_fd_, F_SETFL, O_NONBLOCK);
  }
  ~Child() {
    Kill(SIGKILL);
    if (err_fd_ >= 0) close(err_fd_);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // Reads stderr until `needle` appears or the timeout passes; returns all read so far.
  std::string WaitFor(const std::string& needle, int timeout_ms = 10000) {
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (err_.find(needle) == std::string::npos && std::chrono::steady_clock::now() < end) {
      pollfd p{err_fd_, POLLIN, 0};
      if (poll(&p, 1, 50) > 0) {
        char buf[4096];
        ssize_t n = read(err_fd_, buf, sizeof buf);
        if (n > 0) err_.append(buf, static_cast<size_t>(n));
        if (n == 0) break;
      }
    }
    return err_;
  }
  void Kill(int sig) {
    if (pid_ > 0) kill(pid_, sig);
    if (sig == SIGKILL) Wait(5000);
  }
  // Waits for exit; returns the exit code, or -1 (still running / killed by a signal).
  int Wait(int timeout_ms) {
    if (pid_ <= 0) return exit_code_;
    const bool exited = stepup::testing::WaitFor(
        [&] {
          int status = 0;
          if (waitpid(pid_, &status, WNOHANG) != pid_) return false;
          exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
          return true;
        },
        std::chrono::milliseconds(timeout_ms));
    if (!exited) return -1;
    pid_ = -1;
    return exit_code_;
  }
  bool running() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
  int err_fd_ = -1;
  int exit_code_ = -1;
  std::string err_;
};

// A catalog file with one SPA50x release after every real one: 7.6.9, invented for the tests
// (its source says so), its image spa50x-30x-7-6-9.bin.
inline const char* const kInventedSpaRelease = R"toml(
[[load]]
family = "spa50x-30x"
load = "7.6.9"
version = "7.6.9"
protocol = "sip"
files = ["spa50x-30x-7-6-9.bin"]
status = "confirmed"
source = "test: a release invented for this test"
)toml";

// A stepup server on 127.0.0.1 with an OS-chosen port.
class Server {
 public:
  Server(const std::string& data_dir, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {
        STEPUP_BINARY,  "serve",
        "--data",       data_dir,
        "--http",       "127.0.0.1:0",
        "--tftp",       "127.0.0.1:0",
        "--access-log", (std::filesystem::path(data_dir) / "access.log").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    child_ = std::make_unique<Child>(args);
    child_->WaitFor("; tftp ");               // the end of the "serving" line...
    std::string err = child_->WaitFor("\n");  // ...up to its newline
    size_t at = err.find("http://127.0.0.1:");
    if (at != std::string::npos)
      port_ = static_cast<int>(std::strtol(err.c_str() + at + 17, nullptr, 10));
    at = err.find("; tftp 127.0.0.1:");
    if (at != std::string::npos)
      tftp_port_ = static_cast<int>(std::strtol(err.c_str() + at + 17, nullptr, 10));
    at = err.find("; admin http://127.0.0.1:");
    if (at != std::string::npos)
      admin_port_ = static_cast<int>(std::strtol(err.c_str() + at + 25, nullptr, 10));
    at = err.find("; https 127.0.0.1:");
    if (at != std::string::npos)
      https_port_ = static_cast<int>(std::strtol(err.c_str() + at + 18, nullptr, 10));
  }
  int port() const { return port_; }
  int https_port() const { return https_port_; }  // 0 without --https
  int admin_port() const { return admin_port_; }  // 0 without --admin
  std::string https_url(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(https_port_) + path;
  }
  int tftp_port() const { return tftp_port_; }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  Child& process() { return *child_; }
  // `stepup simulate` of `fleet` against this server over HTTP and TFTP, the JSON report on
  // stdout, the phones' web pages on `web_port` (where the server reads what they run).
  std::vector<std::string> SimulateArgs(const std::string& fleet, int web_port) const {
    return {"simulate", "--fleet", fleet, "--http", url(""), "--tftp",
            "127.0.0.1:" + std::to_string(tftp_port_), "--json", "--web-port",
            std::to_string(web_port)};
  }

 private:
  std::unique_ptr<Child> child_;
  int port_ = 0, tftp_port_ = 0, https_port_ = 0, admin_port_ = 0;
};

// A raw TCP connection to 127.0.0.1:port with a receive timeout.
class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~RawConnection() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  // Sends all of s; false if the peer closed.
  bool Send(const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
      ssize_t n = send(fd_, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }
  // Reads until the peer closes or timeout_ms passes.
  std::string ReadAll(int timeout_ms) {
    std::string out;
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < end) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      char buf[8192];
      ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
  bool closed() const { return closed_; }
  // Reads at most max bytes (what is there within timeout_ms): a slow reader.
  std::string ReadUpTo(size_t max, int timeout_ms) {
    std::string out;
    pollfd p{fd_, POLLIN, 0};
    while (out.size() < max && poll(&p, 1, timeout_ms) > 0) {
      char buf[8192];
      ssize_t n = recv(fd_, buf, std::min(sizeof buf, max - out.size()), 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

  // One keep-alive GET; returns (status, body) or status 0 if the connection failed.
  std::pair<int, std::string> Get(const std::string& target, const std::string& ua,
                                  int timeout_ms = 5000) {
    if (!Send("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: " + ua + "\r\n\r\n"))
      return {0, ""};
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < end) {
      size_t hdr_end = pending_.find("\r\n\r\n");
      if (hdr_end != std::string::npos) {
        size_t cl = pending_.find("Content-Length: ");
        size_t len = cl != std::string::npos && cl < hdr_end
                         ? std::strtoul(pending_.c_str() + cl + 16, nullptr, 10)
                         : 0;
        if (pending_.size() >= hdr_end + 4 + len) {
          int status = pending_.size() > 12
                           ? static_cast<int>(std::strtol(pending_.c_str() + 9, nullptr, 10))
                           : 0;
          std::string body = pending_.substr(hdr_end + 4, len);
          pending_.erase(0, hdr_end + 4 + len);
          return {status, body};
        }
      }
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      char buf[8192];
      ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return {0, ""};
      pending_.append(buf, static_cast<size_t>(n));
    }
    return {0, ""};
  }

 private:
  int fd_ = -1;
  bool closed_ = false;
  std::string pending_;
};

}  // namespace stepup::testing
