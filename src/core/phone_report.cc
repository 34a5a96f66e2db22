#include "core/phone_report.h"

#include "core/identify.h"
#include "core/text.h"

namespace stepup {
namespace {

// The text of the first <tag>...</tag>, trimmed of spaces and the asterisks some pages show.
std::string Element(std::string_view xml, std::string_view tag) {
  const std::string open = "<" + std::string(tag) + ">", close = "</" + std::string(tag) + ">";
  size_t a = xml.find(open);
  if (a == std::string_view::npos) return "";
  a += open.size();
  size_t b = xml.find(close, a);
  if (b == std::string_view::npos || b - a > 256) return "";
  std::string_view v = xml.substr(a, b - a);
  while (!v.empty() && (v.front() == ' ' || v.front() == '*' || v.front() == '\n')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '*' || v.back() == '\n')) v.remove_suffix(1);
  return std::string(v);
}

}  // namespace

std::optional<PhonePage> ParseDeviceInformation(std::string_view xml) {
  if (xml.find("<DeviceInformation") == std::string_view::npos) return std::nullopt;
  PhonePage p;
  p.mac = NormalizeMac(Element(xml, "MACAddress"));
  p.model = Element(xml, "modelNumber");
  p.version_id = Element(xml, "versionID");
  p.app_load_id = Element(xml, "appLoadID");
  return p;
}

const Load* LoadOfPhonePage(const Catalog& cat, std::string_view family, const PhonePage& p) {
  for (const std::string* name : {&p.version_id, &p.app_load_id}) {
    if (name->empty()) continue;
    if (const Load* l = cat.FindLoad(family, *name)) return l;
  }
  if (p.app_load_id.empty()) return nullptr;
  const std::string image = ToLower(p.app_load_id);
  const Load* found = nullptr;
  for (const Load* l : cat.LoadsOf(family)) {
    for (const auto& f : l->files) {
      if (ToLower(f) != image) continue;
      // SIP and SCCP loads of a release share some images: the protocol in the jar name
      // ("jar41sccp") decides; two loads still matching means the page does not say which.
      const bool sccp = image.find("sccp") != std::string::npos;
      const bool sip = !sccp && image.find("sip") != std::string::npos;
      if ((sccp && l->protocol != Protocol::kSccp) || (sip && l->protocol != Protocol::kSip))
        continue;
      if (found && found != l) return nullptr;
      found = l;
    }
  }
  return found;
}

std::string LoadNamedInLog(std::string_view line) {
  for (std::string_view key : {std::string_view("ActiveLoad="), std::string_view("Load=")}) {
    size_t at = line.find(key);
    // "Load=" must not be the tail of "InactiveLoad=" or "ActiveLoad=".
    while (at != std::string_view::npos && key == "Load=" && at > 0 &&
           std::isalpha(static_cast<unsigned char>(line[at - 1]))) {
      at = line.find(key, at + 1);
    }
    if (at == std::string_view::npos) continue;
    std::string_view v = line.substr(at + key.size());
    size_t end = 0;
    while (end < v.size() && end < 64 &&
           (std::isalnum(static_cast<unsigned char>(v[end])) || v[end] == '.' || v[end] == '-' ||
            v[end] == '_' || v[end] == '(' || v[end] == ')'))
      ++end;
    std::string load(v.substr(0, end));
    if (ToLower(load).ends_with(".loads")) load.resize(load.size() - 6);
    if (!load.empty()) return load;
  }
  return "";
}

}  // namespace stepup
