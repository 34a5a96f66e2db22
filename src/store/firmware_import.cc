#include "store/firmware_import.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <unordered_map>

#include "core/text.h"
#include "store/file_store.h"
#include "store/firmware_dir.h"

namespace stepup {
namespace {
namespace fs = std::filesystem;

// No phone image comes near this; a member that decompresses past it is refused before it
// fills the disk.
constexpr uint64_t kMaxMemberBytes = uint64_t{4} << 30;
// How far into a COP file its gzip stream may start (the signature header is a few KiB).
constexpr size_t kCopHeaderLimit = size_t{1} << 20;

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }


// Why an archive member's name could lead outside the repository if it were extracted as
// named; "" when it cannot. Both separators count: zip files made on Windows use '\'.
std::string EscapeProblem(const std::string& path) {
  if (path.empty()) return "has an empty name";
  if (path[0] == '/' || path[0] == '\\') return "is an absolute path";
  if (path.size() > 1 && path[1] == ':') return "is an absolute path (drive letter)";
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find_first_of("/\\", start);
    if (end == std::string::npos) end = path.size();
    if (path.compare(start, end - start, "..") == 0) return "climbs out of the archive with \"..\"";
    start = end + 1;
  }
  return "";
}

std::string BaseName(const std::string& path) {
  size_t slash = path.find_last_of("/\\");
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Temporary files in the repository, removed unless renamed into place by Commit.
class Staging {
 public:
  explicit Staging(fs::path dir) : dir_(std::move(dir)) {}
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;
  ~Staging() {
    for (const auto& s : staged_) ::unlink(s.temp.c_str());
  }

  // Copies what `read` yields (bytes read; 0 at the end; -1 on error, with *why set) into a
  // new temporary file for `name`. Returns "" when staged, else why it was rejected (the
  // catalog's size or hash differs); errors for I/O.
  Result<std::string> Stage(const std::string& name, const std::string& member, bool replaced,
                            const FileCheck* check,
                            const std::function<long(char*, size_t, std::string*)>& read) {
    std::string templ = (dir_ / ".stepup-import-XXXXXX").string();
    const int fd = ::mkstemp(templ.data());
    if (fd < 0)
      return IoError("cannot create a file in " + Quoted(dir_.string()) + ": " +
                     std::strerror(errno));
    staged_.push_back({templ, name, member, replaced});
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(nullptr, EVP_MD_CTX_free);
    if (check && !check->sha256.empty()) {
      md.reset(EVP_MD_CTX_new());
      if (!md || EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr) != 1) {
        ::close(fd);
        return IoError("sha256 is not available (OpenSSL)");
      }
    }
    std::vector<char> buf(1 << 16);
    uint64_t total = 0;
    std::string why;
    for (;;) {
      const long n = read(buf.data(), buf.size(), &why);
      if (n < 0) {
        ::close(fd);
        return BadInput(why);
      }
      if (n == 0) break;
      total += static_cast<uint64_t>(n);
      if (total > kMaxMemberBytes) {
        ::close(fd);
        return BadInput(Quoted(member.empty() ? name : member) +
                        " is larger than 4 GiB: not a phone image");
      }
      if (md) EVP_DigestUpdate(md.get(), buf.data(), static_cast<size_t>(n));
      for (long off = 0; off < n;) {
        const ssize_t w = ::write(fd, buf.data() + off, static_cast<size_t>(n - off));
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) {
          const std::string e = std::strerror(errno);
          ::close(fd);
          return IoError("cannot write " + Quoted(name) + " in " + Quoted(dir_.string()) + ": " +
                         e);
        }
        off += w;
      }
    }
    // Readable by whoever serves the repository; durable before it is renamed into place.
    if (::fchmod(fd, 0644) != 0 || ::fsync(fd) != 0) {
      const std::string e = std::strerror(errno);
      ::close(fd);
      return IoError("cannot write " + Quoted(name) + " in " + Quoted(dir_.string()) + ": " + e);
    }
    ::close(fd);
    if (check) {
      if (std::string why = SizeMismatch(*check, total); !why.empty()) {
        Drop();
        return why;
      }
    }
    if (md) {
      unsigned char out[EVP_MAX_MD_SIZE];
      unsigned int len = 0;
      EVP_DigestFinal_ex(md.get(), out, &len);
      if (std::string why = Sha256Mismatch(*check, LowerHex(out, len)); !why.empty()) {
        Drop();
        return why;
      }
    }
    return std::string();
  }

  bool empty() const { return staged_.empty(); }

  // Renames every staged file over its name, then makes the renames durable.
  Result<std::vector<PlacedFile>> Commit() {
    std::vector<PlacedFile> placed;
    for (auto& s : staged_) {
      if (std::rename(s.temp.c_str(), (dir_ / s.name).c_str()) != 0) {
        return IoError("cannot place " + Quoted(s.name) + " in " + Quoted(dir_.string()) + ": " +
                       std::strerror(errno));
      }
      s.temp.clear();
      placed.push_back({s.name, s.member, s.replaced});
    }
    staged_.clear();
    const int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
    return placed;
  }

 private:
  void Drop() {
    ::unlink(staged_.back().temp.c_str());
    staged_.pop_back();
  }
  struct Staged {
    std::string temp, name, member;
    bool replaced = false;
  };
  fs::path dir_;
  std::vector<Staged> staged_;
};

