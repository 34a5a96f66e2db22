// The inventories the store layer provides behind the Inventory interface (app/inventory.h):
// an in-memory fake (tests), SQLite (the default) and PostgreSQL (several nodes, one fleet).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "app/inventory.h"
#include "app/shared_state.h"
#include "core/result.h"

namespace stepup {

// "sqlite:PATH" or a plain path opens SQLite (created and migrated as needed). The database
// and its -wal/-shm files are made private (0600, store/private_files.h); what had to be
// fixed is appended to `notes`. "postgresql://..." or "postgres://..." (libpq's URI syntax)
// opens PostgreSQL (store/pg_inventory.h), whose schema is created and migrated as needed.
Result<std::unique_ptr<Inventory>> OpenInventory(const std::string& url,
                                                 std::vector<std::string>* notes = nullptr);
std::unique_ptr<Inventory> NewMemoryInventory();
// The state nodes sharing the fleet at `url` keep in its database (app/shared_state.h): for a
// PostgreSQL URL, its tables created as needed; nullptr for SQLite (one node keeps it in memory).
Result<std::unique_ptr<SharedState>> OpenSharedState(const std::string& url);
// Shared state in this process's memory (tests: several provisioners, one fleet).
std::unique_ptr<SharedState> NewMemorySharedState();
// Whether `url` names a PostgreSQL inventory.
bool IsPostgresUrl(const std::string& url);
// The URL as messages may show it: a PostgreSQL URL's password replaced by ***.
std::string RedactInventoryUrl(const std::string& url);
// Creates or migrates the inventory at `url` (as OpenInventory); the schema version it is now
// at (`stepup db migrate`).
Result<int64_t> MigrateInventory(const std::string& url);

}  // namespace stepup
