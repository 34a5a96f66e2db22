// The inventories the store layer provides behind the Inventory interface (app/inventory.h):
// an in-memory fake (tests) and SQLite (the default).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "app/inventory.h"
#include "core/result.h"

namespace stepup {

// "sqlite:PATH" or a plain path opens SQLite (created and migrated as needed). The database
// and its -wal/-shm files are made private (0600, store/private_files.h); what had to be
// fixed is appended to `notes`.
Result<std::unique_ptr<Inventory>> OpenInventory(const std::string& url,
                                                 std::vector<std::string>* notes = nullptr);
std::unique_ptr<Inventory> NewMemoryInventory();

}  // namespace stepup
