// What several stepup nodes sharing one fleet keep in the database instead of their memory
// (issue 20): the provisioner's working state between a phone's requests, and the rollout's
// download slots.
//
// The working state is kept by client address, because everything that ties one request of a
// phone to the next is tied to where it asks from: which device was seen last at an address,
// the files of its hop it started and finished there (images name no device), its boot, the
// offers whose outcome teaches what it runs. A node handling a request from an address holds
// that address for the request (other nodes wait), reads its state, works as a single server
// would, writes the state back and forgets it: a phone whose requests alternate between nodes
// is walked as by one node. The store layer implements it (store/inventory.h,
// OpenSharedState): in PostgreSQL for `--db postgresql://...`, in memory for tests. A server
// on SQLite has none: its provisioner keeps this state in memory (one node).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace stepup {

class SharedState {
 public:
  virtual ~SharedState() = default;

  // One address held by this node until the lease ends (a lease that ends without Write
  // changes nothing).
  class Lease {
   public:
    virtual ~Lease() = default;
    // What was stored for the address ("" when nothing).
    virtual const std::string& Stored() const = 0;
    // Replaces it ("" forgets the address) and ends the hold. `due_ms`: when the periodic
    // sweep should look at the address again (nullopt: never).
    virtual Status Write(const std::string& state, std::optional<int64_t> due_ms) = 0;
  };
  // Waits while another node (or thread) holds the address.
  virtual Result<std::unique_ptr<Lease>> Hold(const std::string& address) = 0;
  // Addresses whose due time has come, up to `limit`.
  virtual Result<std::vector<std::string>> Due(int64_t now_ms, int limit) = 0;

  // The fleet-wide download cap (app/download_slots.h semantics): a slot for the device (it
  // keeps its own), false when `cap` slots are held; slots expire hold_ms after their last
  // refresh.
  virtual Result<bool> TakeSlot(int64_t device, int cap, int64_t now_ms, int64_t hold_ms) = 0;
  virtual Status RefreshSlot(int64_t device, int64_t now_ms, int64_t hold_ms) = 0;
  virtual Status ReleaseSlot(int64_t device) = 0;
  virtual Result<int64_t> SlotsHeld(int64_t now_ms) = 0;

  // Whether this node leads: work done once for the whole fleet (a rollout group that opens
  // gets its members triggered once, not once per node). Another node takes over when the
  // leader's connection ends.
  virtual bool Lead() = 0;
};

}  // namespace stepup
