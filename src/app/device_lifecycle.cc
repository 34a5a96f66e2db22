#include "app/device_lifecycle.h"

#include "core/device.h"

namespace stepup {
namespace {

Transition Stay(Lifecycle s) { return {s, nullptr}; }

Transition Enter(Lifecycle from, Lifecycle to) {
  if (from == to) return Stay(to);
  if (to == Lifecycle::kStuck) return {to, "stuck"};
  if (to == Lifecycle::kProbing) return {to, "probe"};
  if (to == Lifecycle::kHandedOff) return {to, "handed-off"};
  if (to == Lifecycle::kReturned) return {to, "returned"};
  return {to, nullptr};
}

}  // namespace

Transition Next(Lifecycle from, Happening what) {
  using L = Lifecycle;
  if (from == L::kQuarantine) return Stay(from);  // an operator accepts it, not a phone
  switch (what) {
    case Happening::kProbeStarted:
      return Enter(from, L::kProbing);
    case Happening::kProbeTaughtNothing:
      return from == L::kProbing ? Enter(from, L::kUnknownFirmware) : Stay(from);
    case Happening::kLearnedAtTarget:
    case Happening::kLearnedBehindTarget:
      // Only the learning states move: a phone being walked keeps its state until the plan
      // made at its next request says otherwise.
      if (from != L::kUnknownFirmware && from != L::kProbing) return Stay(from);
      return Enter(from, what == Happening::kLearnedAtTarget ? L::kCurrent : L::kUpgrading);
    case Happening::kPlannedCurrent:
      // A phone handed off, or back after it, stays so: the report says what became of it.
      if (from == L::kHandedOff || from == L::kReturned) return Stay(from);
      return Enter(from, L::kCurrent);
    case Happening::kPlannedNoPath:
      return from == L::kStuck ? Stay(from) : Enter(from, L::kNoPath);  // stuck says more
    case Happening::kHopOffered:
      return Enter(from, L::kUpgrading);
    case Happening::kUncertainOffer:
      return Enter(from, L::kUnknownFirmware);
    case Happening::kUncertainNoOffer:
      return from == L::kStuck ? Stay(from) : Enter(from, L::kUnknownFirmware);
    case Happening::kOffersExhausted:
    case Happening::kNothingLearned:
      return Enter(from, L::kStuck);
    case Happening::kHandedOff:
      return from == L::kReturned ? Stay(from) : Enter(from, L::kHandedOff);
    case Happening::kCameBack:
      return from == L::kHandedOff ? Enter(from, L::kReturned) : Stay(from);
  }
  return Stay(from);
}

std::string_view StateName(Lifecycle s) {
  switch (s) {
    case Lifecycle::kNew:
      return kStateNew;
    case Lifecycle::kQuarantine:
      return kStateQuarantine;
    case Lifecycle::kUnknownFirmware:
      return kStateUnknownFirmware;
    case Lifecycle::kProbing:
      return kStateProbing;
    case Lifecycle::kUpgrading:
      return kStateUpgrading;
    case Lifecycle::kCurrent:
      return kStateCurrent;
    case Lifecycle::kNoPath:
      return kStateNoPath;
    case Lifecycle::kStuck:
      return kStateStuck;
    case Lifecycle::kHandedOff:
      return kStateHandedOff;
    case Lifecycle::kReturned:
      return kStateReturned;
  }
  return "";
}

std::optional<Lifecycle> ParseState(std::string_view name) {
  for (Lifecycle s : kLifecycles) {
    if (StateName(s) == name) return s;
  }
  return std::nullopt;
}

std::string_view HappeningName(Happening h) {
  switch (h) {
    case Happening::kProbeStarted:
      return "probe-started";
    case Happening::kProbeTaughtNothing:
      return "probe-taught-nothing";
    case Happening::kLearnedAtTarget:
      return "learned-at-target";
    case Happening::kLearnedBehindTarget:
      return "learned-behind-target";
    case Happening::kPlannedCurrent:
      return "planned-current";
    case Happening::kPlannedNoPath:
      return "planned-no-path";
    case Happening::kHopOffered:
      return "hop-offered";
    case Happening::kUncertainOffer:
      return "uncertain-offer";
    case Happening::kUncertainNoOffer:
      return "uncertain-no-offer";
    case Happening::kOffersExhausted:
      return "offers-exhausted";
    case Happening::kNothingLearned:
      return "nothing-learned";
    case Happening::kHandedOff:
      return "handed-off";
    case Happening::kCameBack:
      return "came-back";
  }
  return "";
}

}  // namespace stepup
