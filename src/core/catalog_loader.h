// Builds a Catalog from TOML sources (catalog/README.md describes the format) and validates
// it: unknown keys, unparsable versions, dangling references, inconsistent load names,
// overlapping rules, malformed fingerprints. Pure: the caller reads the files.
#pragma once

#include <string>
#include <vector>

#include "core/catalog.h"
#include "core/embedded_files.h"
#include "core/result.h"

namespace stepup {

// Parses and validates all sources as one catalog. On failure the error (kBadInput) lists
// every problem, one per line, each naming the file, line and offending value.
Result<Catalog> LoadCatalog(const std::vector<EmbeddedFile>& sources);

}  // namespace stepup
