// libFuzzer target: the CSV parser and the device import on top of it reject or accept any
// bytes without crashing; accepted tables are rectangular.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "app/device_input.h"
#include "core/catalog_loader.h"
#include "core/csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const stepup::Catalog* cat = [] {
    auto c = stepup::LoadCatalog(stepup::BundledCatalog());
    return c.ok() ? new stepup::Catalog(std::move(c).value()) : nullptr;
  }();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto t = stepup::ParseCsv(text);
  if (t.ok()) {
    for (const auto& row : t->rows) {
      if (row.size() != t->header.size()) std::abort();
    }
  }
  if (cat) (void)stepup::DevicesFromCsv(*cat, text, 0, "fuzz.csv");
  return 0;
}
