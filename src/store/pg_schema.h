// The inventory's PostgreSQL schema: the same tables, columns and numbered migrations as the
// SQLite one (sqlite_schema.h), so a schema version means the same on both; and how a device
// maps to its row.
#pragma once

#include <cstdint>

#include "core/device.h"
#include "core/result.h"
#include "store/pg_conn.h"

namespace stepup {

// The devices table's columns, in the order ReadPgDevice reads them.
extern const char* const kPgDeviceColumns;
// The device columns an INSERT or UPDATE writes, as parameters $1..$19 (PgDeviceParams).
extern const char* const kPgDeviceWriteColumns;

// Creates the schema or brings it up to date, each migration in its own transaction under an
// advisory lock (several stepup nodes may start at once); returns the schema version. An
// error names a database newer than this stepup.
Result<int64_t> MigratePgSchema(PgConn& conn);

// mac, serial, model, protocol, target, firmware, hardware, settings, state, state_detail,
// hold, pending_load, pending_offers, excluded, created, updated, candidates,
// firmware_source, transport: $1..$19.
PgParams PgDeviceParams(const Device& d);
// Row `row` of a result selected with kPgDeviceColumns.
Device ReadPgDevice(const PgResult& r, int row);

}  // namespace stepup
