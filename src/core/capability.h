// Capabilities a plan can require of the release it ends on (`stepup plan --require`, the
// device setting `require`). Two kinds:
// - trust-store capabilities ("mra"): a release fails one on a day when its `roots` fact names
//   a [[root]] that has expired by that day and whose `breaks` lists the capability;
// - release features ("https", "custom-ca", "aes-profile", "sip-tls", "srtp"): a [[feature]]
//   record gives the first release of a family that has it (catalog/README.md).
// Pure; no clock: the day is given.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/catalog.h"
#include "core/result.h"

namespace stepup {

// The capabilities the planner understands, in order: "mra" (Mobile and Remote Access
// through Expressway), then the release features.
const std::vector<std::string>& KnownCapabilities();
bool IsKnownCapability(std::string_view name);
std::string KnownCapabilityList();  // "mra, https, ...", for messages

// The release features, each with what it means:
//   https        provisioning over HTTPS with TLS 1.2 from a server the phone can verify
//   custom-ca    takes an extra CA for HTTPS provisioning (Custom_CA_Rule)
//   aes-profile  decrypts AES-256-CBC profiles named with Profile_Rule's --key option
//   sip-tls      SIP over TLS (SIP_Transport TLS)
//   srtp         SRTP with SDES keys (SRTP_Method s-descriptor)
const std::vector<std::string>& ReleaseFeatures();
bool IsReleaseFeature(std::string_view name);
std::string ReleaseFeatureList();

// Whether a release (a family's version, catalogued or only reported) has a feature.
struct FeatureVerdict {
  bool judged = false;  // the catalog has a record for the family; false: cannot tell
  bool has = false;
  FactStatus status = FactStatus::kConfirmed;
  std::string why;  // "custom-ca: since 11.0(1) for mpp-78xx-88xx (confirmed: SOURCE)"
};
FeatureVerdict ReleaseHasFeature(const Catalog& cat, std::string_view family,
                                 const Version& version, std::string_view feature);
// The features of `wanted` a release is known to lack (judged and not had), in order.
std::vector<std::string> FeaturesLacking(const Catalog& cat, std::string_view family,
                                         const Version& version,
                                         const std::vector<std::string>& wanted);

// Splits comma-separated items ("mra", "mra,mra"), trims and lower-cases them and drops
// repeats, keeping their order. BadInput names `what` (the flag or setting) and the unknown
// item.
Result<std::vector<std::string>> ParseCapabilities(const std::vector<std::string>& items,
                                                   const std::string& what);

// Whether one release has the capabilities on a day, and on what the verdict rests.
struct CapabilityCheck {
  bool meets = false;
  // The weakest status among the facts the verdict rests on. A release that fails on an
  // inferred or uncertain fact still fails (the safe side); one that meets only on such a
  // fact meets only as far as that fact goes.
  FactStatus status = FactStatus::kConfirmed;
  std::string why;         // prose naming the roots, dates and sources
  std::string shaky_fact;  // when meets on an inferred/uncertain fact: that fact, for the plan
};

// The verdict for a release with these facts (`release` names it in the prose) on `now`
// (seconds since the epoch) for every capability in `capabilities`. A release without a
// `roots` fact meets no trust-store capability (the catalog cannot tell), one below a
// feature's `since` does not have it.
// Release features are judged by the family's [[feature]] records at `version`.
CapabilityCheck CheckCapabilities(const Catalog& cat, std::string_view family,
                                  const Version& version, const ReleaseFacts& facts,
                                  const std::string& release,
                                  const std::vector<std::string>& capabilities, int64_t now);

// Whether the catalog can judge `capability` for a family's releases: for a release feature, a
// [[feature]] record for the family; otherwise a [[root]] lists it in `breaks` and the
// family's releases carry `roots` facts. Families that can, for messages.
bool CapabilityJudged(const Catalog& cat, std::string_view family, std::string_view capability);
std::vector<std::string> FamiliesJudged(const Catalog& cat, std::string_view capability);

}  // namespace stepup
