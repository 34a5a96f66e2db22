// libFuzzer target: the HTTP wire parsers (Range, HTTP dates) and the listen-address parser
// never crash on any string, and what they accept holds together: a range lies inside the
// file, a date formats back to the same time, an address parses back to itself.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "net/http_wire.h"
#include "net/listen_address.h"

namespace {

void CheckRange(std::string_view header) {
  for (uint64_t size :
       {uint64_t{0}, uint64_t{1}, uint64_t{100}, uint64_t{header.size()}, UINT64_MAX}) {
    auto r = stepup::ParseRange(header, size);
    if (header.empty() && r) std::abort();
    if (r && r->valid && (r->first > r->last || r->last >= size)) std::abort();
  }
}

void CheckDate(const std::string& s) {
  auto t = stepup::ParseHttpDate(s);
  // Four-digit years only: HttpDate of anything else is not an IMF-fixdate.
  if (!t || *t < -62167219200 || *t > 253402300799) return;
  if (stepup::ParseHttpDate(stepup::HttpDate(*t)) != t) std::abort();
}

void CheckListenAddress(const std::string& s) {
  auto a = stepup::ParseListenAddress("--fuzz", s);
  if (!a) {
    if (a.error().message.rfind("--fuzz \"", 0) != 0) std::abort();  // it names the value
    return;
  }
  const std::string& host = a->first;
  const std::string again = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
                            std::to_string(a->second);
  auto b = stepup::ParseListenAddress("--fuzz", again);
  if (!b || *b != *a) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string s(reinterpret_cast<const char*>(data), size);
  CheckRange(s);
  if (s.find('\0') == std::string::npos) CheckDate(s);  // header values hold no NUL
  CheckListenAddress(s);
  return 0;
}
