// Which TFTP requests may start a transfer now: at most so many transfers from one address,
// at most so many new requests a second from one address (a token bucket), both by network
// (source_limits.h), and nothing for a copy of a request: one the client re-sent before its
// first answer reached it. (A client asking for the next file from the same port the moment
// it has the last block of one, as tftp-hpa does, is a new request.) Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "net/source_limits.h"

namespace stepup {

class TftpAdmission {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Verdict {
    kStart,      // start it (then Release it when it ends)
    kDuplicate,  // a copy of a request under way or answered: say nothing
    kTooMany,    // the address has as many transfers under way as its limit
    kTooFast,    // the address asked more often than its rate this second
  };
  explicit TftpAdmission(SourceLimits limits) : limits_(std::move(limits)) {}

  // `peer` is the client endpoint ("ip:port"), `ip` its address, `file` what it asked for,
  // `received` when the datagram reached the server (its kernel time stamp, not when it was
  // read: a request read late from a long queue keeps its place in time). kStart sets
  // `ticket`, which names this start to Answering and Release.
  [[nodiscard]] Verdict Admit(const std::string& ip, const std::string& peer,
                              const std::string& file, Clock::time_point received,
                              uint64_t& ticket);
  // The client acknowledged the transfer's first answer: a request for the file from its port
  // that reaches the server after `copies_until` (the answer's send time plus about a round
  // trip, at most the retransmission time) was sent by a client that had the answer, so it is
  // a new one (it has the last block and asks again before the server read its final ACK).
  // Until then every request for the transfer is a copy (waiting for durability, or its
  // answer lost).
  void Answering(const std::string& peer, const std::string& file, uint64_t ticket,
                 Clock::time_point copies_until);
  // A started request ended; `answered`: the client got its whole answer (the file, or an
  // error it will not ask again for). A copy of it is then a request that reached the server
  // by the same time as while it ran (Answering), or, if the client never acknowledged
  // anything, before it ended. Anything later from that endpoint is a new request: a client
  // whose kernel or NAT recycled the port, or a phone asking again after a reboot.
  void Release(const std::string& ip, const std::string& peer, const std::string& file,
               uint64_t ticket, bool answered);
  // Whether a request from `ip` that is no copy would start now (TftpWaitRoom asks).
  bool HasRoom(const std::string& ip);
  const SourceLimits& limits() const { return limits_; }

  // How long an answered request is remembered: longer than a datagram waits in the
  // listener's queue (it holds a few MiB, read thousands of requests a second).
  static constexpr std::chrono::seconds kMemory{10};

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point at;
  };
  Bucket& Refill(const std::string& ip, double rate);  // caller holds mu_

  const SourceLimits limits_;
  std::mutex mu_;
  std::unordered_map<std::string, uint32_t> per_source_;  // address -> transfers
  struct Active {
    uint64_t ticket = 0;
    Clock::time_point copies_until;
  };
  std::unordered_map<std::string, Active> active_;  // endpoint + file under way
  uint64_t tickets_ = 0;
  std::unordered_map<std::string, Clock::time_point> answered_;  // endpoint + file -> copies
                                                                 // received until then
  std::unordered_map<std::string, Bucket> buckets_;              // address -> tokens
};

}  // namespace stepup
