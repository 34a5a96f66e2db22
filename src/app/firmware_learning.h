// Walking an enterprise phone whose running load nobody recorded (zero touch: the operator
// gives MAC, model and target). The server keeps the loads it may still be running (every
// load of its model and protocol, narrowed by each thing it learns) and offers the hop that
// is valid from the most of them and never a downgrade from any (domain.md, "How the server
// learns what a phone runs").
#pragma once

#include <string>
#include <vector>

#include "app/device_profile.h"
#include "core/catalog.h"
#include "core/device.h"

namespace stepup {

// One thing a phone may be running: a catalogued load, or a release older than every load the
// catalog lists in that protocol (factory loads often are: a 7941's 8.3(2)), which takes the
// facts of the catalog's rules for that range.
struct Candidate {
  std::string name;     // the load name, or "<" + the oldest listed load's name
  std::string from;     // what the planner plans from: the load name, or a release below all
  Version version;      // for ordering (the floor: 0.1)
  std::vector<std::string> accepts;  // signing keys it accepts
};

// What the device may be running: Device::candidates when narrowed, else every load of its
// model's family in its protocol (the device's, else its target load's, else all), and the
// releases older than those.
std::vector<Candidate> Candidates(const Catalog& catalog, const Device& d);
std::vector<std::string> Names(const std::vector<Candidate>& candidates);
// "8 releases, 8.0(1) to 8.3(3)SR2" for events and state details.
std::string DescribeCandidates(const std::vector<Candidate>& candidates);

// The phone fetched X.loads but none of X's images and asked for its configuration again
// (the AUTH FAIL signature): it runs a release that does not accept X's signing key.
std::vector<Candidate> RejectedBy(const std::vector<Candidate>& candidates, const Load& x);

struct UncertainOffer {
  const Load* load = nullptr;  // nullptr: nothing is safe to offer
  size_t valid_from = 0;       // how many candidates this hop is the planner's next one for
  std::string why;             // prose for the event or the state detail
};

// The hop to offer: for each candidate the planner's next hop (the target for one already
// there); of those not below any candidate (unless `allow_downgrade`), the one most
// candidates share, ties to the newer.
UncertainOffer ChooseUncertainOffer(const ProfileSetup& setup, const Device& d,
                                    const std::vector<Candidate>& candidates,
                                    bool allow_downgrade = false);

}  // namespace stepup
