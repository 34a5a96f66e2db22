// A directory of files served by name (firmware images, operator extras), as the app layer's
// FileSource (app/file_source.h). Names are validated: one path component, no traversal, no
// hidden files, nothing that resolves outside the directory (symlinks included). Safe from any
// thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "app/file_source.h"
#include "core/catalog.h"
#include "core/result.h"

namespace stepup {

class DirFiles : public FileSource {
 public:
  // `checks`: sizes and hashes the catalog records (core/catalog.h FileChecks); a file that
  // differs is left out of Names(), so no load is available through it.
  explicit DirFiles(std::string dir, std::unordered_map<std::string, FileCheck> checks = {});

  // The path of a servable file called `name` (case-sensitive first, then case-insensitive),
  // or an error: kBadInput for an invalid name, kUnknown when absent.
  Result<std::string> Resolve(const std::string& name) const override;
  // Lower-case names of every servable file that passes the checks (store/firmware_dir.h:
  // ListFirmwareNames).
  std::unordered_set<std::string> Names() const override;
  // store/firmware_dir.h: ManifestImages.
  std::vector<std::string> ManifestImages(const std::string& path) const override;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::unordered_map<std::string, FileCheck> checks_;
};

// A FileStore handle on the directory `dir` ("" : serves nothing), with the catalog's checks.
FileStore DirFileStore(std::string dir, std::unordered_map<std::string, FileCheck> checks = {});

// True for a name that may be looked up at all (see DirFiles).
bool ValidFileName(const std::string& name);

}  // namespace stepup