// The repository's files by lower-case name, as spelled on disk: a file imported under another
// case replaces the one there instead of standing beside it.
Result<std::unordered_map<std::string, std::string>> Existing(const fs::path& dir) {
  std::unordered_map<std::string, std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(".stepup-import-", 0) == 0) continue;
    out.emplace(ToLower(name), name);
  }
  if (ec) return IoError(Quoted(dir.string()) + ": " + ec.message());
  return out;
}

// Where the gzipped tar of a COP file starts. A COP file (Cisco Options Package, for CUCM) is a
// signature header followed by a gzip stream of a tar archive: "The COP file is basically a
// gzip, with an encryption header"; cut everything before the gzip magic 1F 8B 08 and what is
// left opens as a .tar.gz (IPCommute, "How to Extract the Contents of Cisco COP Files",
// ipcommute.co.uk/technical-articles/19--how-to-extract-the-contents-cisco-cop-files.html).
// The header's own layout is not documented, so it is not parsed: the first magic is taken.
Result<long> GzipOffset(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return BadInput(Quoted(file) + ": cannot be read: " + std::strerror(errno));
  std::string head(kCopHeaderLimit, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  const size_t at = head.find(std::string("\x1f\x8b\x08", 3));
  if (at == std::string::npos) {
    return BadInput(Quoted(file) +
                    ": no gzip stream (1f 8b 08) in its first 1 MiB: not a COP file");
  }
  return static_cast<long>(at);
}

using ArchivePtr = std::unique_ptr<struct archive, decltype(&archive_read_free)>;

Result<ArchivePtr> OpenArchive(const ImportRequest& r, FILE** cop) {
  ArchivePtr a(archive_read_new(), archive_read_free);
  if (!a) return IoError("libarchive: out of memory");
  if (r.kind == DownloadKind::kZip) {
    archive_read_support_format_zip(a.get());
  } else {
    // gzip only: archive_read_support_filter_all would also run external programs (lrzip,
    // lzop, ...) for formats no download of ours comes in.
    archive_read_support_format_tar(a.get());
    archive_read_support_filter_gzip(a.get());
  }
  int rc = ARCHIVE_OK;
  if (r.kind == DownloadKind::kCop) {
    auto at = GzipOffset(r.file);
    if (!at) return at.error();
    *cop = std::fopen(r.file.c_str(), "rb");
    if (!*cop || fseeko(*cop, *at, SEEK_SET) != 0) {
      return BadInput(Quoted(r.file) + ": cannot be read: " + std::strerror(errno));
    }
    rc = archive_read_open_FILE(a.get(), *cop);
  } else {
    rc = archive_read_open_filename(a.get(), r.file.c_str(), 1 << 16);
  }
  if (rc != ARCHIVE_OK) {
    return BadInput(Quoted(r.file) + ": cannot be read as " +
                    std::string(DownloadKindName(r.kind)) + ": " + archive_error_string(a.get()));
  }
  return a;
}

// Stages the archive's wanted members.
Status StageMembers(const ImportRequest& r, Staging& staging,
                    const std::unordered_map<std::string, std::string>& existing,
                    ImportResult& out) {
  // Declared first, closed last: the archive reads from it until it is freed.
  struct CloseFile {
    void operator()(FILE* f) const { std::fclose(f); }
  };
  std::unique_ptr<FILE, CloseFile> cop_owner;
  FILE* cop = nullptr;
  auto opened = OpenArchive(r, &cop);
  cop_owner.reset(cop);
  if (!opened) return opened.error();
  struct archive* a = opened->get();
  std::unordered_map<std::string, std::string> seen;  // lower-case base name -> member
  archive_entry* entry = nullptr;
  int rc;
  while ((rc = archive_read_next_header(a, &entry)) == ARCHIVE_OK || rc == ARCHIVE_WARN) {
    const char* raw = archive_entry_pathname(entry);
    if (!raw) return BadInput(Quoted(r.file) + ": a member's name cannot be read: refused");
    const std::string member = raw;
    const std::string refuse = Quoted(r.file) + ": member " + Quoted(member);
    if (std::string why = EscapeProblem(member); !why.empty()) {
      return BadInput(refuse + " " + why + ": the archive is refused, nothing of it placed");
    }
    if (const char* target = archive_entry_hardlink(entry)) {
      return BadInput(refuse + " is a hard link to " + Quoted(target) +
                      ": the archive is refused, nothing of it placed");
    }
    const auto type = archive_entry_filetype(entry);
    if (type == AE_IFLNK) {
      const char* target = archive_entry_symlink(entry);
      return BadInput(refuse + " is a symbolic link to " + Quoted(target ? target : "") +
                      ": the archive is refused, nothing of it placed");
    }
    if (type == AE_IFDIR) continue;
    if (type != AE_IFREG) {
      out.skipped.push_back({member, "not a regular file"});
      continue;
    }
    const std::string base = BaseName(member);
    const std::string lower = ToLower(base);
    if (!ValidFileName(base)) {
      out.skipped.push_back({member, "not a name a phone can ask for"});
      continue;
    }
    if (r.wanted && !r.wanted(lower)) {
      out.skipped.push_back({member, "not a firmware image"});
      continue;
    }
    if (auto [it, fresh] = seen.emplace(lower, member); !fresh) {
      return BadInput(Quoted(r.file) + ": members " + Quoted(it->second) + " and " +
                      Quoted(member) + " would both be " + Quoted(base) + ": refused");
    }
    auto on_disk = existing.find(lower);
    const std::string name = on_disk == existing.end() ? base : on_disk->second;
    const FileCheck* check = nullptr;
    if (r.checks) {
      if (auto c = r.checks->find(lower); c != r.checks->end()) check = &c->second;
    }
    auto staged = staging.Stage(name, member, on_disk != existing.end(), check,
                                [&](char* buf, size_t len, std::string* why) -> long {
                                  const la_ssize_t n = archive_read_data(a, buf, len);
                                  if (n < 0) *why = refuse + ": " + archive_error_string(a);
                                  return static_cast<long>(n);
                                });
    if (!staged) return staged.error();
    if (!staged->empty()) out.rejected.push_back({member, *staged});
  }
  if (rc != ARCHIVE_EOF) {
    return BadInput(Quoted(r.file) + ": cannot be read as " +
                    std::string(DownloadKindName(r.kind)) + ": " + archive_error_string(a));
  }
  return Ok{};
}

// Stages the file itself under its own name.
Status StageWhole(const ImportRequest& r, Staging& staging,
                  const std::unordered_map<std::string, std::string>& existing, ImportResult& out) {
  std::ifstream in(r.file, std::ios::binary);
  if (!in) return BadInput(Quoted(r.file) + ": cannot be read: " + std::strerror(errno));
  const std::string base = fs::path(r.file).filename().string();
  const std::string lower = ToLower(base);
  if (!ValidFileName(base)) {
    return BadInput(Quoted(r.file) + ": " + Quoted(base) + " is not a name a phone can ask for");
  }
  auto on_disk = existing.find(lower);
  const FileCheck* check = nullptr;
  if (r.checks) {
    if (auto c = r.checks->find(lower); c != r.checks->end()) check = &c->second;
  }
  auto staged = staging.Stage(on_disk == existing.end() ? base : on_disk->second, "",
                              on_disk != existing.end(), check,
                              [&](char* buf, size_t len, std::string* why) -> long {
                                in.read(buf, static_cast<std::streamsize>(len));
                                if (in.bad()) {
                                  *why = Quoted(r.file) + ": read error";
                                  return -1;
                                }
                                return static_cast<long>(in.gcount());
                              });
  if (!staged) return staged.error();
  if (!staged->empty()) out.rejected.push_back({base, *staged});
  return Ok{};
}

}  // namespace

