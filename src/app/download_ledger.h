// Which device a firmware download belongs to, and what each device downloaded of the hop it
// was offered. Image requests carry no MAC (a bare file name over TFTP or /firmware/<name>), so
// a download is credited by address. Behind NAT a whole site shares one address: the ledger
// then credits a file to the device at that address that was offered a hop needing it and has
// not fetched it yet, the one that acted there last first (a phone asks for its next file as
// soon as it has its configuration or its last file); a hop's images only to a device that
// fetched its .loads manifest since its boot began (a phone that rejects the manifest, AUTH
// FAIL, reboots at once and fetches no image); and keeps the owner of each transfer until it
// ends (docs/architecture.md, "Downloads behind NAT").
//
// Thread-safe (one internal lock). Pure: the caller passes the clock.
#pragma once

#include <cstdint>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

namespace stepup {

struct Downloads {
  std::string for_load;                      // the pending load these downloads belong to
  std::set<std::string> started, completed;  // lower-case file names
};

class DownloadLedger {
 public:
  // The device at `ip` was offered `load`, whose hop needs `files` (lower-case; empty when the
  // catalog does not know them). A new load starts its downloads afresh; the same load again
  // keeps them and moves the device to `ip` if it changed address.
  void Offered(int64_t device, const std::string& ip, const std::string& load,
               const std::set<std::string>& files);
  // The device has no hop pending any more: nothing is credited to it by address.
  void Settled(int64_t device);
  // The device began a boot (it asked for its trust lists): until it has fetched its hop's
  // manifest again, none of the images are credited to it.
  void Rebooted(int64_t device);
  // A firmware file (lower-case) was asked for by `peer` (ip:port) at `ip`: the device it is
  // credited to (a device offered a hop needing it, else `fallback`), recorded as started.
  std::optional<int64_t> Started(const std::string& ip, const std::string& peer,
                                 const std::string& file, std::optional<int64_t> fallback);
  // The transfer `peer` had of `file` ended: its owner (nullopt if none), recorded as
  // completed when `complete`; an incomplete one is credited to the same device when retried.
  std::optional<int64_t> Finished(const std::string& peer, const std::string& file, bool complete);
  // The address the device awaits its pending hop's files at, if it awaits any.
  std::optional<std::string> AddressOf(int64_t device) const;
  // What the device downloaded of `load` since it was offered (empty when nothing).
  Downloads Of(int64_t device, const std::string& load) const;
  // Whether the device at `ip` has every file of its pending `load` (`needed`, non-empty):
  // by its own downloads, or, behind NAT, by the address's: phones sharing an address that
  // were offered the same load fetch in parallel, so a file credited to one may have been
  // another's. The address's completed downloads of each file, less the hops already
  // completed from them, must leave a whole set; or, with `partial`, its own manifest and at
  // least one of its images. Counts the hop as completed unless kNo; kSite is weaker evidence
  // (the set may have been another phone's that has not come back yet).
  enum class Credit { kNo, kOwn, kSite };
  Credit Completes(int64_t device, const std::string& ip, const std::string& load,
                   const std::set<std::string>& needed, bool partial = false);

  // Nodes sharing a fleet (app/shared_state.h): the part of the ledger about one address (the
  // devices awaiting files there and `devices`, their downloads, the transfers from there, the
  // address's site counts) taken out of memory as JSON, and put back (PutSlice adds to what
  // memory holds; the queues are rebuilt from what each device awaits).
  nlohmann::json TakeSlice(const std::string& ip, const std::set<int64_t>& devices);
  void PutSlice(const std::string& ip, const nlohmann::json& slice);

 private:
  struct Awaiting {  // the files of its pending hop a device has not fetched yet, and where
    std::string ip;
    uint64_t seq = 0;  // when it last acted (an offer, a transfer started or ended)
    std::set<std::string> files;
    std::set<std::string> in_flight;  // of those, the ones being fetched now
    bool staged = false;       // the hop has a .loads manifest, fetched before its images
    bool images_open = false;  // it fetched the manifest this boot: its images may be credited
  };
  static std::string Key(const std::string& a, const std::string& b) { return a + '\0' + b; }
  static bool IsManifest(const std::string& file);
  // Whether a file it awaits is queued for it now (not in flight; an image only once it has
  // the manifest).
  static bool Queued(const Awaiting& a, const std::string& file);
  void Unqueue(int64_t device, const Awaiting& a);
  // Queues its files again as they stand now (every file's old entry goes first, whatever
  // changed since); `acted`: it acted now (most recent at its address).
  void Requeue(int64_t device, Awaiting& a, bool acted);
  std::optional<int64_t> TakeAwaiting(const std::string& ip, const std::string& file);

  mutable std::mutex mu_;
  uint64_t next_seq_ = 0;
  std::unordered_map<int64_t, Downloads> downloads_;
  std::unordered_map<int64_t, Awaiting> awaiting_;
  // ip \0 file -> (seq, device) of the devices there awaiting it, not fetching it now
  std::unordered_map<std::string, std::set<std::pair<uint64_t, int64_t>>> queues_;
  struct Transfer {
    int64_t owner;
    std::string ip;
  };
  std::unordered_map<std::string, Transfer> transfers_;  // peer \0 file -> owner
  struct Site {                                          // one address's downloads of one load
    std::unordered_map<std::string, int64_t> completed;  // file -> completed downloads
    int64_t hops = 0;                                    // hops completed from them
  };
  std::unordered_map<std::string, Site> sites_;  // ip \0 load
};

// Which device was seen last at an address, and whether it was the only one lately (a site
// behind NAT shows many). O(1) per request; one entry per address.
class Whereabouts {
 public:
  explicit Whereabouts(int64_t window_ms) : window_ms_(window_ms) {}
  void Seen(const std::string& ip, int64_t device, int64_t now_ms);
  // The device seen last at ip, within the window.
  std::optional<int64_t> Last(const std::string& ip, int64_t now_ms) const;
  // The device seen last at ip when no other device was seen there within the window.
  std::optional<int64_t> Sole(const std::string& ip, int64_t now_ms) const;
  // Nodes sharing a fleet: the address's entry out of memory (null when none), and back.
  nlohmann::json TakeSlice(const std::string& ip);
  void PutSlice(const std::string& ip, const nlohmann::json& slice);

 private:
  struct Entry {
    int64_t device = 0;
    int64_t at_ms = 0;
    int64_t other_at_ms = INT64_MIN / 2;  // when another device was last seen there
  };
  int64_t window_ms_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> by_ip_;
};

}  // namespace stepup
