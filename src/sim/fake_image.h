// Synthetic firmware images for tests, benchmarks and dry runs. We cannot ship vendor images,
// so `stepup firmware fake` writes, under each catalog load's real file names, a small file
// whose header names the load, its family and release and the key it is "signed" with. The
// header starts with a marker no vendor image has, and says it is a test fixture.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/catalog.h"
#include "core/result.h"

namespace stepup::sim {

inline constexpr std::string_view kFakeMagic = "STEPUP-FAKE-FIRMWARE/1";

struct FakeImage {
  std::string load;         // catalog load name ("SCCP70.8-5-2S", "7.5.2b")
  std::string family;       // catalog family id
  std::string version;      // release label ("8.5(2)")
  std::string protocol;     // "sccp" | "sip" | "mpp"
  std::string signed_with;  // key id, "unknown" when the catalog has no fact
  std::string file;         // the file name this image was written as
  std::vector<std::string> images;  // for a .loads manifest: the images it lists
};

// The bytes of a fake image: the header, then filler up to `size` bytes (never shorter than
// the header). Deterministic for the same input.
std::string MakeFakeImage(const FakeImage& image, size_t size);

// Reads the header back. Anything that does not start with kFakeMagic, or whose header is
// malformed, is an error naming what is wrong (a phone treats it as a corrupt image).
Result<FakeImage> ParseFakeImage(std::string_view bytes);

struct FakeOptions {
  std::string model;        // "" : every model's family
  std::string load;         // "" : every load (of the model's family)
  std::string signed_with;  // "" : the catalog's key; else write this key instead (mis-signed)
  size_t size = 16 * 1024;  // bytes per image file (.loads manifests stay small)
};

// The images of the catalog loads selected by `options` as (file name, bytes) pairs.
// Errors: unknown model or load, names the value.
Result<std::vector<std::pair<std::string, std::string>>> FakeFirmware(const Catalog& catalog,
                                                                       const FakeOptions& options);

}  // namespace stepup::sim
