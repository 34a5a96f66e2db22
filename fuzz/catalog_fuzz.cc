// libFuzzer target: the catalog loader rejects or accepts any TOML without crashing, and a
// catalog it accepts can be planned over.
#include <cstdint>
#include <string>

#include "core/catalog_loader.h"
#include "core/planner.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto cat = stepup::LoadCatalog({{"fuzz.toml", text}});
  if (!cat.ok()) return 0;
  for (const auto& m : cat->models) {
    if (m.family.empty()) continue;
    const auto& loads = cat->LoadsOf(m.family);
    if (loads.empty()) continue;
    stepup::PlanRequest r{.model = m.name, .from = loads.front()->load, .to = "latest"};
    (void)stepup::MakePlan(*cat, r);
  }
  return 0;
}
