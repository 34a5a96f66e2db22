// The SQLite inventory's whole content at once (Inventory::Dump and Load, for `stepup db
// export|import`). The caller holds the connection's lock and has no transaction open.
#pragma once

#include <sqlite3.h>

#include "app/inventory.h"
#include "core/result.h"

namespace stepup {

// Devices, events (in the order written), unknown attempts and groups, in one read
// transaction.
Result<InventoryDump> DumpSqlite(sqlite3* db);
// Into a database without devices, in one transaction: devices keep their ids, events their
// times and counts. A clash (two devices with one MAC) is kBadInput naming it.
Status LoadSqlite(sqlite3* db, const InventoryDump& dump);

}  // namespace stepup
