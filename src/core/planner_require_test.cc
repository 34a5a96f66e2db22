// Issue 16, item 4: `--require mra` against the bundled catalog. The trust-store facts
// (78xx-88xx-enterprise.md section 4, TAC215573): 78xx/88xx below 12.8(1) ship the AddTrust
// External root, expired 2020-05-30, and fail MRA against a Sectigo/AddTrust-signed
// Expressway; 12.8(1) removed it. A target that fails is not an end: the plan ends on the
// lowest release at or above it that meets the requirement, and says so.
#include <gtest/gtest.h>

#include "core/bundled_catalog_fixture.h"
#include "core/capability.h"
#include "core/catalog_loader.h"
#include "core/planner.h"

namespace stepup {
namespace {

constexpr int64_t k2024 = 1704067200;     // 2024-01-01
constexpr int64_t k2020Jan = 1577836800;  // 2020-01-01: AddTrust not yet expired

class RequireMraTest : public testing::BundledCatalogTest {
 protected:
  static std::vector<std::string> Loads(const Plan& p) {
    std::vector<std::string> out;
    for (const auto& h : p.hops) out.push_back(h.load->load);
    return out;
  }
  static bool Has(const std::vector<std::string>& v, const std::string& needle) {
    for (const auto& s : v) {
      if (s.find(needle) != std::string::npos) return true;
    }
    return false;
  }
  static std::string All(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += s + "\n";
    return out;
  }
};

TEST_F(RequireMraTest, NamedTargetBelowTwelveEightIsMovedToTwelveEight) {
  PlanRequest r{.model = "CP-8841", .from = "12.7(1)", .to = "12.7(1)", .now = k2024};
  r.require = {"mra"};
  Plan p = MustPlan(r);
  ASSERT_EQ(p.status, PlanStatus::kOk) << p.reason;
  EXPECT_EQ(Loads(p), (std::vector<std::string>{"sip88xx.12-8-1-0001-455"}));
  EXPECT_EQ(p.to, "12.7(1)");  // as given
  EXPECT_EQ(p.to_load, "sip88xx.12-8-1-0001-455");
  EXPECT_EQ(p.require, (std::vector<std::string>{"mra"}));
  EXPECT_TRUE(Has(p.warnings,
                  "--require mra: the target sip88xx.12-7-1-0001-393 (12.7(1)) does "
                  "not meet it: sip88xx.12-7-1-0001-393 (12.7(1)) ships "
                  "addtrust-external (expired 2020-05-30), on which mra depends"))
      << All(p.warnings);
  EXPECT_TRUE(Has(p.warnings,
                  "the plan ends on sip88xx.12-8-1-0001-455 (12.8(1)), the lowest "
                  "sip release at or above it that meets it"))
      << All(p.warnings);
  EXPECT_NE(p.hops.back().why.find("meets --require mra"), std::string::npos) << p.hops.back().why;
  EXPECT_FALSE(p.hops.back().uncertain);

  // From further back, to a named release below 12.8(1): the chain still ends on 12.8(1).
  r.from = "11.5(1)";
  r.to = "12.5(1)SR3";
  p = MustPlan(r);
  ASSERT_EQ(p.status, PlanStatus::kOk) << p.reason;
  EXPECT_EQ(p.hops.back().load->load, "sip88xx.12-8-1-0001-455");
}

TEST_F(RequireMraTest, WithoutRequireTheNamedTargetStands) {
  Plan p = MustPlan({.model = "CP-8841", .from = "12.7(1)", .to = "12.7(1)", .now = k2024});
  EXPECT_EQ(p.status, PlanStatus::kCurrent);
  EXPECT_TRUE(p.require.empty());
  p = MustPlan({.model = "CP-8841", .from = "11.5(1)", .to = "12.7(1)", .now = k2024});
  ASSERT_EQ(p.status, PlanStatus::kOk) << p.reason;
  EXPECT_EQ(p.hops.back().load->load, "sip88xx.12-7-1-0001-393");
  EXPECT_FALSE(Has(p.warnings, "--require"));
}

TEST_F(RequireMraTest, LatestAlreadyMeetsItSoNothingChanges) {
  PlanRequest r{.model = "CP-8841", .from = "12.7(1)", .to = "latest", .now = k2024};
  Plan plain = MustPlan(r);
  r.require = {"mra"};
  Plan required = MustPlan(r);
  ASSERT_EQ(required.status, PlanStatus::kOk) << required.reason;
  EXPECT_EQ(Loads(required), Loads(plain));
  EXPECT_EQ(required.to_load, plain.to_load);
  EXPECT_EQ(required.warnings, plain.warnings);  // no requirement warning is added
  EXPECT_FALSE(required.hops.back().uncertain);
}

TEST_F(RequireMraTest, BeforeTheRootExpiredTwelveSevenMeetsIt) {
  PlanRequest r{.model = "CP-8841", .from = "12.7(1)", .to = "12.7(1)", .now = k2020Jan};
  r.require = {"mra"};
  EXPECT_EQ(MustPlan(r).status, PlanStatus::kCurrent);
}

TEST_F(RequireMraTest, RootsOnlyUncertainlyShippedCountAsFailing) {
  // Whether 12.7(1)SR1 still ships the AddTrust roots is uncertain (RN88-1271SR1): the safe
  // side is to take it as failing, and the plan says on what that rests.
  PlanRequest r{.model = "CP-8841", .from = "12.7(1)", .to = "12.7(1)SR1", .now = k2024};
  r.require = {"mra"};
  Plan p = MustPlan(r);
  ASSERT_EQ(p.status, PlanStatus::kOk) << p.reason;
  EXPECT_EQ(p.hops.back().load->load, "sip88xx.12-8-1-0001-455");
  EXPECT_TRUE(Has(p.warnings,
                  "that it ships them is uncertain (TAC215573 (seed 004); "
                  "RN88-1271SR1): taken as failing (the safe side)"))
      << All(p.warnings);
}

TEST_F(RequireMraTest, EightEightThirtyTwoMeetsItOnlyOnAnUncertainFact) {
  // No document ties CSCvt26128 to the 8832: that 12.8(1)+ dropped the roots is uncertain.
  PlanRequest r{.model = "CP-8832", .from = "12.7(1)", .to = "latest", .now = k2024};
  r.require = {"mra"};
  Plan refused = MustPlan(r);
  ASSERT_EQ(refused.status, PlanStatus::kNoPath);
  EXPECT_NE(refused.reason.find("--require mra"), std::string::npos) << refused.reason;
  EXPECT_NE(refused.reason.find("refused unless --allow-uncertain"), std::string::npos)
      << refused.reason;
  r.allow_uncertain = true;
  Plan p = MustPlan(r);
  ASSERT_EQ(p.status, PlanStatus::kOk) << p.reason;
  const PlanHop& end = p.hops.back();
  EXPECT_TRUE(end.uncertain);
  EXPECT_EQ(end.status, FactStatus::kUncertain);
  EXPECT_TRUE(Has(end.allowed_by, "--allow-uncertain"));
  EXPECT_TRUE(Has(end.uncertain_facts, "ships no expired root that mra depends on: uncertain"))
      << All(end.uncertain_facts);
  EXPECT_TRUE(Has(p.warnings, "meets it only on an uncertain fact")) << All(p.warnings);
}

TEST_F(RequireMraTest, ModelsWithoutTrustStoreFactsAreBadInputNamingIt) {
  PlanRequest r{.model = "SPA504G", .from = "7.3.7", .to = "7.6.1", .now = k2024};
  r.require = {"mra"};
  auto p = MakePlan(*cat_, r);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().kind, ErrorKind::kBadInput);
  EXPECT_NE(p.error().message.find("--require mra does not apply to SPA504G"), std::string::npos)
      << p.error().message;
  EXPECT_NE(p.error().message.find("ent-88xx"), std::string::npos) << p.error().message;
}

TEST_F(RequireMraTest, UnknownCapabilityMissingDateAndMigrationAreBadInput) {
  PlanRequest r{.model = "CP-8841", .from = "12.7(1)", .to = "latest", .now = k2024};
  r.require = {"vpn"};
  auto unknown = MakePlan(*cat_, r);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, ErrorKind::kBadInput);
  EXPECT_NE(unknown.error().message.find("unknown capability \"vpn\""), std::string::npos);

