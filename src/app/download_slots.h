// The rollout's cap on concurrent firmware downloads (issue 18, item 4: `serve --max-downloads
// N`). A phone offered a hop holds one slot while it fetches the hop's images: from the offer
// until it comes back on the new release (or has no hop to offer), or until the slot expires
// (a phone that never came back). When every slot is taken, the phone gets its configuration
// without the upgrade this time, and is offered it at its next resync. A phone fetches one image
// at a time, so the transfers in flight stay within the cap (the server's own gauge,
// stepup_transfers_in_flight_max, shows it). Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace stepup {

class DownloadSlots {
 public:
  // cap 0: no cap. A slot not refreshed within hold_ms is given back.
  explicit DownloadSlots(int cap = 0, int64_t hold_ms = 120000) : cap_(cap), hold_ms_(hold_ms) {}
  int cap() const { return cap_; }
  int64_t hold_ms() const { return hold_ms_; }
  // A slot for this device (it keeps its own if it has one); false when all are taken.
  bool Take(int64_t device, int64_t now_ms);
  void Release(int64_t device);
  // The device is downloading (a file request, a transfer's end): its slot, if it holds one,
  // expires hold_ms from now, so a slow download never loses its slot to another phone.
  void Refresh(int64_t device, int64_t now_ms);
  size_t Held(int64_t now_ms);

 private:
  void Expire(int64_t now_ms);  // caller holds mu_
  const int cap_;
  const int64_t hold_ms_;
  std::mutex mu_;
  std::unordered_map<int64_t, int64_t> held_;  // device -> when its slot expires
};

}  // namespace stepup
