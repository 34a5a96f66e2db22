// The seed scenarios (../shared/seeds/) reproduced against the bundled catalog.
#include <gtest/gtest.h>

#include <cctype>
#include <set>

#include "core/catalog_loader.h"
#include "core/bundled_catalog_fixture.h"
#include "core/planner.h"

namespace stepup {
namespace {

class SeedsTest : public testing::BundledCatalogTest {
 protected:
  static std::unordered_set<const Load*> Have(const std::string& model,
                                              const std::vector<std::string>& names) {
    const Model* m = cat_->FindModel(model);
    std::unordered_set<const Load*> out;
    for (const auto& n : names) {
      const Load* l = cat_->FindLoad(m->family, n);
      EXPECT_NE(l, nullptr) << n;
      if (l) out.insert(l);
    }
    return out;
  }

  // The lower-case manifest names of loads, as a --firmware scan would list them.
  static std::unordered_set<std::string> OnHand(const std::vector<std::string>& loads) {
    std::unordered_set<std::string> out;
    for (const auto& l : loads) {
      std::string lower;
      for (char c : l + ".loads") lower.push_back(static_cast<char>(std::tolower(c)));
      out.insert(lower);
    }
    return out;
  }


  static std::vector<std::string> Loads(const Plan& p) {
    std::vector<std::string> out;
    for (const auto& h : p.hops) out.push_back(h.load->load);
    return out;
  }

