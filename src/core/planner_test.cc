#include "core/planner.h"

#include <gtest/gtest.h>

#include "core/catalog_loader.h"

namespace stepup {
namespace {

// A small catalog shaped like the 79xx key transition, the SPA transition firmware and an
// enterprise family with a hardware floor and an expiring trust root.
const char* kCatalog = R"toml(
[[key]]
id = "old"
source = "t"
status = "confirmed"
[[key]]
id = "new"
source = "t"
status = "confirmed"
[[key]]
id = "spa"
source = "t"
status = "confirmed"

[[family]]
id = "f70"
line = "79xx"
load_code = "70"
protocols = ["sccp", "sip"]
default_protocol = "sccp"
source = "t"
status = "confirmed"
[[family]]
id = "spa"
line = "spa"
protocols = ["sip"]
default_protocol = "sip"
source = "t"
status = "confirmed"
[[family]]
id = "ent"
line = "enterprise"
load_code = "88xx"
protocols = ["sip"]
default_protocol = "sip"
source = "t"
status = "confirmed"

[[model]]
name = "CP-7970G"
family = "f70"
vendor = "cisco"
aliases = ["7970G"]
source = "t"
status = "confirmed"
[[model]]
name = "SPA504G"
family = "spa"
vendor = "cisco"
source = "t"
status = "confirmed"
[[model]]
name = "CP-8841"
family = "ent"
vendor = "cisco"
source = "t"
status = "confirmed"
[[model]]
name = "SPA-942"
vendor = "linksys"
source = "t"
status = "confirmed"

[[rule]]
families = ["f70"]
below = "8.3(3)"
accepts = ["old"]
status = "secondary"
source = "t"
why = "before 8.3(3) only the old key"
[[rule]]
families = ["f70"]
from = "8.3(3)"
below = "8.5(2)SR1"
accepts = ["old", "new"]
status = "secondary"
source = "t"
[[rule]]
families = ["f70"]
from = "8.5(2)SR1"
accepts = ["new"]
status = "uncertain"
source = "t"
[[rule]]
families = ["f70"]
below = "8.5(2)SR1"
signed_with = "old"
status = "secondary"
source = "t"
[[rule]]
families = ["f70"]
from = "8.5(2)SR1"
signed_with = "new"
status = "secondary"
source = "t"
[[rule]]
families = ["spa", "ent"]
signed_with = "spa"
accepts = ["spa"]
status = "inferred"
source = "t"
[[rule]]
families = ["spa"]
from = "7.5.4"
min_from = "7.5.2b"
status = "confirmed"
source = "t"
why = "transition firmware"
[[rule]]
families = ["ent"]
below = "12.8(1)"
roots = ["r1"]
status = "confirmed"
source = "t"
[[rule]]
families = ["ent"]
from = "12.8(1)"
roots = []
status = "confirmed"
source = "t"
why = "expired roots removed"

[[hardware]]
models = ["CP-8841"]
revision = "V15"
min_version = "12.6(1)"
status = "confirmed"
source = "FN"

[[root]]
id = "r1"
subject = "CN=Old Root"
sha1 = "02FAF3E291435468607857694DF5E45B68851868"
not_after = "2020-05-30T10:48:38Z"
status = "confirmed"
source = "t"

[[load]]
family = "f70"
load = "SIP70.8-2-1S"
version = "8.2(1)"
files = ["SIP70.8-2-1S.loads"]
status = "confirmed"
source = "t"
[[load]]
family = "f70"
load = "SCCP70.8-4-2S"
version = "8.4(2)"
files = ["SCCP70.8-4-2S.loads"]
status = "confirmed"
source = "t"
[[load]]
family = "f70"
load = "SCCP70.8-5-2S"
version = "8.5(2)"
files = ["SCCP70.8-5-2S.loads", "apps70.8-5-2.sbn"]
bundles = ["cmterm-7970_7971-sccp.8-5-2.zip"]
status = "confirmed"
source = "t"
[[load]]
family = "f70"
load = "SIP70.8-5-2S"
version = "8.5(2)"
files = ["SIP70.8-5-2S.loads"]
status = "confirmed"
source = "t"
[[load]]
family = "f70"
load = "SCCP70.8-5-3S"
version = "8.5(3)"
files = ["SCCP70.8-5-3S.loads"]
status = "inferred"
source = "t"
[[load]]
family = "f70"
load = "SIP70.9-4-2SR1-1S"
version = "9.4(2)SR1"
files = ["SIP70.9-4-2SR1-1S.loads"]
status = "inferred"
source = "t"
[[load]]
family = "f70"
load = "SCCP70.9-4-2SR3-1S"
version = "9.4(2)SR3"
files = ["SCCP70.9-4-2SR3-1S.loads"]
status = "confirmed"
source = "t"

[[load]]
family = "spa"
load = "7.3.7"
version = "7.3.7"
files = ["spa5x5-7-3-7.bin"]
status = "confirmed"
source = "t"
[[load]]
family = "spa"
load = "7.5.2b"
version = "7.5.2b"
files = ["spa50x-30x-7-5-2b.bin"]
status = "confirmed"
source = "t"
[[load]]
family = "spa"
load = "7.5.5"
version = "7.5.5"
files = ["spa50x-30x-7-5-5.bin"]
status = "confirmed"
source = "t"
[[load]]
family = "spa"
load = "7.6.1"
version = "7.6.1"
files = ["spa50x-30x-7-6-1.bin"]
status = "confirmed"
source = "t"

[[load]]
family = "ent"
load = "sip88xx.12-5-1SR3-74"
version = "12.5(1)SR3"
files = ["sip88xx.12-5-1SR3-74.loads"]
status = "confirmed"
source = "t"
[[load]]
family = "ent"
load = "sip88xx.12-7-1-0001-393"
version = "12.7(1)"
files = ["sip88xx.12-7-1-0001-393.loads"]
status = "confirmed"
source = "t"
[[load]]
family = "ent"
load = "sip88xx.12-8-1-0001-455"
version = "12.8(1)"
files = ["sip88xx.12-8-1-0001-455.loads"]
status = "confirmed"
source = "t"
)toml";

class PlannerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = LoadCatalog({{"planner_test.toml", kCatalog}});
    ASSERT_TRUE(c.ok()) << c.error().message;
    cat_ = std::make_unique<Catalog>(std::move(c).value());
  }

  std::unordered_set<const Load*> Have(const std::string& family, std::vector<std::string> names) {
    std::unordered_set<const Load*> out;
    for (const auto& n : names) {
      const Load* l = cat_->FindLoad(family, n);
      EXPECT_NE(l, nullptr) << n;
      out.insert(l);
    }
    return out;
  }

  Plan MustPlan(const PlanRequest& r) {
    auto p = MakePlan(*cat_, r);
    EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message);
    return p.ok() ? std::move(p).value() : Plan{};
  }

  static std::vector<std::string> Loads(const Plan& p) {
    std::vector<std::string> out;
    for (const auto& h : p.hops) out.push_back(h.load->load);
    return out;
  }

  std::unique_ptr<Catalog> cat_;
};

