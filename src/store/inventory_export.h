// The file `stepup db export` writes and `stepup db import` reads: an inventory's whole
// content (InventoryDump) as JSON lines, one record a line, so a large fleet streams and diffs.
//
//   {"stepup_export": 1, "schema": 6, "devices": 2, "events": 5, "unknown": 1, "groups": 1}
//   {"type": "device", "id": 1, "mac": "0002fdff2103", "serial": "", "model": "SPA504G", ...}
//   {"type": "event", "device": 1, "time": 1764028800000, "kind": "request", ...}
//   {"type": "unknown", "time": ..., "kind": ..., "detail": ..., "transport": ..., "peer": ...,
//    "claimed": "..."}
//   {"type": "group", "name": "pilot", "target": ..., "window": ..., "paused": false, ...}
//
// The header counts each kind of record, so a truncated file is refused. Devices carry every
// field of Device (settings, secrets included, in clear); events name their device by the
// device's "id" in the same file and come in the order they were written. Pure: no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "app/inventory.h"
#include "core/result.h"

namespace stepup {

inline constexpr int kExportFormat = 1;

// The file's text; `schema` is the exporting inventory's schema version (informative).
std::string ExportToJsonLines(const InventoryDump& dump, int64_t schema);
// Parses a file ExportToJsonLines wrote; kBadInput naming `name`, the line and the field at
// the first problem (unknown record type or key, wrong type, counts that do not match).
Result<InventoryDump> ImportFromJsonLines(std::string_view text, const std::string& name);

}  // namespace stepup