  // Checks every hop of a chain against the catalog's facts, as the planner does.
  static bool ChainValid(const std::string& model, const std::string& from,
                         const std::vector<std::string>& chain) {
    std::string cur = from;
    for (const auto& next : chain) {
      PlanRequest r{.model = model, .from = cur, .to = next};
      r.available = Have(model, {next});
      auto p = MakePlan(*cat_, r);
      if (!p.ok() || p->status != PlanStatus::kOk || p->hops.size() != 1) return false;
      cur = next;
    }
    return true;
  }

};

// Seed 000: 7970G factory SIP 8.2(1) to SIP 9.4(2)SR1 with the seed's SCCP images only, in a
// repository that holds their manifests (what unzipping the seed's bundles gives).
TEST_F(SeedsTest, Seed000_7970SipFactoryLoadReachesSip942SR1ThroughSccpBridges) {
  const std::vector<std::string> seed_chain = {"SCCP70.8-5-2S", "SCCP70.8-5-3S",
                                               "SIP70.9-4-2SR1-1S"};
  PlanRequest r{.model = "7970G", .from = "SIP70.8-2-1S", .to = "9.4(2)SR1"};
  r.available = Have("CP-7970G", seed_chain);
  r.on_hand = OnHand(seed_chain);
  Plan p = MustPlan(r);
  ASSERT_EQ(p.status, PlanStatus::kOk) << p.reason;
  EXPECT_EQ(p.model->name, "CP-7970G");
  EXPECT_EQ(p.to_load, "SIP70.9-4-2SR1-1S");
  // The seed's own three-hop chain is valid under the catalog, and it is the plan: the
  // shorter SCCP70.8-5-2S -> SIP70.9-4-2SR1-1S rests on a doubt (79xx sheet section 4:
  // "whether 8.5(2) -> 9.4(2) directly works: U"), so the sure chain through 8.5(3) wins.
  EXPECT_TRUE(ChainValid("CP-7970G", "SIP70.8-2-1S", seed_chain));
  EXPECT_EQ(Loads(p), seed_chain);
  EXPECT_EQ(p.hops[0].load->protocol, Protocol::kSccp);  // the bridge is in the other protocol
  EXPECT_FALSE(p.hops[1].uncertain);  // SCCP70.8-5-3S: its manifest is in the repository
  // Going straight to anything signed with the new key is what gave AUTH FAIL.
  EXPECT_FALSE(ChainValid("CP-7970G", "SIP70.8-2-1S", {"SIP70.9-4-2SR1-1S"}));
  EXPECT_FALSE(ChainValid("CP-7970G", "SIP70.8-2-1S", {"SCCP70.8-5-3S"}));
}

TEST_F(SeedsTest, Seed000_WithoutADualKeyBridgeNoPathNamesIt) {
  PlanRequest r{.model = "CP-7970G", .from = "SIP70.8-2-1S", .to = "SIP70.9-4-2SR1-1S"};
  r.available = Have("CP-7970G", {"SCCP70.8-5-3S", "SIP70.9-4-2SR1-1S"});
  r.on_hand = OnHand({"SCCP70.8-5-3S", "SIP70.9-4-2SR1-1S"});
  Plan p = MustPlan(r);
  ASSERT_EQ(p.status, PlanStatus::kNoPath);
  ASSERT_EQ(p.missing.size(), 1u);
  const Load* m = p.missing[0].load;
  EXPECT_GE(Compare(m->version, *ParseVersion("8.3(3)")), 0) << m->load;
  EXPECT_LE(Compare(m->version, *ParseVersion("8.5(2)")), 0) << m->load;
  EXPECT_NE(p.missing[0].why.find("79xx-old"), std::string::npos) << p.missing[0].why;
}

// Seed 001: 7941G with manufacturing load 8.3(2) reaches the latest load via a dual-trust release.
TEST_F(SeedsTest, Seed001_7941At832ReachesLatestThroughDualTrustRelease) {
  PlanRequest r{.model = "CP-7941G", .from = "8.3(2)", .to = "latest"};
  Plan p = MustPlan(r);
  ASSERT_EQ(p.status, PlanStatus::kOk);
  EXPECT_FALSE(p.from_catalogued);
  const Load* latest = cat_->FindLoad("79-41", p.to_load);
  for (const Load* l : cat_->LoadsOf("79-41")) {
    if (l->protocol == Protocol::kSccp) {
      EXPECT_LE(Compare(l->version, latest->version), 0);
    }
  }
  ASSERT_EQ(p.hops.size(), 2u);
  const Load* bridge = p.hops[0].load;
  EXPECT_GE(Compare(bridge->version, *ParseVersion("8.3(3)")), 0);
  EXPECT_LT(Compare(bridge->version, *ParseVersion("8.5(2)SR1")), 0);
  const auto& acc = bridge->facts.accepts.value;
  EXPECT_NE(std::find(acc.begin(), acc.end(), "79xx-old"), acc.end());
  EXPECT_NE(std::find(acc.begin(), acc.end(), "79xx-new"), acc.end());
  // CUCM 7.1(3)'s SCCP41.8-5-2SR1S is what gave AUTH FAIL from 8.3(2).
  PlanRequest direct{.model = "CP-7941G", .from = "8.3(2)", .to = "SCCP41.8-5-2SR1S"};
  direct.available = Have("CP-7941G", {"SCCP41.8-5-2SR1S"});
  EXPECT_EQ(MustPlan(direct).status, PlanStatus::kNoPath);
}

// Seed 003: SPA504G 7.3.7 -> 7.5.2b -> 7.6.1; without 7.5.2b, no-path naming it.
TEST_F(SeedsTest, Seed003_Spa504GTakesTheTransitionFirmware) {
  PlanRequest r{.model = "SPA504G", .from = "7.3.7", .to = "7.6.1"};
  r.available = Have("SPA504G", {"7.5.2b", "7.6.1", "7.5.5"});
  Plan p = MustPlan(r);
  EXPECT_EQ(Loads(p), (std::vector<std::string>{"7.5.2b", "7.6.1"}));
  EXPECT_EQ(p.hops[0].load->files, std::vector<std::string>{"spa50x-30x-7-5-2b.bin"});

  r.available = Have("SPA504G", {"7.6.1", "7.5.5"});
  Plan none = MustPlan(r);
  ASSERT_EQ(none.status, PlanStatus::kNoPath);
  ASSERT_EQ(none.missing.size(), 1u);
  EXPECT_EQ(none.missing[0].load->load, "7.5.2b");
  EXPECT_NE(none.missing[0].why.find("7.6.1 installs only from 7.5.2b or later"), std::string::npos)
      << none.missing[0].why;
}

// Seed 004: 78xx/88xx below 12.8(1) hold the expired AddTrust roots.
TEST_F(SeedsTest, Seed004_8800Below128WarnsAboutAddTrustAndTheHopFixesIt) {
  PlanRequest r{.model = "CP-8841", .from = "12.7(1)", .to = "12.8(1)", .now = 1764028800};
  Plan p = MustPlan(r);
  ASSERT_EQ(p.status, PlanStatus::kOk);
  ASSERT_FALSE(p.warnings.empty());
  EXPECT_NE(p.warnings[0].find("AddTrust"), std::string::npos) << p.warnings[0];
  EXPECT_NE(p.hops.back().why.find("trust store drops addtrust-external"), std::string::npos)
      << p.hops.back().why;
  r.from = "12.8(1)";
  r.to = "latest";
  for (const auto& w : MustPlan(r).warnings) EXPECT_EQ(w.find("AddTrust"), std::string::npos) << w;
}

// Every model plans from its oldest load to `latest` (a step the sheets leave inferred would
// need --allow-uncertain, and the test says which), except the 7931G: no release of it is
// catalogued as confirmed (79xx sheet: only its bundle, a build tag and a device pack).
TEST_F(SeedsTest, EveryModelWithFirmwareCanPlanFromItsOldestLoadToLatest) {
  std::set<std::string> needed_uncertain, no_confirmed;
  for (const auto& m : cat_->models) {
    if (m.family.empty()) continue;
    const auto& loads = cat_->LoadsOf(m.family);
    ASSERT_FALSE(loads.empty()) << m.name;
    if (!LatestConfirmed(*cat_, m.family, loads.front()->protocol)) {
      no_confirmed.insert(m.name);
      continue;
    }
    PlanRequest r{.model = m.name, .from = loads.front()->load, .to = "latest"};
    auto p = MakePlan(*cat_, r);
    ASSERT_TRUE(p.ok()) << m.name << ": " << p.error().message;
    if (p->status == PlanStatus::kNoPath) {
      EXPECT_NE(p->reason.find("--allow-uncertain"), std::string::npos) << m.name << p->reason;
      r.allow_uncertain = true;
      p = MakePlan(*cat_, r);
      ASSERT_TRUE(p.ok()) << m.name;
      needed_uncertain.insert(m.name);
    }
    EXPECT_NE(p->status, PlanStatus::kNoPath)
        << m.name << " from " << loads.front()->load << ": " << p->reason;
  }
  EXPECT_EQ(needed_uncertain, std::set<std::string>{});
  EXPECT_EQ(no_confirmed, (std::set<std::string>{"CP-7931G"}));
}

}  // namespace
}  // namespace stepup
