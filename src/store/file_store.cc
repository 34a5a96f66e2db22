#include "store/file_store.h"

#include <algorithm>
#include <filesystem>
#include <memory>

#include "core/text.h"
#include "store/firmware_dir.h"

namespace stepup {
namespace fs = std::filesystem;

bool ValidFileName(const std::string& name) {
  if (name.empty() || name.size() > 255 || name[0] == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    unsigned char u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f && c != '/' && c != '\\' && c != ':' && c != '%';
  });
}

DirFiles::DirFiles(std::string dir, std::unordered_map<std::string, FileCheck> checks)
    : dir_(std::move(dir)), checks_(std::move(checks)) {}

FileStore DirFileStore(std::string dir, std::unordered_map<std::string, FileCheck> checks) {
  return FileStore(std::make_shared<const DirFiles>(std::move(dir), std::move(checks)));
}

Result<std::string> DirFiles::Resolve(const std::string& name) const {
  if (!ValidFileName(name)) return BadInput("invalid file name \"" + name + "\"");
  if (dir_.empty()) return Unknown("no such file \"" + name + "\"");
  std::error_code ec;
  fs::path root = fs::canonical(dir_, ec);
  if (ec) return Unknown("no such file \"" + name + "\"");
  auto check = [&](const fs::path& p) -> Result<std::string> {
    std::error_code e;
    fs::path real = fs::canonical(p, e);
    if (e || !fs::is_regular_file(real, e)) return Unknown("no such file \"" + name + "\"");
    if (real.parent_path() != root) return BadInput("\"" + name + "\" leads outside the directory");
    return real.string();
  };
  if (fs::exists(root / name, ec)) return check(root / name);
  const std::string lower = ToLower(name);
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (ToLower(it->path().filename().string()) == lower) return check(it->path());
  }
  return Unknown("no such file \"" + name + "\"");
}

std::unordered_set<std::string> DirFiles::Names() const {
  if (dir_.empty()) return {};
  auto names = ListFirmwareNames(dir_, checks_, nullptr);
  return names ? std::move(names).value() : std::unordered_set<std::string>();
}

std::vector<std::string> DirFiles::ManifestImages(const std::string& path) const {
  return stepup::ManifestImages(path);
}

}  // namespace stepup