  r.require = {"mra"};
  r.now = 0;
  auto undated = MakePlan(*cat_, r);
  ASSERT_FALSE(undated.ok());
  EXPECT_NE(undated.error().message.find("needs the plan's date"), std::string::npos);

  r.now = k2024;
  r.from = "14.2(1)";
  r.to_protocol = Protocol::kMpp;
  auto migration = MakePlan(*cat_, r);
  ASSERT_FALSE(migration.ok());
  EXPECT_NE(migration.error().message.find("not planned across a migration"), std::string::npos)
      << migration.error().message;
}

// Issue 17, item 3: release features. The catalog's [[feature]] https record for the SPA5xx
// families (since 7.5.6: the CA today's server certificates chain to) moves a named target
// below it up to the lowest catalogued release that has it; no date is needed.
TEST_F(RequireMraTest, RequireHttpsMovesAnSpaTargetToTheFirstReleaseThatHasIt) {
  PlanRequest r{.model = "SPA504G", .from = "7.3.7", .to = "7.5.2b"};
  r.require = {"https"};
  Plan p = MustPlan(r);
  ASSERT_EQ(p.status, PlanStatus::kOk) << p.reason;
  EXPECT_EQ(p.to_load, "7.5.6");
  EXPECT_EQ(Loads(p), (std::vector<std::string>{"7.5.2b", "7.5.6"}));
  EXPECT_TRUE(Has(p.warnings, "7.5.2b (7.5.2b) lacks https: since 7.5.6 for spa50x-30x (secondary"))
      << All(p.warnings);
  EXPECT_NE(p.hops.back().why.find("meets --require https: 7.5.6 (7.5.6) has https"),
            std::string::npos)
      << p.hops.back().why;

  r.to = "7.6.1";  // already has it: nothing moves
  Plan q = MustPlan(r);
  EXPECT_EQ(q.to_load, "7.6.1");
  EXPECT_FALSE(Has(q.warnings, "lacks https")) << All(q.warnings);
}

