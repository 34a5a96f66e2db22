#include "app/device_lifecycle.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace stepup {
namespace {

// Every (state, happening) pair: one row per state, one column per happening in the order of
// kHappenings. "probing+" means: enters probing and records a "probe" event; "stuck+": enters
// stuck and records a "stuck" event. docs/architecture.md prints the same table.
struct Row {
  Lifecycle from;
  std::vector<std::string> to;
};
const std::vector<Row>& Table() {
  // clang-format off
  //  probe-started probe-taught  learned-at  learned-behind planned-cur planned-none hop-offered uncertain uncert-none exhausted  nothing-learned handed-off came-back
  static const std::vector<Row> rows = {
    {Lifecycle::kNew,       {"probing+", "new",         "new",       "new",       "current", "no-path",    "upgrading", "unknown-firmware", "unknown-firmware", "stuck+", "stuck+", "handed-off+", "new"}},
    {Lifecycle::kQuarantine,{"quarantine", "quarantine", "quarantine", "quarantine", "quarantine", "quarantine", "quarantine", "quarantine", "quarantine", "quarantine", "quarantine", "quarantine", "quarantine"}},
    {Lifecycle::kUnknownFirmware, {"probing+", "unknown-firmware", "current", "upgrading", "current", "no-path", "upgrading", "unknown-firmware", "unknown-firmware", "stuck+", "stuck+", "handed-off+", "unknown-firmware"}},
    {Lifecycle::kProbing,   {"probing",  "unknown-firmware", "current", "upgrading", "current", "no-path",    "upgrading", "unknown-firmware", "unknown-firmware", "stuck+", "stuck+", "handed-off+", "probing"}},
    {Lifecycle::kUpgrading, {"probing+", "upgrading",   "upgrading", "upgrading", "current", "no-path",    "upgrading", "unknown-firmware", "unknown-firmware", "stuck+", "stuck+", "handed-off+", "upgrading"}},
    {Lifecycle::kCurrent,   {"probing+", "current",     "current",   "current",   "current", "no-path",    "upgrading", "unknown-firmware", "unknown-firmware", "stuck+", "stuck+", "handed-off+", "current"}},
    {Lifecycle::kNoPath,    {"probing+", "no-path",     "no-path",   "no-path",   "current", "no-path",    "upgrading", "unknown-firmware", "unknown-firmware", "stuck+", "stuck+", "handed-off+", "no-path"}},
    {Lifecycle::kStuck,     {"probing+", "stuck",       "stuck",     "stuck",     "current", "stuck",      "upgrading", "unknown-firmware", "stuck",            "stuck",  "stuck", "handed-off+", "stuck"}},
    {Lifecycle::kHandedOff, {"probing+", "handed-off",  "handed-off", "handed-off", "handed-off", "no-path", "upgrading", "unknown-firmware", "unknown-firmware", "stuck+", "stuck+", "handed-off", "returned+"}},
    {Lifecycle::kReturned,  {"probing+", "returned",    "returned",  "returned",  "returned", "no-path",    "upgrading", "unknown-firmware", "unknown-firmware", "stuck+", "stuck+", "returned", "returned"}},
  };
  // clang-format on
  return rows;
}

TEST(DeviceLifecycle, TransitionTableCoversEveryStateAndHappening) {
  std::set<Lifecycle> states;
  for (const Row& row : Table()) {
    states.insert(row.from);
    ASSERT_EQ(row.to.size(), kHappenings.size()) << StateName(row.from);
    for (size_t i = 0; i < kHappenings.size(); ++i) {
      const Happening h = kHappenings[i];
      std::string want = row.to[i];
      const bool event = !want.empty() && want.back() == '+';
      if (event) want.pop_back();
      const Transition t = Next(row.from, h);
      const std::string pair =
          std::string(StateName(row.from)) + " x " + std::string(HappeningName(h));
      EXPECT_EQ(StateName(t.to), want) << pair;
      if (!event) {
        EXPECT_EQ(t.event, nullptr) << pair;
      } else {
        ASSERT_NE(t.event, nullptr) << pair;
        EXPECT_EQ(std::string(t.event), want == "probing" ? "probe" : want) << pair;
      }
    }
  }
  EXPECT_EQ(states.size(), kLifecycles.size());  // every state has its row
}

TEST(DeviceLifecycle, StateNamesAreTheContractsAndRoundTrip) {
  std::set<std::string_view> names;
  for (Lifecycle s : kLifecycles) {
    EXPECT_FALSE(StateName(s).empty());
    EXPECT_EQ(ParseState(StateName(s)), s);
    names.insert(StateName(s));
  }
  EXPECT_EQ(names.size(), kLifecycles.size());
  for (const char* s :
       {"new", "upgrading", "current", "stuck", "no-path", "quarantine", "handed-off", "returned"})
    EXPECT_TRUE(ParseState(s).has_value()) << s;
  EXPECT_FALSE(ParseState("retired").has_value());
  EXPECT_FALSE(ParseState("").has_value());
}

TEST(DeviceLifecycle, HappeningNamesAreDistinct) {
  std::set<std::string_view> names;
  for (Happening h : kHappenings) names.insert(HappeningName(h));
  EXPECT_EQ(names.size(), kHappenings.size());
  EXPECT_FALSE(names.count(""));
}

}  // namespace
}  // namespace stepup
