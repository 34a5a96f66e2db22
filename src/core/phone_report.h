// What a phone says about its running load outside its provisioning requests: its own web
// page (/DeviceInformationX, 79xx-enterprise.md section 6) and its log lines (the
// "cisco-alarm" REGISTER reason: "Load=SIP70.8-4-2-30S", "ActiveLoad=sip78xx.12-1-1-12.loads").
// Pure functions over bytes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/catalog.h"

namespace stepup {

struct PhonePage {
  std::string mac;          // 12 lower-case hex digits, "" if absent
  std::string model;        // modelNumber as shown
  std::string version_id;   // versionID, asterisks stripped ("SCCP42.9-4-2SR3-1S", "8.1(2.0)")
  std::string app_load_id;  // appLoadID: a jar image name on 79x1+, the load name on 7940/60
};

// Reads a DeviceInformationX document; nullopt when it is not one (no <DeviceInformation>).
std::optional<PhonePage> ParseDeviceInformation(std::string_view xml);

// The load a phone's page names, through the catalog: versionID when it is a load name of the
// family, else appLoadID as a load name or as one of a load's image files (a jar41sccp.9-4-2ES26
// style build tag is not a release name; the catalog's file lists map it back). nullptr: none.
const Load* LoadOfPhonePage(const Catalog& catalog, std::string_view family, const PhonePage& p);

// The load a log line names ("Load=X", "ActiveLoad=X.loads"), "" if none.
std::string LoadNamedInLog(std::string_view line);

}  // namespace stepup