TEST_F(RequireMraTest, RequireAFeatureTheCatalogDoesNotJudgeIsBadInput) {
  PlanRequest r{.model = "CP-8841", .from = "12.7(1)", .to = "latest"};
  r.require = {"https"};
  auto p = MakePlan(*cat_, r);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().kind, ErrorKind::kBadInput);
  EXPECT_NE(p.error().message.find("no [[feature]] record of https"), std::string::npos)
      << p.error().message;
  EXPECT_NE(p.error().message.find("spa50x-30x"), std::string::npos) << p.error().message;
}

TEST(Capability, FeatureRecordsAreCheckedAndJudgeByRelease) {
  const std::string fam = R"toml(
[[family]]
id = "f1"
line = "spa"
load_code = "x"
protocols = ["sip"]
default_protocol = "sip"
source = "test"
status = "confirmed"
)toml";
  auto load = [&](const std::string& feature) {
    return LoadCatalog({{"f.toml", fam + "[[feature]]\n" + feature + "\n"}});
  };
  auto unknown = load(R"(id = "vpn"
families = ["f1"]
source = "t")");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("unknown feature 'vpn'"), std::string::npos)
      << unknown.error().message;
  auto no_family = load(R"(id = "https"
families = ["nope"]
source = "t")");
  ASSERT_FALSE(no_family.ok());
  EXPECT_NE(no_family.error().message.find("feature https: unknown family 'nope'"),
            std::string::npos)
      << no_family.error().message;
  auto unsourced = load(R"(id = "https"
families = ["f1"])");
  ASSERT_FALSE(unsourced.ok());
  EXPECT_NE(unsourced.error().message.find("missing required key 'source'"), std::string::npos)
      << unsourced.error().message;
  auto bad_since = load(R"(id = "https"
families = ["f1"]
since = "not a version"
source = "t")");
  ASSERT_FALSE(bad_since.ok());
  auto twice = LoadCatalog({{"f.toml", fam + R"toml(
[[feature]]
id = "srtp"
families = ["f1"]
source = "a"
status = "confirmed"
[[feature]]
id = "srtp"
families = ["f1"]
source = "b"
status = "confirmed"
)toml"}});
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().message.find("family f1 already has a record for it"), std::string::npos)
      << twice.error().message;
  auto ok = load(R"(id = "srtp"
families = ["f1"]
since = "7.5.6"
status = "uncertain"
source = "t")");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  auto at = [&](const char* v) {
    return ReleaseHasFeature(*ok, "f1", ParseVersion(v).value(), "srtp");
  };
  EXPECT_FALSE(at("7.5.5").has);
  EXPECT_TRUE(at("7.5.5").judged);
  EXPECT_TRUE(at("7.5.6").has);
  EXPECT_TRUE(at("7.6.1").has);
  EXPECT_EQ(at("7.6.1").status, FactStatus::kUncertain);
  EXPECT_FALSE(ReleaseHasFeature(*ok, "f1", ParseVersion("7.6.1").value(), "https").judged);
  EXPECT_EQ(FeaturesLacking(*ok, "f1", ParseVersion("7.5.5").value(), ReleaseFeatures()),
            (std::vector<std::string>{"srtp"}));
}

TEST(Capability, ParsesCommaListsAndNamesUnknownOnes) {
  auto ok = ParseCapabilities({"mra", " MRA ,mra"}, "--require");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, (std::vector<std::string>{"mra"}));
  auto bad = ParseCapabilities({"mra,vpn"}, "--require");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            "--require: unknown capability \"vpn\" (known: mra, https, custom-ca, aes-profile, "
            "sip-tls, srtp)");
  EXPECT_FALSE(ParseCapabilities({"mra,"}, "--require").ok());
}

TEST(Capability, CatalogBreaksNamesOnlyKnownCapabilitiesWithASource) {
  auto root = [](const std::string& breaks) {
    return LoadCatalog({{"r.toml", R"toml(
[[root]]
id = "r1"
subject = "CN=R1"
sha1 = "02FAF3E291435468607857694DF5E45B68851868"
not_after = "2020-05-30T10:48:38Z"
status = "secondary"
source = "test"
)toml" + breaks + "\n"}});
  };
  auto unknown = root(R"(breaks = ["vpn"])");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("unknown capability 'vpn' in 'breaks'"), std::string::npos)
      << unknown.error().message;
  auto unsourced = root(R"(breaks = { value = ["mra"], status = "secondary" })");
  ASSERT_FALSE(unsourced.ok());
  EXPECT_NE(unsourced.error().message.find("'breaks' table needs a 'source'"), std::string::npos);
  auto ok = root(R"(breaks = { value = ["mra"], status = "inferred", source = "test" })");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  const TrustRoot* r = ok->FindRoot("r1");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->breaks.value, (std::vector<std::string>{"mra"}));
  EXPECT_EQ(r->breaks.status, FactStatus::kInferred);
}

}  // namespace
}  // namespace stepup