TEST_F(PlannerTest, BridgesSigningKeyThroughDualTrustRelease) {
  PlanRequest r{.model = "7970G", .from = "SIP70.8-2-1S", .to = "9.4(2)SR1"};
  Plan p = MustPlan(r);
  EXPECT_EQ(p.status, PlanStatus::kOk);
  // Direct is blocked (old key only); the newest dual-key release in the target protocol bridges.
  EXPECT_EQ(Loads(p), (std::vector<std::string>{"SIP70.8-5-2S", "SIP70.9-4-2SR1-1S"}));
  EXPECT_NE(p.hops[0].why.find("accepts only images signed with old"), std::string::npos)
      << p.hops[0].why;
  EXPECT_EQ(p.from_protocol, Protocol::kSip);
  EXPECT_EQ(p.to_protocol, Protocol::kSip);
}

TEST_F(PlannerTest, PrefersTheTargetProtocolThenNewerReleasesOnEqualHops) {
  // Without the SIP bridge, the SCCP 8.5(2) bridge (newer than 8.4(2)) is taken.
  PlanRequest r{.model = "CP-7970G", .from = "SIP70.8-2-1S", .to = "SIP70.9-4-2SR1-1S"};
  r.available = Have("f70", {"SCCP70.8-4-2S", "SCCP70.8-5-2S", "SIP70.9-4-2SR1-1S"});
  Plan p = MustPlan(r);
  EXPECT_EQ(Loads(p), (std::vector<std::string>{"SCCP70.8-5-2S", "SIP70.9-4-2SR1-1S"}));
  EXPECT_NE(p.hops[0].why.find("switches protocol sip -> sccp"), std::string::npos);
}

TEST_F(PlannerTest, FlagsHopsRestingOnInferredFacts) {
  PlanRequest r{.model = "CP-7970G", .from = "SIP70.8-2-1S", .to = "SIP70.9-4-2SR1-1S"};
  Plan p = MustPlan(r);
  ASSERT_EQ(p.hops.size(), 2u);
  EXPECT_FALSE(p.hops[0].uncertain);
  EXPECT_TRUE(p.hops[1].uncertain);  // the target's name is inferred
  ASSERT_FALSE(p.hops[1].uncertain_facts.empty());
  EXPECT_NE(p.hops[1].uncertain_facts[0].find("inferred"), std::string::npos);
}

