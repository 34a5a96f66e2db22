#include "store/firmware_dir.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <system_error>

#include "core/text.h"
#include "store/file_store.h"

namespace stepup {
namespace fs = std::filesystem;

namespace {

bool Inside(const fs::path& child, const fs::path& root) {
  auto c = child.begin();
  for (auto r = root.begin(); r != root.end(); ++r, ++c) {
    if (c == child.end() || *c != *r) return false;
  }
  return true;
}

Result<std::string> ReadText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return IoError("cannot read catalog file \"" + p.string() + "\"");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// sha256 by (path, size, mtime): a repository of large images is hashed once, not per scan.
std::string CachedSha256(const fs::path& p, uintmax_t size, fs::file_time_type mtime) {
  struct Entry {
    uintmax_t size;
    fs::file_time_type mtime;
    std::string sha256;
  };
  static std::mutex mu;
  static std::unordered_map<std::string, Entry> cache;
  const std::string key = p.string();
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(key);
    if (it != cache.end() && it->second.size == size && it->second.mtime == mtime) {
      return it->second.sha256;
    }
  }
  std::string h = FileSha256(key);
  std::lock_guard<std::mutex> lock(mu);
  if (cache.size() > 65536) cache.clear();  // a bound, never reached by a real repository
  cache[key] = {size, mtime, h};
  return h;
}

// Why a file is not what the catalog says; "" when it is (or nothing is recorded).
std::string Mismatch(const fs::path& p, const FileCheck& c) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(p, ec);
  if (ec) return "cannot be read (" + ec.message() + ")";
  if (std::string why = SizeMismatch(c, size); !why.empty()) return why;
  if (c.sha256.empty()) return "";
  const auto mtime = fs::last_write_time(p, ec);
  if (ec) return "cannot be read (" + ec.message() + ")";
  return Sha256Mismatch(c, CachedSha256(p, size, mtime));
}

}  // namespace

Result<std::unordered_set<std::string>> ListFirmwareNames(const std::string& dir) {
  return ListFirmwareNames(dir, {}, nullptr);
}

Result<std::unordered_set<std::string>> ListFirmwareNames(
    const std::string& dir, const std::unordered_map<std::string, FileCheck>& checks,
    std::vector<RejectedFile>* rejected) {
  std::error_code ec;
  fs::path root = fs::canonical(dir, ec);
  // Not there is the operator's mistake (exit 2); there but unreadable, the system's (exit 5).
  if (ec && ec != std::errc::no_such_file_or_directory && ec != std::errc::not_a_directory)
    return IoError("--firmware \"" + dir + "\": " + ec.message());
  if (ec || !fs::is_directory(root, ec)) {
    return BadInput("--firmware \"" + dir + "\" is not a readable directory");
  }
  std::unordered_set<std::string> names;
  std::vector<std::pair<std::string, fs::path>> manifests;  // lower-case name, real path
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    fs::path target = fs::canonical(it->path(), ec);
    if (ec) {  // dangling symlink: skip it
      ec.clear();
      continue;
    }
    if (!Inside(target, root) || !fs::is_regular_file(target, ec)) continue;
    std::string lower = ToLower(it->path().filename().string());
    if (auto c = checks.find(lower); c != checks.end()) {
      std::string why = Mismatch(target, c->second);
      if (!why.empty()) {
        if (rejected) rejected->push_back({it->path().filename().string(), why});
        continue;
      }
    }
    if (lower.size() > 6 && lower.compare(lower.size() - 6, 6, ".loads") == 0) {
      manifests.emplace_back(lower, target);
    }
    names.insert(std::move(lower));
  }
  if (ec) return IoError("--firmware \"" + dir + "\": " + ec.message());
  for (const auto& [lower, path] : manifests) {
    for (const auto& image : ManifestImages(path.string())) {
      if (!names.count(image)) {
        names.erase(lower);
        break;
      }
    }
  }
  return names;
}

std::string FileSha256(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx);
    return {};
  }
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0) EVP_DigestUpdate(ctx, buf.data(), static_cast<size_t>(in.gcount()));
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const bool ok = !in.bad() && EVP_DigestFinal_ex(ctx, md, &len) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) return {};
  return LowerHex(md, len);
}

std::string LowerHex(const unsigned char* bytes, size_t n) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 15]);
  }
  return out;
}

std::string SizeMismatch(const FileCheck& c, uint64_t size) {
  if (c.size <= 0 || size == static_cast<uint64_t>(c.size)) return "";
  return "is " + std::to_string(size) + " bytes, the catalog says " + std::to_string(c.size) +
         " (" + c.source + ")";
}

std::string Sha256Mismatch(const FileCheck& c, const std::string& sha256) {
  if (c.sha256.empty() || sha256 == c.sha256) return "";
  return "has sha256 " + (sha256.empty() ? std::string("(unreadable)") : sha256) +
         ", the catalog says " + c.sha256 + " (" + c.source + ")";
}

Result<std::vector<EmbeddedFile>> ReadCatalogPath(const std::string& path) {
  std::error_code ec;
  std::vector<EmbeddedFile> out;
  if (fs::is_directory(path, ec)) {
    std::vector<fs::path> files;
    for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
      if (it->path().extension() == ".toml") files.push_back(it->path());
    }
    if (ec) return IoError("--catalog \"" + path + "\": " + ec.message());
    std::sort(files.begin(), files.end());
    if (files.empty()) return BadInput("--catalog \"" + path + "\" holds no .toml file");
    for (const auto& f : files) {
      auto text = ReadText(f);
      if (!text) return text.error();
      out.push_back({f.string(), std::move(text).value()});
    }
    return out;
  }
  if (!fs::is_regular_file(path, ec)) return BadInput("--catalog \"" + path + "\" does not exist");
  auto text = ReadText(path);
  if (!text) return text.error();
  out.push_back({path, std::move(text).value()});
  return out;
}

std::vector<std::string> ManifestImages(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string text(64 * 1024, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    size_t sp = line.find_last_of(" \t");
    std::string word = ToLower(sp == std::string::npos ? line : line.substr(sp + 1));
    if (word.empty() || word.size() > 128 || !ValidFileName(word) || word[0] == '#') continue;
    for (const char* ext : {".sbn", ".sb2", ".bin", ".zz", ".img"}) {
      size_t n = std::strlen(ext);
      if (word.size() > n && word.compare(word.size() - n, n, ext) == 0) {
        out.push_back(word);
        break;
      }
    }
  }
  return out;
}

}  // namespace stepup
