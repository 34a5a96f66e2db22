// The catalog shipped inside the binary (generated from catalog/*.toml at build time).
#pragma once

#include <string>
#include <vector>

namespace stepup {

struct CatalogSource {
  std::string name;  // shown in problem messages, e.g. "catalog/79xx.toml"
  std::string text;  // TOML
};

const std::vector<CatalogSource>& BundledCatalog();

}  // namespace stepup