TEST_F(PlannerTest, NamesTheMissingBridgeAndItsAlternatives) {
  PlanRequest r{.model = "CP-7970G", .from = "SIP70.8-2-1S", .to = "SCCP70.9-4-2SR3-1S"};
  r.available = Have("f70", {"SCCP70.8-5-3S", "SCCP70.9-4-2SR3-1S"});
  Plan p = MustPlan(r);
  EXPECT_EQ(p.status, PlanStatus::kNoPath);
  EXPECT_TRUE(p.hops.empty());
  ASSERT_EQ(p.missing.size(), 1u);
  // Any release from 8.3(3) to 8.5(2) bridges; the newest is named, the others are alternatives.
  EXPECT_EQ(p.missing[0].load->load, "SCCP70.8-5-2S");
  EXPECT_NE(p.missing[0].why.find("accepts only images signed with old"), std::string::npos)
      << p.missing[0].why;
  std::vector<std::string> alts;
  for (const Load* a : p.missing[0].alternatives) alts.push_back(a->load);
  EXPECT_EQ(alts, (std::vector<std::string>{"SIP70.8-5-2S", "SCCP70.8-4-2S"}));
}

TEST_F(PlannerTest, ReportsAMissingTarget) {
  PlanRequest r{.model = "SPA504G", .from = "7.5.2b", .to = "7.6.1"};
  r.available = Have("spa", {"7.5.5"});
  Plan p = MustPlan(r);
  EXPECT_EQ(p.status, PlanStatus::kNoPath);
  ASSERT_EQ(p.missing.size(), 1u);
  EXPECT_EQ(p.missing[0].load->load, "7.6.1");
  EXPECT_NE(p.missing[0].why.find("the target"), std::string::npos);
}

TEST_F(PlannerTest, TransitionFirmwareIsRequiredBelowItsMinimum) {
  PlanRequest r{.model = "SPA504G", .from = "7.3.7", .to = "7.6.1"};
  Plan p = MustPlan(r);
  EXPECT_EQ(Loads(p), (std::vector<std::string>{"7.5.2b", "7.6.1"}));
  EXPECT_NE(p.hops[0].why.find("7.6.1 installs only from 7.5.2b or later"), std::string::npos)
      << p.hops[0].why;
  // From 7.5.2b on, one hop.
  r.from = "7.5.2b";
  EXPECT_EQ(Loads(MustPlan(r)), std::vector<std::string>{"7.6.1"});
}

TEST_F(PlannerTest, PlacesAnUncataloguedVersionByItsRange) {
  // 7.4.10 is not listed: it is below 7.5.2b, so it takes the transition hop.
  PlanRequest r{.model = "SPA504G", .from = "7.4.10", .to = "latest"};
  Plan p = MustPlan(r);
  EXPECT_FALSE(p.from_catalogued);
  EXPECT_EQ(Loads(p), (std::vector<std::string>{"7.5.2b", "7.6.1"}));
  // 8.3(2) on a 7970 is not listed either; it takes the "old key only" range.
  PlanRequest r2{.model = "CP-7970G", .from = "8.3(2)", .to = "latest"};
  Plan p2 = MustPlan(r2);
  EXPECT_EQ(p2.from_protocol, Protocol::kSccp);  // the model's usual protocol
  EXPECT_EQ(Loads(p2), (std::vector<std::string>{"SCCP70.8-5-2S", "SCCP70.9-4-2SR3-1S"}));
}

TEST_F(PlannerTest, AtTargetIsCurrent) {
  PlanRequest r{.model = "SPA504G", .from = "7.6.1", .to = "latest"};
  Plan p = MustPlan(r);
  EXPECT_EQ(p.status, PlanStatus::kCurrent);
  EXPECT_TRUE(p.hops.empty());
}

TEST_F(PlannerTest, HardwareFloorForbidsOlderReleases) {
  PlanRequest r{
      .model = "CP-8841", .from = "sip88xx.12-7-1-0001-393", .to = "12.5(1)SR3", .hardware = "V15"};
  Plan p = MustPlan(r);
  EXPECT_EQ(p.status, PlanStatus::kNoPath);
  EXPECT_NE(p.reason.find("hardware V15 of CP-8841 cannot run releases below 12.6(1)"),
            std::string::npos)
      << p.reason;
  r.from = "sip88xx.12-5-1SR3-74";
  r.to = "latest";
  auto bad = MakePlan(*cat_, r);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::kBadInput);
  // Without the floor the downgrade is a valid single hop (when downgrades are allowed).
  r.from = "sip88xx.12-7-1-0001-393";
  r.to = "12.5(1)SR3";
  r.hardware = "";
  r.allow_downgrade = true;
  EXPECT_EQ(MustPlan(r).status, PlanStatus::kOk);
}

