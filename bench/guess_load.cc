// guess_load: an HTTP/1.1 load generator for bench/guess, what wrk is for bench/http but able to
// bind a source address (the probe guard counts per address) and to look into every body. One
// process, one thread, one epoll loop; N keep-alive connections, each with one request in
// flight, the requests taken in turn from a file of "PATH<TAB>USER-AGENT" lines (cycled).
// Records each response's status and latency (request written to response complete) and
// searches every body for any of the given secrets (one a line; windows of each secret's
// length looked up in a hash set, so every body is searched for all of them).
//
//   guess_load PORT REQUESTS_FILE [--bind ADDR] [--connections N] [--count N | --seconds S |
//              --until FILE] [--secrets FILE] [--timeout-ms T]
//
// --count: stop after N requests; --seconds: after S seconds; --until: once FILE exists (checked
// every 10 ms, at most 600 s). A response not complete within --timeout-ms (default 5000) closes
// its connection (a timeout) and a new one is opened. Prints one line of key=value figures
// (latencies in ms); the first leaked secrets are printed on stderr.
//
// Exit 0 when no secret was seen, 1 when one was, 2 on bad arguments or when the server could
// not be reached.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Conn {
  int fd = -1;
  bool connected = false;
  bool busy = false;  // a request in flight
  std::string in;
  size_t sent = 0;    // bytes of `out` written
  std::string out;
  Clock::time_point start;
};

struct Secrets {
  std::unordered_set<std::string_view> set;
  std::vector<std::string> storage;
  std::set<size_t> lengths;
  // The first secret `body` holds, or empty.
  std::string_view Find(std::string_view body) const {
    for (size_t len : lengths) {
      for (size_t i = 0; i + len <= body.size(); ++i) {
        auto it = set.find(body.substr(i, len));
        if (it != set.end()) return *it;
      }
    }
    return {};
  }
};

bool Usage() {
  std::fprintf(stderr,
               "usage: guess_load PORT REQUESTS_FILE [--bind ADDR] [--connections N] "
               "[--count N | --seconds S | --until FILE] [--secrets FILE] [--timeout-ms T]\n");
  return false;
}

