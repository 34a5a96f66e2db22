#include "app/bench_report.h"

#include <ctime>
#include <algorithm>
#include <map>

#include "core/rollout.h"
#include "core/text.h"

namespace stepup {
namespace {

std::string FirstWord(const std::string& s) { return s.substr(0, s.find(' ')); }

std::string Iso(int64_t ms) { return ms <= 0 ? "" : UtcTime(ms / 1000, "%Y-%m-%dT%H:%M:%SZ"); }

std::string Html(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string Csv(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// Horizontal bars, one per entry, as inline SVG (no script: the page prints as it is).
std::string Bars(const std::map<std::string, int>& counts, const std::string& id) {
  int max = 1;
  for (const auto& [_, n] : counts) max = std::max(max, n);
  const int bar = 20, gap = 6, label = 150, width = 560;
  std::string svg = "<svg id=\"" + id + "\" width=\"" + std::to_string(width) + "\" height=\"" +
                    std::to_string(static_cast<int>(counts.size()) * (bar + gap) + gap) +
                    "\" role=\"img\">";
  int i = 0;
  for (const auto& [k, n] : counts) {
    const int y = gap + i++ * (bar + gap);
    const int w = std::max(1, (width - label - 50) * n / max);
    svg += "<text x=\"4\" y=\"" + std::to_string(y + bar - 5) + "\">" + Html(k) + "</text>";
    svg += "<rect class=\"r-" + Html(k) + "\" data-key=\"" + Html(k) + "\" data-count=\"" +
           std::to_string(n) + "\" x=\"" + std::to_string(label) + "\" y=\"" + std::to_string(y) +
           "\" width=\"" + std::to_string(w) + "\" height=\"" + std::to_string(bar) + "\"/>";
    svg += "<text x=\"" + std::to_string(label + w + 6) + "\" y=\"" + std::to_string(y + bar - 5) +
           "\">" + std::to_string(n) + "</text>";
  }
  return svg + "</svg>";
}

}  // namespace

ReportRow ReportFor(const Device& d, const std::vector<Event>& events) {
  ReportRow r;
  r.mac = d.mac;
  r.serial = d.serial;
  r.model = d.model;
  r.hardware = d.hardware;
  r.final = d.firmware;
  r.group = GroupOf(d);
  int64_t handed = 0, last = 0;
  for (const Event& e : events) {
    const bool phone = e.transport != "cli" && e.transport != "api" && e.transport != "server";
    if (phone && r.first_seen_ms == 0) r.first_seen_ms = e.time;
    if (phone) last = std::max(last, std::max(e.time, e.last_time));
    if (r.start.empty() && e.kind == "firmware") {
      std::string d2 = e.detail.rfind("runs ", 0) == 0 ? e.detail.substr(5) : e.detail;
      r.start = FirstWord(d2);
    } else if (r.start.empty() && e.kind == "firmware-learned") {
      r.start = FirstWord(e.detail);
    } else if (e.kind == "hop-completed") {
      r.hops.push_back(FirstWord(e.detail));
    } else if (e.kind == "handed-off") {
      handed = e.time;
      r.reason = e.detail;
    }
  }
  if (r.start.empty() && r.hops.empty()) r.start = d.firmware;  // never moved: where it began
  r.result = d.state;
  if (d.state == kStateStuck || d.state == kStateNoPath) r.reason = d.state_detail;
  r.finished_ms = handed ? handed
                  : (d.state == kStateCurrent || d.state == kStateStuck ||
                     d.state == kStateNoPath || d.state == kStateReturned)
                      ? last
                      : 0;
  if (r.first_seen_ms && r.finished_ms >= r.first_seen_ms)
    r.seconds = static_cast<double>(r.finished_ms - r.first_seen_ms) / 1000.0;
  return r;
}

std::string BenchTable(const std::vector<Device>& devices, const std::string& group,
                       int64_t now_s, size_t max_rows) {
  std::map<std::string, int> by_state;
  std::vector<const Device*> rows;
  for (const Device& d : devices) {
    if (GroupOf(d) != group) continue;
    ++by_state[d.state];
    rows.push_back(&d);
  }
  auto done = [](const Device* d) {
    return d->state == kStateHandedOff || d->state == kStateCurrent;
  };
  std::stable_sort(rows.begin(), rows.end(),
                   [&](const Device* a, const Device* b) { return !done(a) && done(b); });
  std::string out = "bench " + group + ": " + std::to_string(rows.size()) + " phones";
  for (const auto& [state, n] : by_state) out += ", " + state + " " + std::to_string(n);
  out += "\n";
  char line[256];
  std::snprintf(line, sizeof line, "%-14s %-14s %-24s %-16s %-24s %8s\n", "MAC/serial", "model",
                "firmware", "step", "hop", "seconds");
  out += line;
  for (size_t i = 0; i < rows.size() && i < max_rows; ++i) {
    const Device& d = *rows[i];
    std::snprintf(line, sizeof line, "%-14s %-14s %-24s %-16s %-24s %8lld\n",
                  d.key().substr(0, 14).c_str(), d.model.substr(0, 14).c_str(),
                  (d.firmware.empty() ? "(learning)" : d.firmware).substr(0, 24).c_str(),
                  d.state.substr(0, 16).c_str(), d.pending_load.substr(0, 24).c_str(),
                  static_cast<long long>(std::max<int64_t>(0, now_s - d.created)));
    out += line;
  }
  if (rows.size() > max_rows)
    out += "... and " + std::to_string(rows.size() - max_rows) + " more\n";
  return out;
}

std::string ReportCsv(const std::vector<ReportRow>& rows) {
  std::string out =
      "mac,serial,model,hardware,start,final,hops,result,seconds,first_seen,finished,group,"
      "reason\n";
  for (const auto& r : rows) {
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.1f", r.seconds);
    out += Csv(r.mac) + "," + Csv(r.serial) + "," + Csv(r.model) + "," + Csv(r.hardware) + "," +
           Csv(r.start) + "," + Csv(r.final) + "," + std::to_string(r.hops.size()) + "," +
           Csv(r.result) + "," + secs + "," + Iso(r.first_seen_ms) + "," + Iso(r.finished_ms) +
           "," + Csv(r.group) + "," + Csv(r.reason) + "\n";
  }
  return out;
}

nlohmann::json ReportJson(const std::vector<ReportRow>& rows) {
  nlohmann::json devices = nlohmann::json::array();
  std::map<std::string, int> by_result, by_model;
  for (const auto& r : rows) {
    ++by_result[r.result];
    ++by_model[r.model];
    devices.push_back({{"mac", r.mac},
                       {"serial", r.serial},
                       {"model", r.model},
                       {"hardware", r.hardware},
                       {"start", r.start},
                       {"final", r.final},
                       {"hops", r.hops},
                       {"result", r.result},
                       {"reason", r.reason},
                       {"group", r.group},
                       {"seconds", r.seconds},
                       {"first_seen", Iso(r.first_seen_ms)},
                       {"finished", Iso(r.finished_ms)}});
  }
  return {{"devices", devices},
          {"totals", {{"phones", rows.size()}, {"by_result", by_result}, {"by_model", by_model}}}};
}

std::string ReportHtml(const std::vector<ReportRow>& rows, const std::string& title) {
  std::map<std::string, int> by_result, by_model;
  for (const auto& r : rows) {
    ++by_result[r.result];
    ++by_model[r.model];
  }
  std::string h =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + Html(title) +
      "</title><style>body{font-family:sans-serif;margin:24px;color:#222}"
      "table{border-collapse:collapse;font-size:12px;width:100%}"
      "td,th{border-bottom:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}"
      "svg text{font-size:12px}svg rect{fill:#4a6fa5}rect.r-handed-off,rect.r-current{fill:#2e7d32}"
      "rect.r-stuck,rect.r-no-path,rect.r-returned{fill:#c62828}"
      ".charts{display:flex;gap:40px;flex-wrap:wrap}"
      "@media print{body{margin:8mm}}</style></head><body>\n<h1>" +
      Html(title) + "</h1>\n<p id=\"summary\" data-phones=\"" + std::to_string(rows.size()) +
      "\">" + std::to_string(rows.size()) + " phones</p>\n<div class=\"charts\"><div><h2>By result</h2>" +
      Bars(by_result, "by-result") + "</div><div><h2>By model</h2>" + Bars(by_model, "by-model") +
      "</div></div>\n<h2>Phones</h2>\n<table id=\"phones\"><thead><tr><th>MAC</th><th>serial</th>"
      "<th>model</th><th>hw</th><th>start</th><th>final</th><th>hops</th><th>result</th>"
      "<th>seconds</th><th>first seen</th><th>finished</th><th>why / where</th></tr></thead><tbody>\n";
  for (const auto& r : rows) {
    std::string hops;
    for (const auto& x : r.hops) hops += (hops.empty() ? "" : " → ") + Html(x);
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.1f", r.seconds);
    h += "<tr data-mac=\"" + Html(r.mac) + "\" data-result=\"" + Html(r.result) + "\"><td>" +
         Html(r.mac) + "</td><td>" + Html(r.serial) + "</td><td>" + Html(r.model) + "</td><td>" +
         Html(r.hardware) + "</td><td>" + Html(r.start) + "</td><td>" + Html(r.final) +
         "</td><td>" + hops + "</td><td>" + Html(r.result) + "</td><td>" + secs + "</td><td>" +
         Iso(r.first_seen_ms) + "</td><td>" + Iso(r.finished_ms) + "</td><td>" + Html(r.reason) +
         "</td></tr>\n";
  }
  return h + "</tbody></table>\n</body></html>\n";
}

}  // namespace stepup
