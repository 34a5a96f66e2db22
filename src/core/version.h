// Version algebra: parses every firmware version and load-name scheme the product meets and
// orders them. Pure functions, no I/O; safe to call from any thread.
//
// Schemes (see docs/domain.md, "Version strings"):
//   dotted      7.5.2b  7.4.10  6.1.5(a)  1.4.1(SR5)  11.0.1  7.6.1(ES_RC01)  7.6.2.a
//               14.2.1(0001.14) (a CUCM readme's "Version" column: ssbb.build)
//   enterprise  8.5(2)SR1  9.4(2)  12.8(1)  9.4(2SR3.1)  8.1(2.0)  9.4(2SR4.0)
//   dashed      9-4-2SR1  12-8-1-0001-455  12-0-7MPP0201-66  11-3-1MSR3-3  11-1-0-MSR4
//   load        SIP70.8-2-1S  SCCP41.9-4-2SR1-1S  sip78xx.12-8-1-0001-455  ATA19x.11-1-0MPP0401-002
//   legacy7940  P0S3-08-12-00  P003-8-12-00  P00308010200  P0030801SR02
// Ordering: release numbers left to right (missing fields count as 0), then the letter suffix
// (none < a < b ...), then the service release (SRn, MSRn, the ss of MPPssbb / -ssbb-), then an
// engineering special (ESn), then build numbers, then a release candidate before its release
// (7.6.1(ES_RC01) < 7.6.1), then any other tag. Schemes compare with each other on those
// fields; the protocol is a separate attribute and never affects the order.
// Two forms leave a field open, and an open field compares equal to anything:
//   - a device-pack label's ".0" build inside the parentheses (9.4(2SR4.0)) names the release,
//     not a build: the load it labels is SCCP45.9-4-2SR4-3S (79xx sheet, section 2, CUCM125);
//   - a 7940/7960 SR load P003MMmmSRnn has no maintenance digits (P0030801SR02 is 8.1(2)SR2,
//     79xx sheet section 5); the catalog's version label orders it among its family's loads.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace stepup {

enum class Protocol { kNone, kSccp, kSip, kMpp };

// "sccp", "sip", "mpp" or "" for kNone.
std::string_view ProtocolName(Protocol p);
// Accepts the names above (case-insensitive); nullopt otherwise.
std::optional<Protocol> ParseProtocol(std::string_view s);

struct Version {
  std::string input;             // the string as given
  std::string scheme;            // one of the scheme names above
  std::vector<int> release;      // major, minor, maintenance
  std::string letter;            // lower-case letter suffix: "b" in 7.5.2b, "a" in 6.1.5(a)
  int sr = 0;                    // service release, 0 when none
  int es = 0;                    // engineering special, 0 when none
  std::vector<int> build;        // build numbers after the release
  std::string tag;               // any other parenthesised tag ("ES_RC01"), compared last
  int rc = 0;                    // release candidate number ("ES_RC01" -> 1); 0: a release
  bool any_build = false;        // the build is open (9.4(2SR4.0)): equal to every build
  bool any_maintenance = false;  // the maintenance number is open (P0030801SR02)
  std::string prefix;            // load prefix: "SCCP70", "sip88xx", "ATA19x", "P0S3"; "" if none
  std::string model_code;        // "70", "88xx", "8845_65", "ATA19x"; "" if none
  Protocol protocol = Protocol::kNone;  // implied by a load name, kNone otherwise

  bool is_load() const { return !prefix.empty(); }
};

// Parses any scheme above. Errors (kBadInput) name the string and what is wrong with it.
Result<Version> ParseVersion(std::string_view s);

// <0, 0, >0 as a orders before, equal to, after b.
int Compare(const Version& a, const Version& b);

// Release identity used to match a load against a release label: release numbers, letter and
// service release equal (build numbers ignored).
bool SameRelease(const Version& a, const Version& b);

// Human label of the release: "8.5(2)SR1" for enterprise-style schemes, the dotted input as is.
std::string ReleaseLabel(const Version& v);

}  // namespace stepup
