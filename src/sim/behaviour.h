// How simulated phones behave: how each kind boots and asks for things, which signing keys a
// running release accepts, which releases it cannot install from, and hardware floors.
//
// This table is the simulator's own, written from the seeds and the firmware notes
// (docs/firmware/) without reading the planner's catalog, so that a wrong catalog
// fact cannot pass the end-to-end tests by agreeing with itself: behaviour_test.cc compares the
// two and fails on any disagreement. Key ids are the catalog's names, the only shared vocabulary.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/version.h"

namespace stepup::sim {

enum class BootStyle {
  kFlatProfile,  // SPA phones and ATAs: HTTP/TFTP, User-Agent, spa$PSN.cfg, one image
  kMpp,          // 3PCC/MPP phones: HTTP, User-Agent with a short version, $PSN.xml, .loads
  kEnterprise,   // 79xx and enterprise 78xx/88xx: TFTP, CTL/ITL/SEP<MAC>.cnf.xml, .loads
};

enum class UaStyle {
  kMacSerial,  // Cisco/SPA504G-7.3.7 (MAC)(SERIAL)
  kSerial,     // Cisco/SPA122-1.4.1(SR5) (SERIAL); ATAs carry the serial (contract.md)
  kAta191,     // Cisco/ATA191-MPP-11-1-0-MSR4 (SERIAL)
  kMpp,        // Cisco-CP-8841-3PCC/11.0 (mac)
  kNone,       // enterprise phones over TFTP send none
};

struct PhoneKind {
  BootStyle boot = BootStyle::kFlatProfile;
  UaStyle ua = UaStyle::kNone;
  std::string key_group;     // "79xx", "spa", "mpp", "ent"
  std::string factory_file;  // model-only file a factory-fresh phone asks for ("" : none)
  std::string ua_vendor;     // "Cisco" or "Linksys"
  std::string source;
};

// The kind of a canonical model name ("CP-7970G", "SPA504G", "CP-8841-3PCC"). Unknown
// patterns are an error naming the model.
Result<PhoneKind> KindOf(std::string_view model);

// Keys a phone of `key_group` running `running` accepts, and the key the phone maker signed
// images of release `image` with (for the cross-check; real images carry it in their header).
std::vector<std::string> AcceptedKeys(std::string_view key_group, const Version& running);
std::string SigningKey(std::string_view key_group, const Version& image);

// The oldest release from which `model` can install `image`, when there is such a floor
// (the SPA30x/50x 7.5.2b transition); nullopt otherwise.
std::optional<Version> TransitionFloor(std::string_view model, const Version& image);

// Whether a phone of `model` running `running` trusts the vendor's current provisioning-server
// CA from the factory (the simulator's --phone-ca): SPA5xx phones before 7.5.6 trust only the
// older Small Business CA, so they cannot verify a server certificate from today's portal.
bool TrustsCurrentServerCa(std::string_view model, const Version& running);

// The oldest release `model` at hardware `revision` ("V15") can run; nullopt when none.
std::optional<Version> HardwareFloor(std::string_view model, std::string_view revision);

struct HardwareFloorRow {
  std::vector<std::string_view> models;
  std::string_view revision, min_version, source;
};
const std::vector<HardwareFloorRow>& HardwareFloors();

// Whether the phone's firmware can act on an Upgrade_Rule: SPA-era firmware cannot compare
// versions with a letter suffix ("($SWVER lt 7.5.2b)"), seed 003. Returns the URL the phone
// would fetch ("" : none) or an error saying why it cannot evaluate the rule.
Result<std::string> EvaluateUpgradeRule(std::string_view rule, const Version& running);

}  // namespace stepup::sim
