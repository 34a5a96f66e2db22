// Issue 14 against the bundled catalog: every case the issue lists, each with the sheet row
// (docs/firmware/) it comes from. Planner policy (latest, uncertain hops,
// downgrades, hardware, chip builds) and the catalog's statuses.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/catalog_loader.h"
#include "core/bundled_catalog_fixture.h"
#include "core/planner.h"

namespace stepup {
namespace {

class PolicyTest : public testing::BundledCatalogTest {
 protected:
  static const Load* L(const std::string& model, const std::string& name) {
    const Model* m = cat_->FindModel(model);
    return m ? cat_->FindLoad(m->family, name) : nullptr;
  }
  static bool HasWarning(const Plan& p, const std::string& text) {
    for (const auto& w : p.warnings) {
      if (w.find(text) != std::string::npos) return true;
    }
    return false;
  }

};

// spa-ata-mpp.md 1.2: 7.6.2g (and all 7.6.x) are U; 7.5.6 is the newest C for spa50x-30x.
TEST_F(PolicyTest, LatestIsTheNewestConfirmedRelease_Spa) {
  Plan p = MustPlan({.model = "SPA504G", .from = "7.4.8a", .to = "latest"});
  ASSERT_EQ(p.status, PlanStatus::kOk) << p.reason;
  EXPECT_EQ(p.to_load, "7.5.6");
  EXPECT_EQ(p.to_status, FactStatus::kConfirmed);
  // A phone already past it (7.6.1, secondary) is left alone, not pulled back, and told why.
  Plan past = MustPlan({.model = "SPA504G", .from = "7.6.1", .to = "latest"});
  EXPECT_EQ(past.status, PlanStatus::kCurrent);
  EXPECT_EQ(past.to_load, "7.6.1");
  EXPECT_TRUE(HasWarning(past, "newer than the newest confirmed release 7.5.6"));
  // 7.6.2g stays reachable by name, with its status shown.
  PlanRequest named{.model = "SPA504G", .from = "7.6.1", .to = "7.6.2g"};
  named.allow_uncertain = true;
  Plan g = MustPlan(named);
  EXPECT_EQ(g.status, PlanStatus::kOk) << g.reason;
  EXPECT_EQ(g.to_status, FactStatus::kUncertain);
  EXPECT_TRUE(HasWarning(g, "exists under this name only as uncertain"));
}

// 78xx-88xx-enterprise.md section 2: 14.4(1)SR3 is S (third-party only).
TEST_F(PolicyTest, LatestIsTheNewestConfirmedRelease_8841) {
  Plan p = MustPlan({.model = "CP-8841", .from = "12.8(1)", .to = "latest"});
  ASSERT_EQ(p.status, PlanStatus::kOk) << p.reason;
  EXPECT_NE(p.to_version, "14.4(1)SR3");
  EXPECT_EQ(p.to_status, FactStatus::kConfirmed);
  const Load* sr3 = nullptr;
  for (const Load* l : cat_->LoadsOf(cat_->FindModel("CP-8841")->family)) {
    if (l->version_label == "14.4(1)SR3") sr3 = l;
  }
  ASSERT_NE(sr3, nullptr);
  EXPECT_NE(sr3->status, FactStatus::kConfirmed);
}

// 78xx-88xx-enterprise.md section 3 (FN70546, V15+ minimum 12.6) and spa-ata-mpp.md 3.5 row 6
// (CSCwc61476): a downgrade is refused unless asked for; with no revision known the plan
// warns that a floor could matter.
TEST_F(PolicyTest, DowngradeRefusedUnlessAllowedAndUnknownHardwareWarned) {
  PlanRequest r{.model = "CP-8841", .from = "14.4(1)", .to = "10.2(1)"};
  Plan refused = MustPlan(r);
  EXPECT_EQ(refused.status, PlanStatus::kNoPath);
  EXPECT_NE(refused.reason.find("a downgrade, refused unless --allow-downgrade"), std::string::npos)
      << refused.reason;
  r.allow_downgrade = true;
  Plan p = MustPlan(r);
  ASSERT_EQ(p.status, PlanStatus::kOk) << p.reason;
  EXPECT_TRUE(p.hops.back().downgrade);
  EXPECT_EQ(p.hops.back().allowed_by, std::vector<std::string>{"--allow-downgrade"});
  EXPECT_TRUE(HasWarning(p, "hardware revision unknown: a CP-8841 of revision V15"));
  r.hardware = "V15";  // known revision: the floor applies even with --allow-downgrade
  EXPECT_EQ(MustPlan(r).status, PlanStatus::kNoPath);

  PlanRequest mpp{.model = "CP-8841-3PCC", .from = "sip88xx.11-0-1MPP-376", .to = "latest"};
  Plan m = MustPlan(mpp);
  EXPECT_TRUE(HasWarning(m, "below 11.3(3)")) << (m.warnings.empty() ? "" : m.warnings[0]);
  EXPECT_TRUE(HasWarning(m, "CSCwc61476"));
}

// spa-ata-mpp.md section 2, row "SPA112/122 1.3.5p hardware note" (WZ commit 1132fdfd).
TEST_F(PolicyTest, ChipSpecificBuildIsNeverReplacedByThePlainBuild) {
  PlanRequest r{.model = "SPA112", .from = "1.3.5p", .to = "1.3.5"};
  EXPECT_EQ(MustPlan(r).status, PlanStatus::kNoPath);
  r.allow_downgrade = true;
  Plan p = MustPlan(r);
  EXPECT_EQ(p.status, PlanStatus::kNoPath);
  EXPECT_NE(p.reason.find("Silicon Labs"), std::string::npos) << p.reason;
}

// spa-ata-mpp.md 1.3, row "Same 7.5.2b hop used when targeting 7.6.1 / 7.6.2": U.
TEST_F(PolicyTest, UncertainHopRefusedUnlessAllowedThenMarked) {
  PlanRequest r{.model = "SPA504G", .from = "7.3.7", .to = "7.6.2"};
  Plan refused = MustPlan(r);
  EXPECT_EQ(refused.status, PlanStatus::kNoPath);
  EXPECT_NE(refused.reason.find("--allow-uncertain"), std::string::npos) << refused.reason;
  r.allow_uncertain = true;
  Plan p = MustPlan(r);
  ASSERT_EQ(p.status, PlanStatus::kOk) << p.reason;
  ASSERT_EQ(p.hops.size(), 2u);
  EXPECT_TRUE(p.hops[0].allowed_by.empty());
  EXPECT_EQ(p.hops[1].allowed_by, std::vector<std::string>{"--allow-uncertain"});
  EXPECT_EQ(p.hops[1].status, FactStatus::kUncertain);
  EXPECT_TRUE(p.hops[1].uncertain);
}

// The seed chains keep their shape under the default policy, resting on field reports:
// seed 003's access log for 7.5.2b -> 7.6.1; DUDEK/CRIMSON/WAZO for factory -> 8.5(2)
// (79xx-enterprise.md section 4).
TEST_F(PolicyTest, SeedChainsRestOnTheFieldReportsNotOnTheInferredKeys) {
  Plan spa = MustPlan({.model = "SPA504G", .from = "7.3.7", .to = "7.6.1"});
  ASSERT_EQ(spa.status, PlanStatus::kOk) << spa.reason;
  EXPECT_EQ(spa.hops[1].status, FactStatus::kSecondary);
  EXPECT_NE(spa.hops[1].why.find("reported installing on phones running 7.5.2b"),
            std::string::npos);
  Plan f = MustPlan({.model = "CP-7941G", .from = "8.3(2)", .to = "latest"});
  ASSERT_EQ(f.status, PlanStatus::kOk) << f.reason;
  EXPECT_EQ(f.hops[0].load->load, "SCCP41.8-5-2S");
  EXPECT_EQ(f.hops[0].status, FactStatus::kSecondary);
  EXPECT_FALSE(f.hops[0].uncertain);
}

// The drifts the issue lists, each against its sheet row.
TEST_F(PolicyTest, StatusesMatchTheSheets) {
  // 79xx-enterprise.md section 2: SIP70.9-4-2SR1S / SIP 9.4(2)SRx for 7970 NOT FOUND.
  ASSERT_NE(L("CP-7970G", "SIP70.9-4-2SR1-1S"), nullptr);
  EXPECT_EQ(L("CP-7970G", "SIP70.9-4-2SR1-1S")->status, FactStatus::kInferred);
  // spa-ata-mpp.md section 2: PAP2T 64 kB limit NF; seed 003 (an operator's report) only.
  const Model* pap = cat_->FindModel("PAP2T");
  EXPECT_EQ(pap->status, FactStatus::kConfirmed);
  EXPECT_EQ(pap->max_profile_bytes, 65536);
  EXPECT_EQ(pap->max_profile_status, FactStatus::kSecondary);
  // spa-ata-mpp.md 1.3: the 7.5.2b hop for 7.6.x is U.
  const Load* spa761 = L("SPA504G", "7.6.1");
  EXPECT_EQ(spa761->facts.min_from.status, FactStatus::kUncertain);
  // 79xx-enterprise.md section 4, derived model: >= 8.5(3) accepts new (C2), refuses old (U);
  // 8.5(2)SR1 accepts new (C2: CRIMSON, QSOLV2).
  const Load* s853 = L("CP-7941G", "SCCP41.8-5-3S");
  EXPECT_EQ(s853->facts.accepts.status, FactStatus::kSecondary);
  EXPECT_EQ(s853->facts.rejects.status, FactStatus::kUncertain);
  EXPECT_EQ(s853->facts.rejects.value, std::vector<std::string>{"79xx-old"});
  const Load* sr1 = L("CP-7941G", "SCCP41.8-5-2SR1S");
  EXPECT_EQ(sr1->facts.accepts.status, FactStatus::kSecondary);
  EXPECT_FALSE(sr1->facts.rejects.set);
  // spa-ata-mpp.md 1.2, row 7.5.6: version C, 50x/30x file name not seen (no source).
  const Load* s756 = L("SPA504G", "7.5.6");
  EXPECT_EQ(s756->status, FactStatus::kConfirmed);
  ASSERT_EQ(s756->file_names.size(), 1u);
  EXPECT_EQ(s756->file_names[0].status, FactStatus::kInferred);
  EXPECT_EQ(s756->file_names[0].source, "");
}

// Seed 000 (DUDEK): the SCCP 8.5(2)/8.5(3) bundles and SIP 9.4(2)SR1 are free; the SIP
// dual-key bridges need a paid account. Among equally short chains the free bridge wins, and
// the plan names exactly what to fetch.
TEST_F(PolicyTest, PrefersTheFreeBridgeAndNamesWhatToFetch) {
  PlanRequest r{.model = "CP-7970G", .from = "SIP70.8-2-1S", .to = "SIP70.9-4-2SR1-1S"};
  r.allow_uncertain = true;  // so that the contract-only SIP 8.4(2) bridge is a candidate too
  r.available = std::unordered_set<const Load*>{L("CP-7970G", "SIP70.9-4-2SR1-1S")};
  r.on_hand = std::unordered_set<std::string>{"sip70.9-4-2sr1-1s.loads"};
  Plan p = MustPlan(r);
  ASSERT_EQ(p.status, PlanStatus::kNoPath);
  ASSERT_EQ(p.missing.size(), 1u);
  EXPECT_EQ(p.missing[0].load->load, "SCCP70.8-5-2S");
  EXPECT_EQ(p.missing[0].access, Access::kFree);
  EXPECT_EQ(p.missing[0].fetch, std::vector<std::string>{"cmterm-7970_7971-sccp.8-5-2.zip"});
  EXPECT_EQ(LoadAccess(*L("CP-7970G", "SIP70.8-4-2S")), Access::kContract);
  // A load partly on hand: only the files still missing are named.
  const Load* sr1 = L("CP-7970G", "SIP70.9-4-2SR1-1S");
  std::unordered_set<std::string> some{"sip70.9-4-2sr1-1s.loads", "apps70.9-4-2es9.sbn"};
  auto fetch = FilesToFetch(*sr1, &some);
  EXPECT_EQ(fetch.size(), sr1->files.size() - 2);
  EXPECT_EQ(std::count(fetch.begin(), fetch.end(), "apps70.9-4-2ES9.sbn"), 0);
}

// Seed 001's workaround (a factory 7945G through 8.4(4)) and ITWURX's SIP 8.5(2) bundle for
// 7941/7961 (79xx-enterprise.md section 3.1): catalogued with their names inferred, so the
// bridge is planned only with --allow-uncertain, and says so.
TEST_F(PolicyTest, Seed001BridgeAndTheSip852BundleAreCataloguedAsInferred) {
  const Load* b = L("CP-7945G", "SCCP45.8-4-4S");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->status, FactStatus::kInferred);
  EXPECT_EQ(b->facts.installs_from.status, FactStatus::kSecondary);
  PlanRequest r{.model = "CP-7945G", .from = "8.3(2)", .to = "SCCP45.9-4-2SR4-3S"};
  r.available = std::unordered_set<const Load*>{b, L("CP-7945G", "SCCP45.9-4-2SR4-3S")};
  EXPECT_EQ(MustPlan(r).status, PlanStatus::kNoPath);
  r.allow_uncertain = true;
  Plan p = MustPlan(r);
  ASSERT_EQ(p.status, PlanStatus::kOk) << p.reason;
  EXPECT_EQ(p.hops[0].load, b);
  EXPECT_EQ(p.hops[0].allowed_by, std::vector<std::string>{"--allow-uncertain"});
  const Load* sip = L("CP-7941G", "SIP41.8-5-2S");
  ASSERT_NE(sip, nullptr);
  EXPECT_EQ(sip->status, FactStatus::kInferred);
  ASSERT_EQ(sip->bundle_names.size(), 1u);
  EXPECT_EQ(sip->bundle_names[0].name, "cmterm-7941_7961-sip.8-5-2.zip");
  EXPECT_EQ(sip->bundle_names[0].status, FactStatus::kSecondary);
}

// spa-ata-mpp.md section 3.5 row 11 (conversion guide, C): enterprise -> MPP as a planned hop,
// through 14.1+ when the phone is below it, with the licence settings and the factory reset.
TEST_F(PolicyTest, EnterpriseToMppMigrationIsAPlannedHop) {
  PlanRequest r{.model = "CP-8841", .from = "12.7(1)"};
  r.to_protocol = Protocol::kMpp;
  Plan p = MustPlan(r);
  ASSERT_EQ(p.status, PlanStatus::kOk) << p.reason;
  ASSERT_EQ(p.hops.size(), 2u);
  EXPECT_EQ(p.hops[0].load->protocol, Protocol::kSip);
  EXPECT_GE(Compare(p.hops[0].load->version, *ParseVersion("14.1(1)")), 0);
  EXPECT_TRUE(p.hops[1].migration);
  EXPECT_EQ(p.hops[1].load->protocol, Protocol::kMpp);
  EXPECT_EQ(p.to_model->name, "CP-8841-3PCC");
  EXPECT_EQ(p.to_status, FactStatus::kConfirmed);
  ASSERT_EQ(p.settings.size(), 2u);
  EXPECT_EQ(p.settings[1], "Trans_Auth_Type=Classic");
  EXPECT_TRUE(HasWarning(p, "factory-resets"));
  // From 14.1 on: one step.
  r.from = "14.4(1)";
  EXPECT_EQ(MustPlan(r).hops.size(), 1u);
  // Below 11.3(5) the migration needs the E2M COP, whose names no source gives.
  r.to = "11.3(3)";
  Plan old = MustPlan(r);
  EXPECT_EQ(old.status, PlanStatus::kNoPath);
  EXPECT_NE(old.reason.find("E2M COP"), std::string::npos) << old.reason;
  // And back: an MPP phone below the 11.3(3) transition firmware reaches it first.
  PlanRequest back{.model = "CP-8841-3PCC", .from = "sip88xx.11-2-3MPP-398", .to = "14.4(1)"};
  back.to_protocol = Protocol::kSip;
  Plan b = MustPlan(back);
  ASSERT_EQ(b.status, PlanStatus::kOk) << b.reason;
  ASSERT_EQ(b.hops.size(), 2u);
  EXPECT_EQ(b.hops[0].load->protocol, Protocol::kMpp);
  EXPECT_GE(Compare(b.hops[0].load->version, *ParseVersion("11.3(3)")), 0);
  EXPECT_TRUE(b.hops[1].migration);
  EXPECT_EQ(b.to_model->name, "CP-8841");
  EXPECT_EQ(b.settings, std::vector<std::string>{"Trans_Auth_Type=Classic"});
  // The server's policy does not migrate (it does not render the licence settings yet).
  r.to = "latest";
  r.allow_migration = false;
  EXPECT_FALSE(MakePlan(*cat_, r).ok());
}

// `catalog check` fails on each planted status inflation (and passes the shipped catalog).
TEST(CatalogCheck, FailsOnEachPlantedInflation) {
  struct Case {
    std::string name, toml, expect;
  };
  const std::vector<Case> cases = {
      {"load confirmed on a third-party file only",
       "[[load]]\nfamily = \"spa50x-30x\"\nload = \"7.9.1\"\nversion = \"7.9.1\"\n"
       "files = [\"spa50x-30x-7-9-1.bin\"]\nstatus = \"confirmed\"\nsource = \"GH#1\"\n",
       "load spa50x-30x/7.9.1: status 'confirmed' is stronger than its sources"},
      {"rule secondary on third-party files only",
       "[[rule]]\nfamilies = [\"spa51x\"]\nfrom = \"7.9.0\"\nmin_from = \"7.5.2b\"\n"
       "status = \"secondary\"\nsource = \"GH#1; GH#2\"\n",
       "rule: status 'secondary' is stronger than its sources"},
      {"file name with no source, not marked inferred",
       "[[load]]\nfamily = \"spa50x-30x\"\nload = \"7.9.2\"\nversion = \"7.9.2\"\n"
       "files = [{ name = \"spa50x-30x-7-9-2.bin\", source = \"\" }]\nstatus = \"confirmed\"\n"
       "source = \"WZ\"\n",
       "name spa50x-30x-7-9-2.bin has no source and is not marked inferred"},
      {"file name confirmed on a third-party file",
       "[[load]]\nfamily = \"spa50x-30x\"\nload = \"7.9.3\"\nversion = \"7.9.3\"\n"
       "files = [{ name = \"spa50x-30x-7-9-3.bin\", status = \"confirmed\", source = \"GH#9\" }]\n"
       "status = \"uncertain\"\nsource = \"GH#9\"\n",
       "name spa50x-30x-7-9-3.bin: status 'confirmed' is stronger"},
      {"profile limit confirmed on a seed",
       "[[model]]\nname = \"PAP2T-X\"\nfamily = \"pap2t\"\nvendor = \"linksys\"\n"
       "max_profile_bytes = { value = 65536, status = \"confirmed\", source = \"seed 003\" }\n"
       "status = \"confirmed\"\nsource = \"WZ\"\n",
       "model PAP2T-X: max_profile_bytes: status 'confirmed' is stronger"},
      {"per-load fact confirmed on a seed",
       "[[load]]\nfamily = \"spa50x-30x\"\nload = \"7.9.4\"\nversion = \"7.9.4\"\n"
       "files = [\"spa50x-30x-7-9-4.bin\"]\nstatus = \"uncertain\"\nsource = \"GH#4\"\n"
       "installs_from = { value = [\"7.5.2b\"], status = \"confirmed\", source = \"seed 003\" }\n",
       "installs_from: status 'confirmed' is stronger"},
      {"inferred name raised to secondary",
       "[[load]]\nfamily = \"spa50x-30x\"\nload = \"7.9.5\"\nversion = \"7.9.5\"\n"
       "files = [\"spa50x-30x-7-9-5.bin\"]\nstatus = \"secondary\"\n"
       "source = \"name inferred from the family pattern\"\n",
       "load spa50x-30x/7.9.5: status 'secondary' is stronger"},
      {"hardware floor confirmed on a secondary summary",
       "[[hardware]]\nmodels = [\"CP-8811\"]\nrevision = \"V99\"\nmin_version = \"14.0(1)\"\n"
       "status = \"confirmed\"\nsource = \"manuals.plus\"\n",
       "hardware V99 of CP-8811: status 'confirmed' is stronger"},
  };
  ASSERT_TRUE(LoadCatalog(BundledCatalog()).ok());
  for (const auto& c : cases) {
    std::vector<EmbeddedFile> files = BundledCatalog();
    files.push_back({"planted.toml", c.toml});
    auto r = LoadCatalog(files);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_NE(r.error().message.find(c.expect), std::string::npos)
        << c.name << ": " << r.error().message;
  }
  // The same facts at the status their sources support pass.
  std::vector<EmbeddedFile> files = BundledCatalog();
  files.push_back({"honest.toml",
                   "[[load]]\nfamily = \"spa50x-30x\"\nload = \"7.9.1\"\nversion = \"7.9.1\"\n"
                   "files = [{ name = \"spa50x-30x-7-9-1.bin\", status = \"inferred\" }]\n"
                   "status = \"uncertain\"\nsource = \"GH#1\"\n"});
  auto ok = LoadCatalog(files);
  EXPECT_TRUE(ok.ok()) << ok.error().message;
}

}  // namespace
}  // namespace stepup
