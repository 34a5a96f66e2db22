#include "store/firmware_dir.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
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

}  // namespace

Result<std::unordered_set<std::string>> ListFirmwareNames(const std::string& dir) {
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
