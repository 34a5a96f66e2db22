// A device of the inventory and its history, as plain data. The inventory (app/inventory.h)
// persists them; the provisioner (app/) decides how they change.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace stepup {

using Settings = std::map<std::string, std::string>;

// Device states (contract.md, Inventory).
inline constexpr const char* kStateNew = "new";
inline constexpr const char* kStateUpgrading = "upgrading";
inline constexpr const char* kStateCurrent = "current";
inline constexpr const char* kStateStuck = "stuck";
inline constexpr const char* kStateNoPath = "no-path";
inline constexpr const char* kStateQuarantine = "quarantine";
inline constexpr const char* kStateHandedOff = "handed-off";
inline constexpr const char* kStateReturned = "returned";
// An enterprise phone whose running load nobody recorded and the server has not learned yet
// (Device::candidates holds what it may be running), and one whose web page is being read.
inline constexpr const char* kStateUnknownFirmware = "unknown-firmware";
inline constexpr const char* kStateProbing = "probing";

inline constexpr const char* kTransportOffered = "https-offered";
inline constexpr const char* kTransportHttps = "https";
// The release it runs lacks HTTPS provisioning (the catalog's "https" feature): it is walked
// over plain HTTP first, without secrets, and offered HTTPS once it runs a release that has it.
inline constexpr const char* kTransportDeferred = "https-deferred";

struct Device {
  int64_t id = 0;   // inventory key, 0 until stored
  std::string mac;  // 12 lower-case hex, "" if known by serial only
  std::string serial;
  std::string model;              // canonical catalog name
  std::string protocol;           // "sip" | "sccp" | "mpp" | "" (the model's usual one)
  std::string target = "latest";  // load, version or "latest"
  std::string firmware;           // what it is known to run (operator) or last reported
  std::string hardware;           // "V15" or ""
  Settings settings;
  std::string state = kStateNew;
  std::string state_detail;           // why (no-path explanation, stuck reason)
  bool hold = false;                  // pinned: never offered an upgrade
  std::string pending_load;           // hop offered and not yet completed
  int pending_offers = 0;             // times pending_load was offered without progress
  std::vector<std::string> excluded;  // images that left it stuck: never offered again
  // While `firmware` is unknown: the loads it may still be running, as far as the server has
  // narrowed them (empty: every load of its model and protocol).
  std::vector<std::string> candidates;
  // Where `firmware` came from: "operator", "user-agent", "phone-page", "syslog", "installed"
  // (it fetched a hop's files and came back), "inferred" (it fetched nothing it was offered);
  // "" when unknown or from before this was recorded.
  std::string firmware_source;
  // How far the server moved its provisioning off plain HTTP/TFTP (SPA/ATA/MPP, when the
  // server has an HTTPS listener): "" not yet, "https-offered" (its profile rule points at
  // https:// and its secrets wait for it), "https" (it came back over HTTPS).
  std::string transport;  // kTransportOffered, kTransportHttps, kTransportDeferred or ""
  int64_t created = 0, updated = 0;   // seconds since the epoch

  // The key operators and phones use: the MAC, else the serial.
  const std::string& key() const { return mac.empty() ? serial : mac; }
};

struct Event {
  int64_t time = 0;  // milliseconds since the epoch
  std::string kind;  // request, hop-offered, hop-completed, failure, stuck, operator, evidence...
  std::string detail;
  std::string transport;  // http, https, tftp, cli, api, syslog
  std::string peer;       // address:port, "" for operator writes
  // Phone traffic that repeats itself (the same request again and again) is kept as its first
  // event plus how many times it came again and when it last did.
  int64_t repeats = 0;
  int64_t last_time = 0;  // milliseconds since the epoch, 0 without repeats
  // Whether `other` continues this event's run of repeats: the same kind, detail and
  // transport, within an hour of the run's start.
  bool Repeats(const Event& other) const {
    return other.kind == kind && other.detail == detail && other.transport == transport &&
           other.time - time < kRepeatWindowMs && other.time >= time;
  }
  static constexpr int64_t kRepeatWindowMs = 60 * 60 * 1000;
};

// A request from a device the inventory does not know, kept apart from device histories.
struct UnknownAttempt {
  Event event;
  std::string claimed;  // the identity it claimed (JSON)
};

}  // namespace stepup
