// One simulated phone: what it is (from the fleet file), what it runs, and the pure decisions
// it makes — its User-Agent, how it expands profile macros, what it reads from a profile, and
// whether it installs an image. No sockets here; simulator.cc drives the network.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/catalog.h"
#include "core/result.h"
#include "core/version.h"
#include "sim/behaviour.h"
#include "sim/fake_image.h"

namespace stepup::sim {

struct PhoneSpec {
  std::string mac;       // 12 lower-case hex digits or ""
  std::string serial;
  std::string model;     // canonical catalog name
  std::string firmware;  // load name or version it starts on
  std::string protocol;  // "sccp" | "sip" | "mpp"
  std::string hardware;  // "V15" or ""
  std::string target;    // load, version or "latest"
  bool target_given = true;  // false: the file named none ("latest" then)
  std::optional<std::vector<std::string>> keys;  // keys it accepts, overriding the table
  std::string where;     // "fleet.csv row 3 (line 4)"
};

// The fleet file: columns mac, model, firmware, protocol, plus optional serial, hardware, keys
// (separated by spaces or ';') and target; other columns (device settings) are ignored, so the
// file `stepup device import` reads works here too. Errors name the row, line and column.
Result<std::vector<PhoneSpec>> FleetFromCsv(const Catalog& catalog, std::string_view csv,
                                            const std::string& file_name);

struct Hop {
  std::string load, version;
};

struct PhoneState {
  PhoneSpec spec;
  PhoneKind kind;
  std::string family;     // catalog family of the model (which images are its own)
  int device_type = 0;    // XMLDefault loadInformationNNN id (enterprise phones)
  std::string running;    // load name or version it runs now
  Version running_v;
  Protocol protocol = Protocol::kNone;  // of what it runs
  std::string start;
  Version target_v;       // what "current" means for this phone
  std::string profile_url;  // from the last profile ("" : factory fresh)
  std::string profile_url_b;  // Profile_Rule_B ("" : none)
  std::string ca_url, ca_pem;  // the custom CA installed (Custom_CA_Rule), "" : none
  int https_failures = 0;      // HTTPS fetches that failed (TLS: the server not verified)
  int encrypted_profiles = 0;  // profiles that came encrypted and decrypted with the rule's key
  int held_back = 0;           // resyncs that brought no upgrade but asked it to come back soon
  int resyncs = 0;             // resync triggers it obeyed (GET /admin/resync on its web port)
  int rule_changes = 0;        // resyncs made because its Profile_Rule pointed somewhere new
  std::string profile_from;    // the URL its last profile came from (SPA/MPP)
  std::string admin_password;  // its web admin password, once a profile set one
  std::string gpp_p;
  std::vector<Hop> hops;
  int refusals = 0;         // images it was given and refused
  std::string last_refusal;
  std::string failure;      // transport failure that ended it ("" : none)
  int requests = 0;
  int boots = 0;  // configuration cycles, each after a (re)boot
  uint64_t bytes = 0;
  double seconds = 0;
};

// Builds the starting state; the target "latest" is the newest catalog load of the phone's
// family and protocol.
Result<PhoneState> StartPhone(const Catalog& catalog, const PhoneSpec& spec);

std::string UserAgent(const PhoneState& p);
// $MA $MAU $SN $SWVER $PSN $PN $P in a profile or upgrade URL.
std::string ExpandMacros(std::string_view url, const PhoneState& p);

struct FlatProfile {
  std::string profile_rule, upgrade_enable, upgrade_rule, gpp_p;
  int resync_periodic = 0;  // seconds between resyncs (0: not given)
  // Profile_Rule_B (evaluated after Profile_Rule at every resync) when the profile sets it
  // ("" clears it), and Custom_CA_Rule (the CA the phone installs to verify servers).
  std::optional<std::string> profile_rule_b;
  std::string custom_ca_rule;
  std::optional<std::string> admin_password;  // Admin_Passwd (SPA) / Admin_Password (MPP)
};
// A <flat-profile>; errors name what is wrong (a phone rejects a profile it cannot parse).
Result<FlatProfile> ParseFlatProfile(std::string_view xml);
// The load an enterprise configuration names: <loadInformation> in SEP<MAC>.cnf.xml, or the
// <loadInformationNNN> for `device_type` in XMLDefault.cnf.xml ("" : none named).
Result<std::string> ParseLoadInformation(std::string_view xml, int device_type);

// Whether the phone already runs what `load` names (a load name or a version).
bool Runs(const PhoneState& p, std::string_view load);
bool AtTarget(const PhoneState& p);

// Why the phone refuses to install `image` ("" : it installs it).
std::string InstallRefusal(const PhoneState& p, const FakeImage& image);
// The phone now runs `image` (after its reboot).
void Install(PhoneState& p, const FakeImage& image);

}  // namespace stepup::sim
