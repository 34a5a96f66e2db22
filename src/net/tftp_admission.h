// Which TFTP requests may start a transfer now: at most so many transfers from one address,
// at most so many new requests a second from one address (a token bucket), one transfer per
// client endpoint, and nothing for a request the client re-sent before its answer came.
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace stepup {

class TftpAdmission {
 public:
  enum class Verdict {
    kStart,      // start it (then Release it when it ends)
    kDuplicate,  // a copy of a request under way or just answered: say nothing
    kTooMany,    // the address has max_per_source transfers under way
    kTooFast,    // the address asked more than rate_per_source times this second
  };
  TftpAdmission(uint32_t max_per_source, uint32_t rate_per_source)
      : max_per_source_(max_per_source), rate_(rate_per_source) {}

  // `peer` is the client endpoint ("ip:port"), `ip` its address, `file` what it asked for.
  Verdict Admit(const std::string& ip, const std::string& peer, const std::string& file);
  // A started request ended; `answered`: the client got its whole answer (the file, or an
  // error it will not ask again for), so copies it re-sent meanwhile start nothing.
  void Release(const std::string& ip, const std::string& peer, const std::string& file,
               bool answered);

  // How long after its answer a client's re-sent copy is still recognised as one. A client
  // takes a new port for each transfer (RFC 1350), so the same port asking the same file
  // again within this time is a copy that waited in the queue, not a new boot request.
  static constexpr std::chrono::seconds kCopyWindow{10};

 private:
  using Clock = std::chrono::steady_clock;
  struct Bucket {
    double tokens = 0;
    Clock::time_point at;
  };
  bool TakeToken(const std::string& ip);  // caller holds mu_

  const uint32_t max_per_source_;
  const double rate_;
  std::mutex mu_;
  std::unordered_map<std::string, uint32_t> per_source_;         // address -> transfers
  std::unordered_set<std::string> active_peers_;                 // endpoints with a transfer
  std::unordered_map<std::string, Clock::time_point> answered_;  // endpoint + file -> when
  std::unordered_map<std::string, Bucket> buckets_;              // address -> tokens
};

}  // namespace stepup
