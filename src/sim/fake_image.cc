#include "sim/fake_image.h"

#include <set>

#include "core/text.h"

namespace stepup::sim {
namespace {

bool IsManifest(std::string_view file) {
  return file.size() > 6 && ToLower(std::string(file.substr(file.size() - 6))) == ".loads";
}

// Header values are single-line tokens: no spaces, no control characters.
bool CleanToken(std::string_view v) {
  if (v.empty() || v.size() > 200) return false;
  for (char c : v) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

std::string MakeFakeImage(const FakeImage& image, size_t size) {
  std::string out;
  out += std::string(kFakeMagic) + " test fixture written by `stepup firmware fake`; not a vendor image\n";
  out += "load: " + image.load + "\n";
  out += "family: " + image.family + "\n";
  out += "version: " + image.version + "\n";
  out += "protocol: " + image.protocol + "\n";
  out += "signed-with: " + image.signed_with + "\n";
  out += "file: " + image.file + "\n";
  for (const auto& i : image.images) out += "image: " + i + "\n";
  out += "\n";
  if (IsManifest(image.file)) return out;  // a manifest is text: the list above is its content
  // Filler that differs per file, so a mixed-up transfer is caught by a byte comparison.
  uint32_t x = 2166136261u;
  for (char c : image.file) x = (x ^ static_cast<unsigned char>(c)) * 16777619u;
  while (out.size() < size) {
    x = x * 1664525u + 1013904223u;
    out.push_back(static_cast<char>('a' + (x >> 24) % 26));
    if (out.size() % 64 == 0) out.back() = '\n';
  }
  return out;
}

Result<FakeImage> ParseFakeImage(std::string_view bytes) {
  if (bytes.substr(0, kFakeMagic.size()) != kFakeMagic)
    return BadInput("not a stepup fake image (no " + std::string(kFakeMagic) + " marker)");
  size_t end = bytes.find("\n\n");
  if (end == std::string_view::npos || end > 16 * 1024)
    return BadInput("fake image header has no end");
  FakeImage img;
  size_t pos = bytes.find('\n') + 1;
  while (pos < end + 1) {
    size_t nl = bytes.find('\n', pos);
    std::string_view line = bytes.substr(pos, nl - pos);
    pos = nl + 1;
    size_t colon = line.find(": ");
    if (colon == std::string_view::npos)
      return BadInput("fake image header line \"" + std::string(line.substr(0, 80)) + "\" has no \": \"");
    std::string_view key = line.substr(0, colon), value = line.substr(colon + 2);
    if (!CleanToken(value))
      return BadInput("fake image header \"" + std::string(key) + "\" has a malformed value");
    std::string v(value);
    if (key == "load") img.load = v;
    else if (key == "family") img.family = v;
    else if (key == "version") img.version = v;
    else if (key == "protocol") img.protocol = v;
    else if (key == "signed-with") img.signed_with = v;
    else if (key == "file") img.file = v;
    else if (key == "image") img.images.push_back(v);
    else return BadInput("fake image header has an unknown field \"" + std::string(key) + "\"");
  }
  for (auto [name, v] : {std::pair{"load", &img.load}, {"family", &img.family},
                         {"version", &img.version}, {"protocol", &img.protocol},
                         {"signed-with", &img.signed_with}, {"file", &img.file}}) {
    if (v->empty()) return BadInput(std::string("fake image header lacks \"") + name + "\"");
  }
  return img;
}

Result<std::vector<std::pair<std::string, std::string>>> FakeFirmware(const Catalog& catalog,
                                                                       const FakeOptions& o) {
  std::string family;
  if (!o.model.empty()) {
    const Model* m = catalog.FindModel(o.model);
    if (!m) return Unknown("unknown model \"" + o.model + "\"");
    if (m->family.empty()) return BadInput("model " + m->name + " has no loads in the catalog");
    family = m->family;
  }
  std::vector<std::pair<std::string, std::string>> out;
  std::set<std::string> written;
  bool load_found = o.load.empty();
  for (const Load& l : catalog.loads) {
    if (!family.empty() && l.family != family) continue;
    if (!o.load.empty() && ToLower(l.load) != ToLower(o.load)) continue;
    load_found = true;
    FakeImage img;
    img.load = l.load;
    img.family = l.family;
    img.version = l.version_label;
    img.protocol = std::string(ProtocolName(l.protocol));
    if (img.protocol.empty()) img.protocol = "none";
    img.signed_with = !o.signed_with.empty()       ? o.signed_with
                      : l.facts.signed_with.set ? l.facts.signed_with.value
                                                : "unknown";
    std::vector<std::string> images;
    for (const auto& f : l.files) {
      if (!IsManifest(f)) images.push_back(f);
    }
    for (const auto& f : l.files) {
      if (!written.insert(ToLower(f)).second) continue;  // a file two loads share: once
      img.file = f;
      img.images = IsManifest(f) ? images : std::vector<std::string>{};
      out.emplace_back(f, MakeFakeImage(img, o.size));
    }
  }
  if (!load_found) {
    return Unknown("no load \"" + o.load + "\"" + (o.model.empty() ? "" : " for " + o.model) +
                   " in the catalog");
  }
  return out;
}

}  // namespace stepup::sim