Result<ImportResult> ImportDownload(const ImportRequest& r) {
  std::error_code ec;
  if (!fs::is_regular_file(r.file, ec)) {
    return BadInput(Quoted(r.file) +
                    (fs::exists(r.file, ec) ? " is not a regular file" : " does not exist"));
  }
  if (r.kind == DownloadKind::kUnknown) return BadInput(Quoted(r.file) + ": unknown kind of file");
  fs::create_directories(r.dir, ec);
  if (ec) return IoError(Quoted(r.dir) + ": " + ec.message());
  auto existing = Existing(r.dir);
  if (!existing) return existing.error();
  ImportResult out;
  Staging staging{fs::path(r.dir)};
  if (r.kind == DownloadKind::kImage || r.keep_archive) {
    if (auto s = StageWhole(r, staging, *existing, out); !s) return s.error();
  }
  if (r.kind != DownloadKind::kImage) {
    if (auto s = StageMembers(r, staging, *existing, out); !s) return s.error();
  }
  if (staging.empty() && out.rejected.empty()) {
    std::string what = Quoted(r.file) + " holds no firmware image";
    if (!out.skipped.empty()) {
      what += " (skipped: " + Quoted(out.skipped.front().member) + ", " + out.skipped.front().why;
      if (out.skipped.size() > 1)
        what += ", and " + std::to_string(out.skipped.size() - 1) + " more";
      what += ")";
    }
    return BadInput(what);
  }
  auto placed = staging.Commit();
  if (!placed) return placed.error();
  out.placed = std::move(placed).value();
  return out;
}

}  // namespace stepup
