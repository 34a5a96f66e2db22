// Reads the operator's firmware repository and catalog files from disk. The only layer that
// touches the file system for these; the domain gets plain names and texts.
#pragma once

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/catalog.h"
#include "core/embedded_files.h"
#include "core/result.h"

namespace stepup {

// Lower-case names of the regular files directly in `dir` (symlinks are followed only when
// they resolve inside `dir`). A `.loads` manifest counts only when every image it lists is
// there too: a phone given a manifest without its images fetches it and then fails, so such
// a load is not on hand. Error (kBadInput) naming the directory if it cannot be read.
Result<std::unordered_set<std::string>> ListFirmwareNames(const std::string& dir);

// A file of the repository that is not what the catalog says it is.
struct RejectedFile {
  std::string name;  // as on disk
  std::string why;   // "is 12 bytes, the catalog says 130956 (7940/P0S3-8-12-00: STAS ...)"
};

// As above, and a file whose size, or sha256 where the catalog records one, differs from
// `checks` (core/catalog.h FileChecks) is not on hand either, nor is a manifest listing it:
// each is reported in `rejected`. Only files with a recorded sha256 are hashed, and a hash is
// reused while the file's (path, size, mtime) stay the same. Thread-safe.
Result<std::unordered_set<std::string>> ListFirmwareNames(
    const std::string& dir, const std::unordered_map<std::string, FileCheck>& checks,
    std::vector<RejectedFile>* rejected);

// The sha256 of a file as 64 lower-case hex digits; "" if it cannot be read.
std::string FileSha256(const std::string& path);
// Bytes as lower-case hex digits.
std::string LowerHex(const unsigned char* bytes, size_t n);

// Why a file of `size` bytes, or with this sha256 ("" : it could not be read), is not what the
// catalog says; "" when it is, or when nothing is recorded. For the repository scan and for
// `firmware import`, which hashes what it writes.
std::string SizeMismatch(const FileCheck& c, uint64_t size);
std::string Sha256Mismatch(const FileCheck& c, const std::string& sha256);

// The image files a `.loads` manifest at `path` lists (lower-case), read from its text part:
// lines whose last word ends in .sbn, .sb2, .bin, .zz or .img. A real manifest has a binary
// signature header before that text; it is skipped. Empty if the file cannot be read.
std::vector<std::string> ManifestImages(const std::string& path);

// Reads a catalog: one TOML file, or every *.toml file of a directory in name order.
Result<std::vector<EmbeddedFile>> ReadCatalogPath(const std::string& path);

}  // namespace stepup
