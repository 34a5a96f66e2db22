// A directory of files served by name (firmware images, operator extras). Names are
// validated: one path component, no traversal, no hidden files, nothing that resolves outside
// the directory (symlinks included). Safe from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "core/catalog.h"
#include "core/result.h"

namespace stepup {

class FileStore {
 public:
  FileStore() = default;  // empty: serves nothing
  explicit FileStore(std::string dir);
  // Sizes and hashes the catalog records (core/catalog.h FileChecks): a file that differs is
  // left out of Names(), so no load is available through it. Set before sharing the store.
  void SetChecks(std::unordered_map<std::string, FileCheck> checks) {
    checks_ = std::make_shared<const std::unordered_map<std::string, FileCheck>>(std::move(checks));
  }

  // The path of a servable file called `name` (case-sensitive first, then case-insensitive),
  // or an error: kBadInput for an invalid name, kUnknown when absent.
  Result<std::string> Resolve(const std::string& name) const;
  // Lower-case names of every servable file that passes the checks, for availability.
  std::unordered_set<std::string> Names() const;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::shared_ptr<const std::unordered_map<std::string, FileCheck>> checks_;
};

// True for a name that may be looked up at all (see FileStore).
bool ValidFileName(const std::string& name);

}  // namespace stepup
