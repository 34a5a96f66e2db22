// Where the files the server hands out come from, as the application layer sees them: the
// provisioner resolves names against a FileSource (firmware images, operator extras) and a
// transport that sends a file in pieces (TFTP) may read its bytes through FileBytes. Both are
// implemented by the store layer (store/file_store.h, store/image_cache.h) and wired together
// by the server module (server/server.h), so neither app/ nor net/ touches store/.
#pragma once

#include <memory>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/result.h"

namespace stepup {

// A directory-like set of servable files, looked up by name. Implementations validate names
// (one path component, no traversal, nothing outside the set) and are safe from any thread.
class FileSource {
 public:
  virtual ~FileSource() = default;
  // The path of a servable file called `name`, or an error: kBadInput for an invalid name,
  // kUnknown when absent.
  virtual Result<std::string> Resolve(const std::string& name) const = 0;
  // Lower-case names of every servable file, for availability.
  virtual std::unordered_set<std::string> Names() const = 0;
  // The image files (lower-case) a `.loads` manifest at `path` (from Resolve) lists; empty if
  // it cannot be read.
  virtual std::vector<std::string> ManifestImages(const std::string& path) const = 0;
};

// A copyable handle on a FileSource, as the provisioner's configuration holds it. Empty (the
// default): serves nothing.
class FileStore {
 public:
  FileStore() = default;
  explicit FileStore(std::shared_ptr<const FileSource> source) : source_(std::move(source)) {}

  Result<std::string> Resolve(const std::string& name) const {
    if (!source_) return Unknown("no such file \"" + name + "\"");
    return source_->Resolve(name);
  }
  std::unordered_set<std::string> Names() const {
    return source_ ? source_->Names() : std::unordered_set<std::string>();
  }
  std::vector<std::string> ManifestImages(const std::string& path) const {
    return source_ ? source_->ManifestImages(path) : std::vector<std::string>();
  }

 private:
  std::shared_ptr<const FileSource> source_;
};

// The bytes of a file a Response names, for a transport that sends it block by block: one copy
// in memory however many transfers read it. Thread-safe.
class FileBytes {
 public:
  virtual ~FileBytes() = default;
  // The file's bytes, or nullptr if it cannot be read or is not held (the caller then reads
  // it from disk).
  virtual std::shared_ptr<const std::string> Get(const std::string& path) = 0;
};

}  // namespace stepup
