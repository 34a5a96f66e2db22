// libFuzzer target: the version parser and comparator never crash, and the order stays
// antisymmetric and reflexive for whatever parses.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/version.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view all(reinterpret_cast<const char*>(data), size);
  size_t cut = all.find('\n');
  std::string_view a = all.substr(0, cut);
  std::string_view b = cut == std::string_view::npos ? all : all.substr(cut + 1);
  auto va = stepup::ParseVersion(a);
  auto vb = stepup::ParseVersion(b);
  if (!va.ok() && va.error().message.empty()) std::abort();
  if (va.ok() && vb.ok()) {
    if (stepup::Compare(*va, *va) != 0) std::abort();
    if (stepup::Compare(*va, *vb) != -stepup::Compare(*vb, *va)) std::abort();
    (void)stepup::ReleaseLabel(*va);
  }
  return 0;
}
