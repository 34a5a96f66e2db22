// Device identification: who is asking, from what a phone sends. Pure functions over the
// request's facts (User-Agent, requested path, DHCP vendor class, client-certificate subject);
// facts from several sources merge, and a disagreement is reported, never silently resolved.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/catalog.h"
#include "core/version.h"

namespace stepup {

struct Identity {
  std::string vendor;    // "cisco", "linksys", "yealink", "polycom", "grandstream"; "" unknown
  std::string model;     // canonical catalog name when the catalog knows it, else as announced
  std::string mac;       // 12 lower-case hex digits, "" unknown
  std::string serial;    // "" unknown
  std::string firmware;  // as announced ("7.4.3a", "11.0", "SIP70.8-2-1S"), "" unknown
  Protocol protocol = Protocol::kNone;

  bool empty() const { return vendor.empty() && model.empty() && mac.empty() && serial.empty(); }
  // A device can be looked up by it (MAC or serial).
  bool identified() const { return !mac.empty() || !serial.empty(); }
};

// Each takes the catalog to turn announced models into canonical names (nullptr: keep as is).
Identity IdentifyUserAgent(std::string_view ua, const Catalog* catalog);
// A request path, with or without leading '/', query string allowed (?mac=&sn=&sw=).
Identity IdentifyPath(std::string_view path, const Catalog* catalog);
// DHCP option 60; a trailing NUL is tolerated.
Identity IdentifyVendorClass(std::string_view vendor_class, const Catalog* catalog);
// "OU=CP-8841-3PCC, L=<serial>, S=<MAC>" or "/OU=.../L=.../S=..." or an LSC/MIC subject
// "serialNumber=PID:CP-8861 SN:FCH18198CNQ, CN=CP-8861-SEP<MAC>".
Identity IdentifyCertSubject(std::string_view subject, const Catalog* catalog);

struct Observation {
  std::string source;  // "user-agent", "path", "vendor-class", "cert"
  Identity identity;
};

struct Conflict {
  std::string field;                                        // "mac", "serial", "model", ...
  std::vector<std::pair<std::string, std::string>> claims;  // (source, value)
  std::string Describe() const;
};

struct MergedIdentity {
  Identity identity;  // fields on which the sources agree; a conflicting field is left empty
  std::vector<Conflict> conflicts;
};

MergedIdentity MergeIdentities(const std::vector<Observation>& observations);

// "00:15:65:12:34:56", "0015.6512.3456", "001565123456" -> "001565123456"; "" if not a MAC.
std::string NormalizeMac(std::string_view s);

}  // namespace stepup
