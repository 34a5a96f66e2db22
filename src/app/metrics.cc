#include "app/metrics.h"

#include <cstdio>

namespace stepup {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

// A label value as the format wants it: backslash, double quote and line feed escaped.
std::string LabelValue(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

void Head(std::string& out, const char* name, const char* type, const char* help) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

int Metrics::TransportIndex(std::string_view t) {
  for (size_t i = 0; i < kTransports.size(); ++i)
    if (kTransports[i] == t) return static_cast<int>(i);
  return -1;
}

int Metrics::StatusIndex(int status) {
  for (size_t i = 0; i + 1 < kStatuses.size(); ++i)
    if (kStatuses[i] == status) return static_cast<int>(i);
  return static_cast<int>(kStatuses.size() - 1);
}

void Metrics::Request(std::string_view transport, int status, uint64_t bytes, double seconds) {
  const int t = TransportIndex(transport);
  if (t < 0) return;
  requests_[t][StatusIndex(status)].fetch_add(1, kRelaxed);
  bytes_[t].fetch_add(bytes, kRelaxed);
  size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  latency_[t][b].fetch_add(1, kRelaxed);
  latency_us_[t].fetch_add(static_cast<uint64_t>(seconds > 0 ? seconds * 1e6 : 0), kRelaxed);
}

void Metrics::Event(std::string_view kind) {
  for (size_t i = 0; i < kEvents.size(); ++i) {
    if (kEvents[i] == kind) events_[i].fetch_add(1, kRelaxed);
  }
}

uint64_t Metrics::Requests(std::string_view transport) const {
  const int t = TransportIndex(transport);
  if (t < 0) return 0;
  uint64_t n = 0;
  for (const auto& c : requests_[t]) n += c.load(kRelaxed);
  return n;
}

std::string Metrics::Render(const std::map<std::string, int64_t>& devices_by_state) const {
  std::string out;
  out.reserve(8192);
  Head(out, "stepup_requests_total", "counter",
       "Requests answered, by transport and HTTP status (TFTP: the status behind its answer; "
       "status=\"other\": any status not listed).");
  for (size_t t = 0; t < kTransports.size(); ++t) {
    for (size_t s = 0; s < kStatuses.size(); ++s) {
      const uint64_t n = requests_[t][s].load(kRelaxed);
      if (n == 0) continue;
      out += "stepup_requests_total{transport=\"" + std::string(kTransports[t]) +
             "\",status=\"" + (kStatuses[s] ? std::to_string(kStatuses[s]) : "other") + "\"} " +
             std::to_string(n) + "\n";
    }
  }
  Head(out, "stepup_response_bytes_total", "counter", "Bytes sent in answers, by transport.");
  for (size_t t = 0; t < kTransports.size(); ++t) {
    out += "stepup_response_bytes_total{transport=\"" + std::string(kTransports[t]) + "\"} " +
           std::to_string(bytes_[t].load(kRelaxed)) + "\n";
  }
  Head(out, "stepup_transfers_in_flight", "gauge", "File transfers being sent now.");
  out += "stepup_transfers_in_flight " + std::to_string(in_flight_.load(kRelaxed)) + "\n";
  Head(out, "stepup_transfers_in_flight_max", "gauge",
       "The most file transfers in flight at once since the server started.");
  out += "stepup_transfers_in_flight_max " + std::to_string(peak_.load(kRelaxed)) + "\n";
  Head(out, "stepup_request_duration_seconds", "histogram",
       "Time from a request's arrival to its answer's last byte, by transport.");
  for (size_t t = 0; t < kTransports.size(); ++t) {
    const std::string tl = "transport=\"" + std::string(kTransports[t]) + "\"";
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= kBuckets.size(); ++b) {
      cumulative += latency_[t][b].load(kRelaxed);
      out += "stepup_request_duration_seconds_bucket{" + tl + ",le=\"" +
             (b < kBuckets.size() ? Number(kBuckets[b]) : "+Inf") + "\"} " +
             std::to_string(cumulative) + "\n";
    }
    out += "stepup_request_duration_seconds_sum{" + tl + "} " +
           Number(static_cast<double>(latency_us_[t].load(kRelaxed)) / 1e6) + "\n";
    out += "stepup_request_duration_seconds_count{" + tl + "} " + std::to_string(cumulative) + "\n";
  }
  Head(out, "stepup_events_total", "counter",
       "Walk events recorded: hops offered and completed, phones stuck or without a path, "
       "secrets sent, identity mismatches.");
  for (size_t i = 0; i < kEvents.size(); ++i) {
    out += "stepup_events_total{kind=\"" + std::string(kEvents[i]) + "\"} " +
           std::to_string(events_[i].load(kRelaxed)) + "\n";
  }
  Head(out, "stepup_devices", "gauge", "Devices in the inventory, by state.");
  for (const auto& [state, n] : devices_by_state) {
    out += "stepup_devices{state=\"" + LabelValue(state) + "\"} " + std::to_string(n) + "\n";
  }
  return out;
}

}  // namespace stepup
