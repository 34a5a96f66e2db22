// A directory of files served by name (firmware images, operator extras). Names are
// validated: one path component, no traversal, no hidden files, nothing that resolves outside
// the directory (symlinks included). Safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_set>

#include "core/result.h"

namespace stepup {

class FileStore {
 public:
  FileStore() = default;  // empty: serves nothing
  explicit FileStore(std::string dir);

  // The path of a servable file called `name` (case-sensitive first, then case-insensitive),
  // or an error: kBadInput for an invalid name, kUnknown when absent.
  Result<std::string> Resolve(const std::string& name) const;
  // Lower-case names of every servable file, for availability.
  std::unordered_set<std::string> Names() const;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

// True for a name that may be looked up at all (see FileStore).
bool ValidFileName(const std::string& name);

}  // namespace stepup
