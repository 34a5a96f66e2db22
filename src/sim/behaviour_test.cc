#include "sim/behaviour.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "core/capability.h"
#include "core/catalog_loader.h"

namespace stepup::sim {
namespace {

const Catalog& Cat() {
  static const Catalog c = LoadCatalog(BundledCatalog()).value();
  return c;
}

Version V(const char* s) { return ParseVersion(s).value(); }

// Catalogued but not simulated: the 7940/7960 boot differently (79xx-enterprise.md section 6:
// SIP<MAC>.cnf, SIPDefault.cnf, the universal loader), and the sheets give no boot requests or
// User-Agent for the enterprise ATA190 (spa-ata-mpp.md section 2).
bool NotSimulated(const std::string& model) {
  return model == "CP-7940G" || model == "CP-7960G" || model == "ATA190";
}

std::set<std::string> AsSet(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

// The simulator's behaviour table and the planner's catalog are written apart; any fact on
// which they disagree is a bug in one of them.
TEST(SimBehaviour, AgreesWithTheCatalogOnEveryKeyAndTransitionFact) {
  int compared = 0;
  for (const Load& l : Cat().loads) {
    for (const Model& m : Cat().models) {
      if (m.family != l.family || NotSimulated(m.name)) continue;
      auto kind = KindOf(m.name);
      ASSERT_TRUE(kind) << m.name << ": " << kind.error().message;
      const ReleaseFacts& f = l.facts;
      if (f.signed_with.set) {
        EXPECT_EQ(SigningKey(kind->key_group, l.version), f.signed_with.value)
            << m.name << " " << l.load << " signed_with";
        ++compared;
      }
      if (f.accepts.set) {
        EXPECT_EQ(AsSet(AcceptedKeys(kind->key_group, l.version)), AsSet(f.accepts.value))
            << m.name << " " << l.load << " accepts";
        ++compared;
      }
      auto sim_floor = TransitionFloor(m.name, l.version);
      bool cat_floor = f.min_from.set && f.min_from.value.has_value();
      EXPECT_EQ(sim_floor.has_value(), cat_floor) << m.name << " " << l.load << " min_from";
      if (sim_floor && cat_floor) {
        EXPECT_EQ(Compare(*sim_floor, *f.min_from.value), 0) << m.name << " " << l.load;
      }
      ++compared;
    }
  }
  EXPECT_GT(compared, 500);
}

TEST(SimBehaviour, AgreesWithTheCatalogOnEveryHardwareFloor) {
  std::set<std::pair<std::string, std::string>> pairs;
  for (const auto& h : Cat().hardware) {
    for (const auto& m : h.models) pairs.insert({m, h.revision});
  }
  for (const auto& row : HardwareFloors()) {
    for (auto m : row.models) pairs.insert({std::string(m), std::string(row.revision)});
  }
  ASSERT_GE(pairs.size(), 20u);
  for (const auto& [model, rev] : pairs) {
    // The revision itself and the next one: "this revision and later".
    for (std::string r : {rev, "V" + std::to_string(std::stoi(rev.substr(1)) + 1)}) {
      const HardwareMinimum* cat = Cat().HardwareFloor(model, r);
      auto sim = HardwareFloor(model, r);
      ASSERT_EQ(cat != nullptr, sim.has_value()) << model << " " << r;
      if (cat) {
        EXPECT_EQ(Compare(cat->min_version, *sim), 0) << model << " " << r;
      }
    }
  }
}

// The simulated phones' trust in today's server CA and the catalog's https feature: every
// catalogued release of every model agrees (the catalog judges only the SPA5xx families).
TEST(SimBehaviour, AgreesWithTheCatalogOnWhichReleasesCanVerifyTheServer) {
  int judged = 0;
  for (const auto& m : Cat().models) {
    for (const Load* l : Cat().LoadsOf(m.family)) {
      FeatureVerdict v = ReleaseHasFeature(Cat(), m.family, l->version, "https");
      if (!v.judged) {
        EXPECT_TRUE(TrustsCurrentServerCa(m.name, l->version)) << m.name << " " << l->load;
        continue;
      }
      ++judged;
      EXPECT_EQ(TrustsCurrentServerCa(m.name, l->version), v.has)
          << m.name << " " << l->load << ": " << v.why;
    }
  }
  EXPECT_GT(judged, 20);
  EXPECT_FALSE(TrustsCurrentServerCa("SPA504G", ParseVersion("7.5.5").value()));
  EXPECT_TRUE(TrustsCurrentServerCa("SPA504G", ParseVersion("7.5.6").value()));
}

TEST(SimBehaviour, KnowsHowEveryCatalogModelBoots) {
  for (const Model& m : Cat().models) {
    if (m.family.empty()) continue;
    auto kind = KindOf(m.name);
    if (NotSimulated(m.name)) {
      EXPECT_FALSE(kind) << m.name;
      continue;
    }
    ASSERT_TRUE(kind) << m.name;
    const Family* f = Cat().FindFamily(m.family);
    ASSERT_NE(f, nullptr);
    // The catalog's product line and the simulator's boot style describe the same phone.
    BootStyle expect = (f->line == "79xx" || f->line == "enterprise") ? BootStyle::kEnterprise
                       : f->line == "mpp"                            ? BootStyle::kMpp
                                                                     : BootStyle::kFlatProfile;
    EXPECT_EQ(kind->boot, expect) << m.name << " line " << f->line;
  }
  EXPECT_FALSE(KindOf("CP-7940G"));  // 79x0 boot differently and are not simulated
  EXPECT_FALSE(KindOf("Yealink-T46G"));
}

TEST(SimBehaviour, SeventyNineXXKeysFollowSeed001) {
  EXPECT_EQ(AcceptedKeys("79xx", V("8.3(2)")), std::vector<std::string>{"79xx-old"});
  EXPECT_EQ(AsSet(AcceptedKeys("79xx", V("8.4(4)"))), (std::set<std::string>{"79xx-old", "79xx-new"}));
  EXPECT_EQ(AcceptedKeys("79xx", V("9.4(2)SR1")), std::vector<std::string>{"79xx-new"});
  EXPECT_EQ(SigningKey("79xx", V("8.5(2)")), "79xx-old");
  EXPECT_EQ(SigningKey("79xx", V("8.5(2)SR1")), "79xx-new");
}

TEST(SimBehaviour, SpaTransitionAndRuleEvaluation) {
  ASSERT_TRUE(TransitionFloor("SPA504G", V("7.6.1")));
  EXPECT_EQ(TransitionFloor("SPA504G", V("7.6.1"))->input, "7.5.2b");
  EXPECT_FALSE(TransitionFloor("SPA504G", V("7.5.2b")));
  EXPECT_FALSE(TransitionFloor("SPA525G", V("7.6.1")));  // no transition hop recorded
  EXPECT_EQ(EvaluateUpgradeRule(" http://h/a.bin ", V("7.3.7")).value(), "http://h/a.bin");
  auto letter = EvaluateUpgradeRule("($SWVER lt 7.5.2b) ? http://h/a.bin | http://h/b.bin", V("7.3.7"));
  ASSERT_FALSE(letter);
  EXPECT_NE(letter.error().message.find("letter suffix"), std::string::npos);
  EXPECT_EQ(EvaluateUpgradeRule("($SWVER lt 7.5.4) ? http://h/a.bin | http://h/b.bin", V("7.3.7")).value(),
            "http://h/a.bin");
  EXPECT_EQ(EvaluateUpgradeRule("($SWVER lt 7.5.4) ? http://h/a.bin | http://h/b.bin", V("7.6.1")).value(),
            "http://h/b.bin");
  EXPECT_FALSE(EvaluateUpgradeRule("($SWVER zz 7.5.4) ? a | b", V("7.6.1")));
  EXPECT_FALSE(EvaluateUpgradeRule("($SWVER lt 7.5.4 a | b", V("7.6.1")));
}

TEST(SimBehaviour, HardwareFloorsTakeTheStrictestRow) {
  EXPECT_EQ(HardwareFloor("CP-8841", "V15")->input, "12.6(1)");
  EXPECT_EQ(HardwareFloor("CP-8841", "V09")->input, "11.7(1)");
  EXPECT_FALSE(HardwareFloor("CP-8841", "V07"));
  EXPECT_FALSE(HardwareFloor("CP-8841", "banana"));
  EXPECT_EQ(HardwareFloor("CP-7841", "V20")->input, "14.0(1)SR3");
}

}  // namespace
}  // namespace stepup::sim
