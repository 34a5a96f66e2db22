// Data files compiled into the binary at build time (cmake/embed_files.cmake): the bundled
// catalog (catalog/*.toml) and the shipped templates (templates/*.mustache).
#pragma once

#include <string>
#include <vector>

namespace stepup {

struct EmbeddedFile {
  std::string name;  // shown in messages, e.g. "catalog/79xx.toml"
  std::string text;
};

const std::vector<EmbeddedFile>& BundledCatalog();
const std::vector<EmbeddedFile>& BundledTemplates();

}  // namespace stepup