// Case-insensitive search for a header's value in a response head.
bool HeaderValue(std::string_view head, std::string_view name, std::string_view& value) {
  size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    size_t start = pos + 2, end = head.find("\r\n", start);
    if (end == std::string_view::npos) end = head.size();
    std::string_view line = head.substr(start, end - start);
    if (line.size() > name.size() && line[name.size()] == ':' &&
        std::equal(name.begin(), name.end(), line.begin(),
                   [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      value = line.substr(name.size() + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      return true;
    }
    pos = end;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return Usage(), 2;
  const int port = std::atoi(argv[1]);
  std::string bind_addr = "127.0.0.1", until, secrets_file;
  int connections = 16, timeout_ms = 5000;
  uint64_t count = 0;
  double seconds = 0;
  for (int i = 3; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) return Usage(), 2;
    const char* v = argv[++i];
    if (a == "--bind") bind_addr = v;
    else if (a == "--connections") connections = std::atoi(v);
    else if (a == "--count") count = std::strtoull(v, nullptr, 10);
    else if (a == "--seconds") seconds = std::atof(v);
    else if (a == "--until") until = v;
    else if (a == "--secrets") secrets_file = v;
    else if (a == "--timeout-ms") timeout_ms = std::atoi(v);
    else return Usage(), 2;
  }
  if (port <= 0 || connections <= 0 || connections > 10000 || timeout_ms <= 0 ||
      (count == 0 && seconds <= 0 && until.empty()))
    return Usage(), 2;
  if (seconds <= 0) seconds = 600;  // --count or --until alone: still bounded

  std::vector<std::string> requests;
  {
    std::ifstream f(argv[2]);
    std::string line;
    while (std::getline(f, line)) {
      size_t tab = line.find('\t');
      if (tab == std::string::npos) continue;
      requests.push_back("GET " + line.substr(0, tab) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                         "User-Agent: " + line.substr(tab + 1) + "\r\n\r\n");
    }
  }
  if (requests.empty()) {
    std::fprintf(stderr, "guess_load: no requests in %s\n", argv[2]);
    return 2;
  }
  Secrets secrets;
  if (!secrets_file.empty()) {
    std::ifstream f(secrets_file);
    std::string line;
    while (std::getline(f, line)) {
      if (!line.empty()) secrets.storage.push_back(line);
    }
    for (const auto& s : secrets.storage) {
      secrets.set.insert(s);
      secrets.lengths.insert(s.size());
    }
  }

  sockaddr_in server{}, local{};
  server.sin_family = local.sin_family = AF_INET;
  server.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &server.sin_addr);
  if (::inet_pton(AF_INET, bind_addr.c_str(), &local.sin_addr) != 1) {
    std::fprintf(stderr, "guess_load: \"%s\" is not an IPv4 address\n", bind_addr.c_str());
    return 2;
  }

  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  std::vector<Conn> conns(static_cast<size_t>(connections));
  uint64_t issued = 0, done = 0, errors = 0, timeouts = 0, reconnects = 0, leaks = 0,
           bytes = 0, bad = 0;
  std::map<int, uint64_t> statuses;
  std::vector<uint32_t> latency_us;
  latency_us.reserve(count ? count : 1 << 20);
  const auto t0 = Clock::now();
  auto last_until_check = t0;
  bool stopping = false;

  auto open_conn = [&](Conn& c) -> bool {
    c = Conn{};
    c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) return false;
    int one = 1;
    (void)::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::bind(c.fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
      std::fprintf(stderr, "guess_load: bind %s: %s\n", bind_addr.c_str(), std::strerror(errno));
      return false;
    }
    int r = ::connect(c.fd, reinterpret_cast<const sockaddr*>(&server), sizeof server);
    if (r != 0 && errno != EINPROGRESS) return false;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.ptr = &c;
    return ::epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev) == 0;
  };
  auto close_conn = [&](Conn& c) {
    if (c.fd >= 0) ::close(c.fd);
    c.fd = -1;
    c.busy = false;
  };
  auto want_more = [&] { return !stopping && (count == 0 || issued < count); };
  auto send_next = [&](Conn& c) {
    if (!want_more()) return;
    c.out = requests[issued % requests.size()];
    ++issued;
    c.sent = 0;
    c.busy = true;
    c.in.clear();
    c.start = Clock::now();
    ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n > 0) c.sent = static_cast<size_t>(n);
  };
  // Closes a connection and, while requests are still wanted, opens another in its place.
  auto reopen = [&](Conn& c) {
    close_conn(c);
    if (!want_more()) return;
    ++reconnects;
    if (!open_conn(c)) {
      ++errors;
      close_conn(c);
    }
  };
  // A connection that failed: its request (if any) counts as an error; open another.
  auto fail = [&](Conn& c, bool timeout) {
    if (c.busy) {
      ++done;
      ++(timeout ? timeouts : errors);
    }
    reopen(c);
  };

  for (auto& c : conns) {
    if (!open_conn(c)) {
      std::fprintf(stderr, "guess_load: cannot open a connection\n");
      return 2;
    }
  }
  std::vector<epoll_event> events(static_cast<size_t>(connections));
  char buf[65536];
  while (true) {
    const auto now = Clock::now();
    const double elapsed = std::chrono::duration<double>(now - t0).count();
    if (!stopping && elapsed >= seconds) stopping = true;
    if (!stopping && !until.empty() && now - last_until_check > std::chrono::milliseconds(10)) {
      last_until_check = now;
      if (::access(until.c_str(), F_OK) == 0) stopping = true;
    }
    bool any_busy = false;
    for (auto& c : conns) {
      if (c.fd >= 0 && c.busy && now - c.start > std::chrono::milliseconds(timeout_ms))
        fail(c, true);
      if (c.fd < 0 && want_more()) {  // a connection that could not be opened again: retry
        ++reconnects;
        if (!open_conn(c)) {
          ++errors;
          close_conn(c);
        }
      }
      if (c.fd >= 0 && c.connected && !c.busy) send_next(c);
      any_busy = any_busy || c.busy;
    }
    if (!any_busy && !want_more()) break;
    if (errors > 1000 && errors * 2 > done) {
      std::fprintf(stderr, "guess_load: most requests failed; is the server there?\n");
      return 2;
    }
    const int n = ::epoll_wait(ep, events.data(), connections, 10);
    for (int i = 0; i < n; ++i) {
      Conn& c = *static_cast<Conn*>(events[i].data.ptr);
      if (c.fd < 0) continue;
      if (!c.connected && (events[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
          fail(c, false);
          continue;
        }
        c.connected = true;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.ptr = &c;
        ::epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
        send_next(c);
        continue;
      }
      if (c.busy && c.sent < c.out.size()) {  // (requests are small: nearly never)
        ssize_t w = ::send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
        if (w > 0) c.sent += static_cast<size_t>(w);
      }
      bool closed = false;
      while (true) {
        ssize_t r = ::recv(c.fd, buf, sizeof buf, 0);
        if (r > 0) {
          c.in.append(buf, static_cast<size_t>(r));
          continue;
        }
        if (r == 0) closed = true;
        else if (errno != EAGAIN && errno != EWOULDBLOCK) closed = true;
        break;
      }
      // One complete response?
      const size_t head_end = c.in.find("\r\n\r\n");
      if (c.busy && head_end != std::string::npos) {
        std::string_view head(c.in.data(), head_end);
        std::string_view len_v, conn_v;
        if (!HeaderValue(head, "Content-Length", len_v) || head.size() < 12) {
          ++bad;
          fail(c, false);
          continue;
        }
        const size_t body_len = std::strtoull(std::string(len_v).c_str(), nullptr, 10);
        if (c.in.size() >= head_end + 4 + body_len) {
          const auto end = Clock::now();
          const int status = std::atoi(std::string(head.substr(9, 3)).c_str());
          ++statuses[status];
          std::string_view body(c.in.data() + head_end + 4, body_len);
          bytes += head_end + 4 + body_len;
          if (!secrets.set.empty()) {
            std::string_view s = secrets.Find(body);
            if (!s.empty() && ++leaks <= 5) {
              std::fprintf(stderr, "guess_load: LEAK: status %d, secret \"%.*s\" in the answer to %.*s\n",
                           status, static_cast<int>(s.size()), s.data(),
                           static_cast<int>(c.out.find('\r')), c.out.data());
            }
          }
          latency_us.push_back(static_cast<uint32_t>(
              std::chrono::duration_cast<std::chrono::microseconds>(end - c.start).count()));
          ++done;
          c.busy = false;
          const bool server_closes =
              HeaderValue(head, "Connection", conn_v) && (conn_v == "close" || conn_v == "Close");
          c.in.erase(0, head_end + 4 + body_len);
          if (server_closes || closed) {
            reopen(c);
          } else {
            send_next(c);
          }
          continue;
        }
      }
      if (closed) fail(c, false);
    }
  }
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  std::sort(latency_us.begin(), latency_us.end());
  auto pct = [&](double p) {
    if (latency_us.empty()) return 0.0;
    size_t i = static_cast<size_t>(p / 100.0 * static_cast<double>(latency_us.size() - 1));
    return latency_us[i] / 1000.0;
  };
  std::string st;
  for (const auto& [s, n] : statuses) {
    st += (st.empty() ? "" : ",") + std::to_string(s) + ":" + std::to_string(n);
  }
  std::printf(
      "requests=%llu answered=%zu seconds=%.3f rps=%.0f p50=%.3f p99=%.3f p999=%.3f max=%.3f "
      "errors=%llu timeouts=%llu malformed=%llu reconnects=%llu bytes=%llu leaks=%llu "
      "statuses=%s\n",
      static_cast<unsigned long long>(done), latency_us.size(), secs,
      static_cast<double>(latency_us.size()) / secs, pct(50), pct(99), pct(99.9),
      latency_us.empty() ? 0.0 : latency_us.back() / 1000.0,
      static_cast<unsigned long long>(errors), static_cast<unsigned long long>(timeouts),
      static_cast<unsigned long long>(bad), static_cast<unsigned long long>(reconnects),
      static_cast<unsigned long long>(bytes), static_cast<unsigned long long>(leaks),
      st.empty() ? "-" : st.c_str());
  for (auto& c : conns) close_conn(c);
  ::close(ep);
  return leaks ? 1 : 0;
}
