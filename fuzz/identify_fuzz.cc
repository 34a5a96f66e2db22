// libFuzzer target: identification from arbitrary User-Agents, paths, vendor classes and
// certificate subjects never crashes, and whatever it extracts is well-formed.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/identify.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view s(reinterpret_cast<const char*>(data), size);
  for (const auto& id :
       {stepup::IdentifyUserAgent(s, nullptr), stepup::IdentifyPath(s, nullptr),
        stepup::IdentifyVendorClass(s, nullptr), stepup::IdentifyCertSubject(s, nullptr)}) {
    if (!id.mac.empty() && stepup::NormalizeMac(id.mac) != id.mac) std::abort();
    if (id.serial.size() > 20) std::abort();
  }
  return 0;
}
