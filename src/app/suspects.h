// Which addresses probed the inventory: requests that named unknown devices, requests that
// failed the identity check (app/identity_check.h), and what the probe guard counted and
// refused (app/probe_guard.h), gathered per source address from the inventory's records.
// `stepup device list --suspicious` prints it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "app/inventory.h"
#include "core/result.h"

namespace stepup {

struct Suspect {
  std::string address;  // source IP
  uint64_t unknown = 0;     // requests naming devices not in the inventory, recorded one by one
  uint64_t mismatched = 0;  // requests failing the identity check, recorded (repeats counted)
  uint64_t counted = 0;     // all failures the guard counted (recorded or not)
  uint64_t refused = 0;     // requests refused while the address was refused
  int64_t first_ms = 0, last_ms = 0;
  int64_t refused_until_ms = 0;  // 0: never refused
  std::vector<std::string> named;  // devices it named (MAC or serial; "+" marks enrolled ones)
  uint64_t failures() const { return std::max(counted, unknown + mismatched); }
};

// Every address with at least one such request, most failures first.
Result<std::vector<Suspect>> FindSuspects(Inventory& inventory);

// "127.0.0.1:4000" -> "127.0.0.1", "[::1]:4000" -> "::1", "" stays "".
std::string PeerAddress(const std::string& peer);

}  // namespace stepup
