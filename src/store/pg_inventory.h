// The PostgreSQL inventory: several stepup nodes (and the CLI) sharing one fleet. Opened by
// OpenInventory (store/inventory.h) for postgresql:// and postgres:// URLs.
#pragma once

#include <memory>
#include <string>

#include "app/inventory.h"
#include "core/result.h"

namespace stepup {

// Connects to `url` (libpq's URI syntax: postgresql://user:password@host:port/db?...),
// creates or migrates the schema. Errors name the URL without its password.
Result<std::unique_ptr<Inventory>> OpenPostgresInventory(const std::string& url);
// Creates or migrates the schema at `url`; the schema version it is now at.
Result<int64_t> MigratePostgresInventory(const std::string& url);

}  // namespace stepup
