#include "core/firmware_repo.h"

#include <algorithm>

#include "core/text.h"

namespace stepup {
namespace {

bool EndsWith(std::string_view s, std::string_view tail) {
  return s.size() > tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

bool NamesAny(const Load& l, const std::unordered_set<std::string>& names) {
  for (const auto* list : {&l.files, &l.bundles}) {
    for (const auto& f : *list) {
      if (names.count(ToLower(f))) return true;
    }
  }
  return false;
}

}  // namespace

std::string_view DownloadKindName(DownloadKind k) {
  switch (k) {
    case DownloadKind::kZip:
      return "zip";
    case DownloadKind::kTar:
      return "tar";
    case DownloadKind::kTarGz:
      return "tar.gz";
    case DownloadKind::kCop:
      return "cop";
    case DownloadKind::kImage:
      return "image";
    case DownloadKind::kUnknown:
      break;
  }
  return "unknown";
}

bool IsImageName(std::string_view lower) {
  for (const char* ext : {".bin", ".loads", ".sbn", ".sb2", ".zup", ".img", ".zz"}) {
    if (EndsWith(lower, ext)) return true;
  }
  return false;
}

DownloadKind ClassifyDownload(std::string_view file_name,
                              const std::unordered_set<std::string>& catalog_files) {
  const std::string lower = ToLower(file_name);
  if (catalog_files.count(lower)) return DownloadKind::kImage;
  // Enterprise phone firmware for CUCM comes as COP files: cmterm-78xx.14-2-1-0001-14.k4.cop.sha512
  // (k3/k4: the signing key generation), older ones cmterm-7936-sccp.3-3-21-0.cop.sgn.
  for (const char* ext : {".cop.sgn", ".cop.sha512", ".cop"}) {
    if (EndsWith(lower, ext)) return DownloadKind::kCop;
  }
  if (EndsWith(lower, ".tar.gz") || EndsWith(lower, ".tgz")) return DownloadKind::kTarGz;
  if (EndsWith(lower, ".tar")) return DownloadKind::kTar;
  if (EndsWith(lower, ".zip")) return DownloadKind::kZip;
  if (IsImageName(lower)) return DownloadKind::kImage;
  return DownloadKind::kUnknown;
}

std::unordered_set<std::string> CatalogFiles(const Catalog& catalog) {
  std::unordered_set<std::string> out;
  for (const auto& l : catalog.loads) {
    for (const auto& f : l.files) out.insert(ToLower(f));
  }
  return out;
}

std::unordered_set<std::string> CatalogBundles(const Catalog& catalog) {
  std::unordered_set<std::string> out;
  for (const auto& l : catalog.loads) {
    for (const auto& b : l.bundles) out.insert(ToLower(b));
  }
  return out;
}

std::unordered_set<std::string> CatalogNames(const Catalog& catalog) {
  std::unordered_set<std::string> out = CatalogFiles(catalog);
  out.merge(CatalogBundles(catalog));
  return out;
}

LoadState StateOf(const Load& load, const std::unordered_set<std::string>& on_hand) {
  LoadState s;
  s.load = &load;
  s.complete = LoadAvailable(load, on_hand);
  if (!s.complete) s.missing = FilesToFetch(load, &on_hand);
  return s;
}

std::vector<LoadState> LoadsAfterImport(const Catalog& catalog,
                                        const std::vector<std::string>& placed,
                                        const std::unordered_set<std::string>& before,
                                        const std::unordered_set<std::string>& after) {
  const std::unordered_set<std::string> names(placed.begin(), placed.end());
  std::vector<LoadState> out;
  for (const auto& l : catalog.loads) {
    const bool now = LoadAvailable(l, after);
    if (NamesAny(l, names) || (now && !LoadAvailable(l, before))) out.push_back(StateOf(l, after));
  }
  return out;
}

std::vector<FamilyState> RepositoryState(const Catalog& catalog,
                                         const std::unordered_set<std::string>& on_hand) {
  std::vector<FamilyState> out;
  for (const auto& f : catalog.families) {
    FamilyState fs;
    fs.family = f.id;
    for (const Load* l : catalog.LoadsOf(f.id)) {
      fs.loads.push_back(StateOf(*l, on_hand));
      if (fs.loads.back().complete) ++fs.complete;
    }
    if (!fs.loads.empty()) out.push_back(std::move(fs));
  }
  return out;
}

}  // namespace stepup
