// What happened to each phone on a bench, or in any group (issue 19, `stepup report`): read
// from the inventory's devices and their histories, one row per phone. Pure: the caller reads
// the inventory.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/device.h"

namespace stepup {

struct ReportRow {
  std::string mac, serial, model, hardware;
  std::string start;   // what it ran when first seen ("" : unknown)
  std::string final;   // what it runs now
  std::vector<std::string> hops;  // loads it completed, in order
  // handed-off, returned, current (at target, no hand-off set), stuck, no-path, or its state
  // while still walking (upgrading, unknown-firmware, new...)
  std::string result;
  std::string reason;  // stuck and no-path: why (the missing image); handed-off: where to
  std::string group;
  int64_t first_seen_ms = 0, finished_ms = 0;  // 0: never seen / not finished
  double seconds = 0;  // first request to hand-off (or to its last event)
};

ReportRow ReportFor(const Device& d, const std::vector<Event>& events);

// The bench's live view (serve --bench on a terminal): a summary line, then one line per
// phone of the group (MAC, model, firmware, state, pending hop, seconds since it joined),
// phones still walking first, at most `max_rows`.
std::string BenchTable(const std::vector<Device>& devices, const std::string& group,
                       int64_t now_s, size_t max_rows = 40);

// contract.md: the CSV has a header row with at least mac,serial,model,start,final,hops,result,
// seconds. `hops` is the number of hops; the loads are in the JSON.
std::string ReportCsv(const std::vector<ReportRow>& rows);
nlohmann::json ReportJson(const std::vector<ReportRow>& rows);
// A printable page: a summary (phones by result and by model, as bar charts) and the table.
std::string ReportHtml(const std::vector<ReportRow>& rows, const std::string& title);

}  // namespace stepup