TEST_F(PlannerTest, WarnsAboutExpiredTrustRootsAndExplainsTheFix) {
  PlanRequest r{.model = "CP-8841", .from = "12.7(1)", .to = "latest", .now = 1700000000};
  Plan p = MustPlan(r);
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_NE(p.warnings[0].find("CN=Old Root, expired 2020-05-30"), std::string::npos)
      << p.warnings[0];
  ASSERT_EQ(p.hops.size(), 1u);
  EXPECT_NE(p.hops[0].why.find("drops r1 (expired 2020-05-30): expired roots removed"),
            std::string::npos)
      << p.hops[0].why;
  r.now = 1500000000;  // 2017: not yet expired
  EXPECT_TRUE(MustPlan(r).warnings.empty());
}

TEST_F(PlannerTest, BadInputAndUnknownModelsAreErrorsNamingTheValue) {
  auto unknown = MakePlan(*cat_, PlanRequest{.model = "CP-9999", .from = "1.0.0"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, ErrorKind::kUnknown);
  EXPECT_NE(unknown.error().message.find("CP-9999"), std::string::npos);
  auto nofw = MakePlan(*cat_, PlanRequest{.model = "SPA-942", .from = "6.1.5(a)"});
  ASSERT_FALSE(nofw.ok());
  EXPECT_EQ(nofw.error().kind, ErrorKind::kUnknown);
  struct Case {
    PlanRequest r;
    std::string named;
  };
  std::vector<Case> cases = {
      {{.model = "SPA504G", .from = "7.x.1"}, "7.x.1"},
      {{.model = "SPA504G", .from = "7.3.7", .to = "7.9.9"}, "7.9.9"},
      {{.model = "CP-7970G", .from = "SCCP41.8-5-2S"}, "SCCP41.8-5-2S"},
      {{.model = "CP-7970G", .from = "SIP70.8-2-1S", .protocol = Protocol::kSccp}, "SIP70.8-2-1S"},
      {{.model = "SPA504G", .from = "7.3.7", .protocol = Protocol::kSccp}, "sccp"},
      {{.model = "CP-8841", .from = "12.7(1)", .hardware = "fifteen"}, "fifteen"},
  };
  for (const auto& c : cases) {
    auto p = MakePlan(*cat_, c.r);
    ASSERT_FALSE(p.ok()) << c.named;
    EXPECT_EQ(p.error().kind, ErrorKind::kBadInput) << c.named;
    EXPECT_NE(p.error().message.find(c.named), std::string::npos) << p.error().message;
  }
}

TEST_F(PlannerTest, AvailabilityComesFromBundlesOrAllFiles) {
  const Load* l = cat_->FindLoad("f70", "SCCP70.8-5-2S");
  EXPECT_TRUE(LoadAvailable(*l, {"cmterm-7970_7971-sccp.8-5-2.zip"}));
  EXPECT_TRUE(LoadAvailable(*l, {"sccp70.8-5-2s.loads", "apps70.8-5-2.sbn"}));
  // A .loads without its images is the AUTH FAIL signature, not an available load.
  EXPECT_FALSE(LoadAvailable(*l, {"sccp70.8-5-2s.loads"}));
}

}  // namespace
}  // namespace stepup

namespace stepup {
namespace {

TEST_F(PlannerTest, KeyFactsOfASingleKeyFamilyDoNotMakeHopsUncertain) {
  // The spa family uses one key: its (inferred) key facts could not change a plan anyway;
  // the 79xx family's uncertain "accepts" fact for 8.5(2)SR1+ does make its hops uncertain.
  PlanRequest r{.model = "SPA504G", .from = "7.3.7", .to = "7.6.1"};
  for (const auto& h : MustPlan(r).hops) EXPECT_FALSE(h.uncertain) << h.load->load;
  PlanRequest r2{.model = "CP-7970G", .from = "SCCP70.8-5-3S", .to = "SCCP70.9-4-2SR3-1S"};
  r2.allow_uncertain = true;  // to see the flag; without it the hop is refused (PlanPolicy tests)
  Plan p = MustPlan(r2);
  ASSERT_EQ(p.hops.size(), 1u);
  EXPECT_TRUE(p.hops[0].uncertain);
  EXPECT_NE(p.hops[0].uncertain_facts.back().find("SCCP70.8-5-3S accepts new: uncertain"),
            std::string::npos);
}

}  // namespace
}  // namespace stepup
