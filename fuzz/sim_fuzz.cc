// libFuzzer target: what a simulated phone parses from the network (fake image headers,
// flat profiles, enterprise configurations, Upgrade_Rule expressions) never crashes it, and a
// header that parses survives a round trip through MakeFakeImage.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/version.h"
#include "sim/behaviour.h"
#include "sim/fake_image.h"
#include "sim/phone.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto img = stepup::sim::ParseFakeImage(in)) {
    auto again = stepup::sim::ParseFakeImage(stepup::sim::MakeFakeImage(*img, 0));
    if (!again || again->load != img->load || again->signed_with != img->signed_with ||
        again->images != img->images)
      std::abort();
  }
  (void)stepup::sim::ParseFlatProfile(in);
  (void)stepup::sim::ParseLoadInformation(in, 30006);
  static const stepup::Version running = stepup::ParseVersion("7.3.7").value();
  (void)stepup::sim::EvaluateUpgradeRule(in, running);
  return 0;
}
