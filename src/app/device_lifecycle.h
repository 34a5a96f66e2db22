// A device's lifecycle as the provisioner walks it: the states of contract.md ("States") and
// the two learning states of an enterprise phone whose firmware nobody recorded, and one
// transition function from (state, what happened) to (state, the event recorded for the
// change). Pure: the provisioner decides what happened, this decides what it means. The table
// is in docs/architecture.md ("Device lifecycle") and tested pair by pair.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace stepup {

enum class Lifecycle {
  kNew,              // never seen
  kQuarantine,       // auto-enrolled: bootstrap profile only until an operator accepts it
  kUnknownFirmware,  // enterprise phone, nobody recorded what it runs: being learned
  kProbing,          // its web page is being read
  kUpgrading,        // a hop is pending
  kCurrent,          // runs its target
  kNoPath,           // no chain to its target with the images on hand
  kStuck,            // offered a hop stuck_after times without progress, or nothing learned
  kHandedOff,
  kReturned,
};
inline constexpr std::array kLifecycles = {
    Lifecycle::kNew,       Lifecycle::kQuarantine, Lifecycle::kUnknownFirmware, Lifecycle::kProbing,
    Lifecycle::kUpgrading, Lifecycle::kCurrent,    Lifecycle::kNoPath,          Lifecycle::kStuck,
    Lifecycle::kHandedOff, Lifecycle::kReturned};

// What the provisioner observed or decided for a device (quarantined devices and devices on
// hold are not walked: the caller does not report these for them, and the table leaves a
// quarantined device where it is).
enum class Happening {
  kProbeStarted,         // the server began reading its web page (firmware unknown)
  kProbeTaughtNothing,   // the page was off, foreign or named no load
  kLearnedAtTarget,      // what it runs became known, and it is its target
  kLearnedBehindTarget,  // what it runs became known, and a hop is due
  kPlannedCurrent,       // the plan: nothing to do
  kPlannedNoPath,        // the plan: no chain
  kHopOffered,           // the plan: a hop offered (the first time or again)
  kUncertainOffer,       // firmware unknown: a load offered to learn from
  kUncertainNoOffer,     // firmware unknown: nothing safe to offer
  kOffersExhausted,      // a hop offered stuck_after times without progress
  kNothingLearned,       // asked stuck_after times while what it runs stayed unknown
  kHandedOff,            // at target, given its production configuration (bench hand-off)
  kCameBack,             // asked this server again after it was handed off
};
inline constexpr std::array kHappenings = {
    Happening::kProbeStarted,        Happening::kProbeTaughtNothing, Happening::kLearnedAtTarget,
    Happening::kLearnedBehindTarget, Happening::kPlannedCurrent,     Happening::kPlannedNoPath,
    Happening::kHopOffered,          Happening::kUncertainOffer,     Happening::kUncertainNoOffer,
    Happening::kOffersExhausted,     Happening::kNothingLearned,     Happening::kHandedOff,
    Happening::kCameBack};

struct Transition {
  Lifecycle to;
  // The event kind the caller records (with its own detail) for this change, or nullptr:
  // "probe" on entering probing, "stuck" on entering stuck, "handed-off" and "returned" on
  // entering those.
  const char* event = nullptr;
};

Transition Next(Lifecycle from, Happening what);

// The inventory's spelling (contract.md) and back; nullopt for a state this build does not
// know (a newer server's): the caller leaves such a device alone.
std::string_view StateName(Lifecycle s);
std::optional<Lifecycle> ParseState(std::string_view name);
std::string_view HappeningName(Happening h);

}  // namespace stepup
