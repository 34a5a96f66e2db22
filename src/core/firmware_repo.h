// The firmware repository against the catalog: what kind of download a file is, which names are
// phone images, and which catalog loads the names on hand complete. Pure: the caller lists the
// directory (store/firmware_dir.h) and reads archives (store/firmware_import.h).
#pragma once

#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/catalog.h"

namespace stepup {

// What an operator downloads from Cisco, by its name.
enum class DownloadKind {
  kZip,      // .zip (cmterm-*.zip, SPA*_FW.zip)
  kTar,      // .tar
  kTarGz,    // .tar.gz, .tgz
  kCop,      // .cop, .cop.sgn, .k3.cop.sha512, .k4.cop.sha512: a signed gzipped tar
  kImage,    // a phone image placed as it is (.bin, .loads, .sbn, .zup, ...)
  kUnknown,  // none of these: refused
};
std::string_view DownloadKindName(DownloadKind k);  // "zip", "tar", "tar.gz", "cop", "image"

// The kind of `file_name` (a base name, any case). A name the catalog lists as a load's file
// (`catalog_files`, lower-case: CatalogFiles) is an image whatever its extension; a catalog
// bundle keeps its archive kind.
DownloadKind ClassifyDownload(std::string_view file_name,
                              const std::unordered_set<std::string>& catalog_files);

// True for a lower-case name with a phone image's extension (.bin, .loads, .sbn, .sb2, .zup,
// .img, .zz): what is placed from an archive besides the names the catalog lists.
bool IsImageName(std::string_view lower_name);

// Lower-case names of every file and bundle of every load.
std::unordered_set<std::string> CatalogNames(const Catalog& catalog);
// Lower-case names of every file (not bundle) of every load.
std::unordered_set<std::string> CatalogFiles(const Catalog& catalog);
// Lower-case names of every bundle of every load.
std::unordered_set<std::string> CatalogBundles(const Catalog& catalog);

// A load and what of it is on hand.
struct LoadState {
  const Load* load = nullptr;
  bool complete = false;             // core/catalog.h LoadAvailable
  std::vector<std::string> missing;  // FilesToFetch with the names on hand ("" when complete)
};

// The state of a load given the lower-case names on hand.
LoadState StateOf(const Load& load, const std::unordered_set<std::string>& on_hand);

// After an import: the loads it concerns, in catalog order. A load is concerned when one of
// `placed` (lower-case names just written) is one of its files or bundles, or when it is
// complete in `after` and was not in `before` (a manifest's images arriving after it).
std::vector<LoadState> LoadsAfterImport(const Catalog& catalog,
                                        const std::vector<std::string>& placed,
                                        const std::unordered_set<std::string>& before,
                                        const std::unordered_set<std::string>& after);

// Every load of one family, oldest first, with its state.
struct FamilyState {
  std::string family;
  std::vector<LoadState> loads;
  int complete = 0;
};
// Per family in catalog order.
std::vector<FamilyState> RepositoryState(const Catalog& catalog,
                                         const std::unordered_set<std::string>& on_hand);

}  // namespace stepup
