// The inventory's SQLite schema: its migrations, and how a device maps to its row.
#pragma once

#include <sqlite3.h>

#include "core/device.h"
#include "core/result.h"
#include "store/sqlite_stmt.h"

namespace stepup {

// The devices table's columns, in the order ReadDevice reads them.
extern const char* const kDeviceColumns;

// Creates the schema or brings it up to date (each migration in its own transaction); an
// error names a database newer than this stepup.
Status MigrateSchema(sqlite3* db);

// Binds a device's fields as parameters 1..14 (mac, serial, model, protocol, target,
// firmware, hardware, settings, state, state_detail, hold, pending_load, pending_offers,
// excluded).
void BindDevice(Stmt& st, const Device& d);
// Reads a row selected with kDeviceColumns.
Device ReadDevice(Stmt& st);

}  // namespace stepup
