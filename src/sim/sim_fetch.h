// The simulated phones' network side: one HTTP GET or one TFTP read, as a phone makes it, from
// the phone's own loopback address, with the options' packet loss and delay. Retries and
// what a phone does with the answer are the simulator's (simulator.cc).
#pragma once

#include <boost/asio.hpp>
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange

#include "core/result.h"
#include "sim/phone.h"
#include "sim/sim_nat.h"
#include "sim/simulator.h"

namespace stepup::sim {

using Clock = std::chrono::steady_clock;

struct Url {
  std::string scheme, host, target;
  uint16_t port = 0;
};

Result<Url> ParseUrl(const std::string& s);

// A phone's own loopback address: 127.1.0.1, 127.1.0.2, ... (250 per /24).
boost::asio::ip::address PhoneAddress(size_t i);

struct Fetch {
  int status = 0;  // HTTP status; 200 for a complete TFTP transfer
  std::string body;
  std::string error;  // transport failure or TFTP error message
  int tftp_error = -1;
  bool ok() const { return error.empty() && status == 200; }
};

// What the whole run shares: options, the loss draws, totals, the traced phone.
struct Run {
  const SimOptions& opt;
  std::mt19937_64 rng;
  std::optional<boost::asio::ip::udp::endpoint> tftp;
  std::optional<boost::asio::ip::udp::endpoint> syslog;
  boost::asio::io_context* ioc = nullptr;
  int64_t requests = 0;
  uint64_t bytes = 0;
  std::unordered_map<uint32_t, std::unique_ptr<NatPorts>> nat;  // shared address -> its ports
  std::unordered_map<const PhoneState*, int> tftp_in_boot;       // --reuse-ports: transfers
  std::unordered_map<const PhoneState*, std::shared_ptr<boost::asio::ip::udp::socket>>
      previous_socket;
  // Phones waiting for a resync trigger (--linger): cancelling the timer wakes the phone.
  std::unordered_map<const PhoneState*, boost::asio::steady_timer*> lingering;
  Clock::time_point t0 = Clock::now();
  std::string trace;  // the traced phone's MAC, normalised
  bool Lost() {
    return opt.loss > 0 && std::uniform_real_distribution<double>(0, 1)(rng) < opt.loss;
  }
  // what() is the line, made only for the traced phone.
  template <typename What>
  void Trace(const PhoneState& p, What what) const {
    if (trace.empty() || p.spec.mac != trace) return;
    std::cerr << "trace " << p.spec.mac << " +"
              << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count()
              << " ms: " << what() << "\n";
  }
};

// The options' slow-link delay.
boost::asio::awaitable<void> Delay(const SimOptions& o);

// Coroutine parameters are taken by value: a reference would outlive its referent in the frame.
boost::asio::awaitable<Fetch> HttpOnce(Run& run, PhoneState& p, boost::asio::ip::address self,
                                       std::string url_text);
// RFC 1350 read with blksize (RFC 2348): the phone's side of a TFTP download.
boost::asio::awaitable<Fetch> TftpOnce(Run& run, PhoneState& p, boost::asio::ip::address self,
                                       std::string file);

}  // namespace stepup::sim
