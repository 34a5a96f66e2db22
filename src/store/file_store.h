// A directory of files served by name (firmware images, operator extras): the FileSource
// (app/file_source.h) the server hands the provisioner. Names are validated: one path
// component, no traversal, no hidden files, nothing that resolves outside the directory
// (symlinks included). Safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "app/file_source.h"
#include "core/result.h"

namespace stepup {

class DirFiles : public FileSource {
 public:
  explicit DirFiles(std::string dir);

  // The path of a servable file called `name` (case-sensitive first, then case-insensitive),
  // or an error: kBadInput for an invalid name, kUnknown when absent.
  Result<std::string> Resolve(const std::string& name) const override;
  // Lower-case names of every servable file (store/firmware_dir.h: ListFirmwareNames).
  std::unordered_set<std::string> Names() const override;
  // store/firmware_dir.h: ManifestImages.
  std::vector<std::string> ManifestImages(const std::string& path) const override;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

// A FileStore handle on the directory `dir` ("" : serves nothing).
FileStore DirFileStore(std::string dir);

// True for a name that may be looked up at all (see DirFiles).
bool ValidFileName(const std::string& name);

}  // namespace stepup
