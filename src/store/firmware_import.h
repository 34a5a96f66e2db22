// Places what an operator downloaded from Cisco into the firmware repository: the images inside
// an archive (zip, tar, tar.gz, COP) or a plain image file. Every file is written to a temporary
// file in the repository and renamed over its name once complete, so a reader (the server, a
// phone mid-download) sees the old file or the new one, never a part; a failed import leaves
// every file already there as it was.
#pragma once

#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/catalog.h"
#include "core/firmware_repo.h"
#include "core/result.h"

namespace stepup {

struct ImportRequest {
  std::string file;                            // the download, as the operator named it
  std::string dir;                             // the firmware repository (created if missing)
  DownloadKind kind = DownloadKind::kUnknown;  // core/firmware_repo.h ClassifyDownload
  // Which archive members to place, by lower-case base name; the others are skipped (read me
  // files, install scripts). Unset: every regular file.
  std::function<bool(const std::string& lower_name)> wanted;
  // Also place the archive itself as it is (its name is a catalog bundle).
  bool keep_archive = false;
  // Sizes and hashes the catalog records (core/catalog.h FileChecks): a file that differs is
  // not placed, and is reported in `rejected`.
  const std::unordered_map<std::string, FileCheck>* checks = nullptr;
};

struct PlacedFile {
  std::string name;       // as placed in the repository
  std::string member;     // the archive member it came from ("" for the file itself)
  bool replaced = false;  // a file of that name (any case) was there before
};

struct SkippedMember {
  std::string member;
  std::string why;
};

struct ImportResult {
  std::vector<PlacedFile> placed;
  std::vector<SkippedMember> skipped;   // not images, directories' contents we do not place
  std::vector<SkippedMember> rejected;  // not what the catalog says: not placed
};

// Imports one download. Archive members are placed flat under their base name. An archive with
// a member whose name is absolute or climbs out with "..", or that is a symbolic or hard link,
// is refused whole (kBadInput naming the member): nothing of it is placed. Also kBadInput,
// naming the file: unreadable or not an archive of its kind, a COP file without a gzip
// stream, two members with the same base name, a member over 4 GiB. kIo when the repository
// cannot be written (its temporary files are removed).
Result<ImportResult> ImportDownload(const ImportRequest& request);

}  // namespace stepup
