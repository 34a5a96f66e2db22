// Firmware images held in memory for the TFTP transport (its FileBytes, app/file_source.h),
// which sends them block by block: one copy per file however many transfers read it, and a transfer
// reads a consistent snapshot even if the operator replaces the file meanwhile. An entry is re-read
// when the file's inode, size or modification time changes. Files larger than a quarter of the
// budget are not held (the caller reads them from disk). Entries in use are never evicted; the
// least recently used of the others go when the budget is exceeded. Thread-safe.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "app/file_source.h"

namespace stepup {

class ImageCache : public FileBytes {
 public:
  explicit ImageCache(uint64_t budget_bytes = 512ull << 20) : budget_(budget_bytes) {}

  // The file's bytes, or nullptr if it cannot be read or is too large to hold.
  std::shared_ptr<const std::string> Get(const std::string& path) override;
  uint64_t held_bytes() const;

 private:
  struct Entry {
    ino_t ino = 0;
    off_t size = 0;
    int64_t mtime_ns = 0;
    std::shared_ptr<const std::string> data;
    std::list<std::string>::iterator lru;
  };
  void EvictOver();  // caller holds mu_

  const uint64_t budget_;
  mutable std::mutex mu_;
  uint64_t held_ = 0;
  std::list<std::string> lru_;  // most recently used first
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace stepup
