// libFuzzer target: what phones say outside provisioning (core/phone_report.h) never crashes
// the parsers: a DeviceInformationX page, its mapping through the catalog, a log line.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/catalog_loader.h"
#include "core/phone_report.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const stepup::Catalog catalog = stepup::LoadCatalog(stepup::BundledCatalog()).value();
  std::string_view s(reinterpret_cast<const char*>(data), size);
  if (auto page = stepup::ParseDeviceInformation(s)) {
    if (!page->mac.empty() && page->mac.size() != 12) std::abort();
    (void)stepup::LoadOfPhonePage(catalog, "79-70", *page);
  }
  std::string load = stepup::LoadNamedInLog(s);
  if (load.size() > 64) std::abort();
  return 0;
}
