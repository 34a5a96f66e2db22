// Data files compiled into the binary at build time (cmake/embed_files.cmake): the bundled
// catalog (catalog/*.toml), the shipped templates (templates/*.mustache) and the dashboard (ui/*).
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
const std::vector<EmbeddedFile>& BundledUi();  // ui/*: the dashboard (index.html, app.js, style.css)

}  // namespace stepup
