// The server's own counters for /metrics (issue 18, item 3), in the Prometheus text exposition
// format (prometheus.io/docs/instrumenting/exposition_formats: "# HELP" and "# TYPE" lines, one
// sample per line as name{label="value"} number, histograms as cumulative _bucket{le=...}
// series with _sum and _count). Lock-free on the request path: fixed arrays of atomics indexed
// by transport and status, so a scrape never slows a phone.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace stepup {

class Metrics {
 public:
  // One answered request: its transport ("http", "https", "tftp"), status (TFTP: the HTTP
  // status the provisioner gave), bytes sent and how long it took.
  void Request(std::string_view transport, int status, uint64_t bytes, double seconds);
  // A file transfer (firmware image, large file) started / ended, to count those in flight.
  void TransferStarted() {
    const int64_t now = in_flight_.fetch_add(1, std::memory_order_relaxed) + 1;
    int64_t peak = peak_.load(std::memory_order_relaxed);
    while (now > peak && !peak_.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
    }
  }
  int64_t PeakTransfers() const { return peak_.load(std::memory_order_relaxed); }
  void TransferEnded() { in_flight_.fetch_sub(1, std::memory_order_relaxed); }
  // An event the provisioner recorded ("hop-offered", "hop-completed", "stuck", ...).
  void Event(std::string_view kind);

  // The exposition; `devices_by_state` is read from the inventory at scrape time.
  std::string Render(const std::map<std::string, int64_t>& devices_by_state) const;

  // For tests and benches: requests counted for a transport (every status).
  uint64_t Requests(std::string_view transport) const;

  static constexpr std::array<std::string_view, 3> kTransports = {"http", "https", "tftp"};
  static constexpr std::array<int, 18> kStatuses = {200, 206, 304, 400, 401, 403, 404, 405, 408,
                                                    409, 413, 415, 416, 429, 431, 500, 503, 0};
  static constexpr std::array<double, 14> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                      0.025,  0.05,  0.1,    0.25,  0.5,
                                                      1,      2.5,   5,      10};
  static constexpr std::array<std::string_view, 8> kEvents = {
      "hop-offered",  "hop-completed",     "stuck",        "no-path",
      "secrets-sent", "identity-mismatch", "rollout-held", "resync-sent"};

 private:
  static int TransportIndex(std::string_view t);
  static int StatusIndex(int status);  // the last index: any other status

  std::array<std::array<std::atomic<uint64_t>, kStatuses.size()>, kTransports.size()> requests_{};
  std::array<std::atomic<uint64_t>, kTransports.size()> bytes_{};
  std::array<std::array<std::atomic<uint64_t>, kBuckets.size() + 1>, kTransports.size()>
      latency_{};                                                        // not cumulative
  std::array<std::atomic<uint64_t>, kTransports.size()> latency_us_{};  // sum, microseconds
  std::array<std::atomic<uint64_t>, kEvents.size()> events_{};
  std::atomic<int64_t> in_flight_{0};
  std::atomic<int64_t> peak_{0};  // the most transfers in flight at once since the start
};

}  // namespace stepup
