// libFuzzer target: the TFTP packet parser and option negotiation never crash on any datagram,
// and negotiated values stay inside the RFC ranges.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/tftp_packet.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto p = stepup::ParseTftp(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!p.ok()) return 0;
  auto t = stepup::NegotiateTftp(*p, size, 65464);
  if (t.blksize < 8 || t.blksize > 65464 || t.windowsize < 1 || t.windowsize > 65535) std::abort();
  return 0;
}
