// Issue 14 (second part) against the bundled catalog: the 7940/7960, 7931G and ATA190
// families, the 7970 SCCP 8.5(3) path and the doubt fact, file sizes and hashes in the
// catalog format, and catalog check on planted inflations of each new fact kind. Every row
// names the sheet row (docs/firmware/) it comes from.
#include <gtest/gtest.h>

#include <tuple>

#include "core/catalog_loader.h"
#include "core/bundled_catalog_fixture.h"
#include "core/planner.h"

namespace stepup {
namespace {

class FamiliesTest : public testing::BundledCatalogTest {
 protected:
  static std::vector<std::string> Loads(const Plan& p) {
    std::vector<std::string> out;
    for (const auto& h : p.hops) out.push_back(h.load->load);
    return out;
  }
  static std::unordered_set<const Load*> Have(const std::string& family,
                                              const std::vector<std::string>& names) {
    std::unordered_set<const Load*> out;
    for (const auto& n : names) {
      const Load* l = cat_->FindLoad(family, n);
      EXPECT_NE(l, nullptr) << n;
      if (l) out.insert(l);
    }
    return out;
  }
};

// What the sheets give for each new family, one row per load with its status.
TEST_F(FamiliesTest, NewFamiliesCarryTheSheetsNamesAndStatuses) {
  struct Row {
    std::string model, load, version;
    Protocol protocol;
    FactStatus status;
    std::string sheet_row;
  };
  const std::vector<Row> rows = {
      {"CP-7940G", "P00308000500", "8.0(5)", Protocol::kSccp, FactStatus::kConfirmed,
       "79xx 5: earlier SCCP loads P00308000500 8.0(5) (C, CRDME)"},
      {"CP-7960G", "P00308001000", "8.0(10)", Protocol::kSccp, FactStatus::kConfirmed,
       "79xx 5: P00308001000 8.0(10) (C, CRDME)"},
      {"CP-7940G", "P00308010100", "8.1(1)", Protocol::kSccp, FactStatus::kInferred,
       "79xx 4: 8.1(1) named by CCOMM2; the P003 name is only the pattern (I)"},
      {"CP-7940G", "P00308010200", "8.1(2)", Protocol::kSccp, FactStatus::kSecondary,
       "79xx 5: P00308010200 = 8.1(2) (C2, POIP spec)"},
      {"CP-7960G", "P0030801SR02", "8.1(2)SR2", Protocol::kSccp, FactStatus::kConfirmed,
       "79xx 5: last SCCP 8.1(2)SR2 P0030801SR02 (C)"},
      {"CP-7940G", "P0S3-08-4-00", "8.4(0)", Protocol::kSip, FactStatus::kConfirmed,
       "79xx 5: earlier SIP names P0S3-08-4-00 (C, CRDME)"},
      {"CP-7960G", "P0S3-8-12-00", "8.12(0)", Protocol::kSip, FactStatus::kConfirmed,
       "79xx 5: last SIP 8.12 P0S3-8-12-00 (C)"},
      {"CP-7931G", "SCCP31.8-5-2S", "8.5(2)", Protocol::kSccp, FactStatus::kInferred,
       "79xx 1/3.1: code 31; only the bundle cmterm-7931-scpp.8-5-2.zip is seen"},
      {"CP-7931G", "SCCP31.9-4-2SR2-2S", "9.4(2)SR2", Protocol::kSccp, FactStatus::kInferred,
       "79xx 2: CUCM125 lists 7931 at SR2-2; the load name is the pattern"},
      {"ATA190", "1.2.2", "1.2.2", Protocol::kSip, FactStatus::kConfirmed,
       "spa-ata-mpp 2: ATA190 (enterprise) 1.2.2, cmterm-ata190.1-2-2-003.zip (C, WZ)"},
  };
  for (const auto& r : rows) {
    const Model* m = cat_->FindModel(r.model);
    ASSERT_NE(m, nullptr) << r.sheet_row;
    const Load* l = cat_->FindLoad(m->family, r.load);
    ASSERT_NE(l, nullptr) << r.sheet_row;
    EXPECT_EQ(l->version_label, r.version) << r.sheet_row;
    EXPECT_EQ(l->protocol, r.protocol) << r.sheet_row;
    EXPECT_EQ(l->status, r.status) << r.sheet_row;
  }
  // 79xx 5: the 8.12 SIP files and sizes STAS lists; the .loads names P003-8-12-00.sbn.
  const Load* sip = cat_->FindLoad("79-40", "P0S3-8-12-00");
  ASSERT_EQ(sip->file_names.size(), 3u);
  EXPECT_EQ(sip->file_names[1].name, "P003-8-12-00.sbn");
  EXPECT_EQ(sip->file_names[1].size, 130956);
  EXPECT_EQ(sip->file_names[2].size, 756524);
  // spa-ata-mpp 2: the ATA190 line's protocol is not in the sheet: the family is inferred.
  EXPECT_EQ(cat_->FindFamily("ata190")->status, FactStatus::kInferred);
}

// 79xx 4/5: "8.1(2) needs 8.1(1) first" (CCOMM2), SIP 6.x -> 7.x (CMEGUIDE), and a protocol
// switch by the universal loader as one hop.
TEST_F(FamiliesTest, SeventyNineFortyChainsFollowTheSheet) {
  struct Row {
    std::string from, to;
    bool allow_uncertain;
    PlanStatus status;
    std::vector<std::string> chain;
    std::string sheet_row;
  };
  const std::vector<Row> rows = {
      {"P00308001000",
       "P00308010200",
       true,
       PlanStatus::kOk,
       {"P00308010100", "P00308010200"},
       "79xx 4: 8.1(2) 'need to be in 8.1.1 first' (C2, CCOMM2)"},
      {"P00308001000",
       "P00308010200",
       false,
       PlanStatus::kNoPath,
       {},
       "the 8.1(1) name is inferred: refused unless --allow-uncertain"},
      {"P00308010100",
       "P0030801SR02",
       false,
       PlanStatus::kOk,
       {"P0030801SR02"},
       "79xx 5: 8.1(2)SR2 is an 8.1(2) build; 8.1(1) may take it"},
      {"P0S3-06-0-00",
       "P0S3-07-4-00",
       false,
       PlanStatus::kOk,
       {"P0S3-07-4-00"},
       "79xx 4: SIP sequence 6.x -> 7.x (C, CMEGUIDE)"},
      {"P0S3-08-4-00",
       "P0S3-8-12-00",
       false,
       PlanStatus::kOk,
       {"P0S3-8-12-00"},
       "79xx 5: no rule for SIP 8.x is given"},
      {"P0030801SR02",
       "P0S3-8-12-00",
       false,
       PlanStatus::kOk,
       {"P0S3-8-12-00"},
       "79xx 5: the universal loader switches SCCP -> SIP in one hop (CCOMM3)"},
  };
  for (const auto& r : rows) {
    PlanRequest req{.model = "CP-7960G", .from = r.from, .to = r.to};
    req.allow_uncertain = r.allow_uncertain;
    Plan p = MustPlan(req);
    EXPECT_EQ(p.status, r.status) << r.sheet_row << ": " << p.reason;
    EXPECT_EQ(Loads(p), r.chain) << r.sheet_row;
  }
  // 79xx 4: 6.x installs from 5.3, not from below it (uncatalogued starts); 8.x from below
  // 7.x would skip a step of the sequence: inferred doubt, refused by default.
  for (const auto& [from, to, status] :
       std::vector<std::tuple<std::string, std::string, PlanStatus>>{
           {"5.3", "P0S3-06-0-00", PlanStatus::kOk},
           {"5.0", "P0S3-06-0-00", PlanStatus::kNoPath},
           {"6.0", "P0S3-8-12-00", PlanStatus::kOk}}) {
    PlanRequest old{.model = "CP-7940G", .from = from, .to = to};
    old.protocol = Protocol::kSip;
    Plan p = MustPlan(old);
    EXPECT_EQ(p.status, status) << from << " -> " << to << ": " << p.reason;
    if (from == "6.0") {
      EXPECT_EQ(Loads(p), (std::vector<std::string>{"P0S3-07-4-00", "P0S3-8-12-00"}));
    }
  }
}

// 79xx 4/seed 000: SIP 9.x straight from a dual-key load is U; SCCP 8.5(3) first is the path.
TEST_F(FamiliesTest, SeventyNineSeventyDirectSipHopIsDoubtedAndTheSeedPathPreferred) {
  const auto seed = Have("79-70", {"SCCP70.8-5-2S", "SCCP70.8-5-3S", "SIP70.9-4-2SR1-1S"});
  PlanRequest r{.model = "CP-7970G", .from = "SIP70.8-2-1S", .to = "SIP70.9-4-2SR1-1S"};
  r.available = seed;
  // The repository holds SCCP70.8-5-3S.loads: the inferred name is what the operator has.
  r.on_hand = std::unordered_set<std::string>{"sccp70.8-5-2s.loads", "sccp70.8-5-3s.loads",
                                              "sip70.9-4-2sr1-1s.loads"};
  Plan strict = MustPlan(r);
  ASSERT_EQ(strict.status, PlanStatus::kOk) << strict.reason;
  EXPECT_EQ(Loads(strict),
            (std::vector<std::string>{"SCCP70.8-5-2S", "SCCP70.8-5-3S", "SIP70.9-4-2SR1-1S"}));
  EXPECT_NE(strict.hops[1].why.find("needed as a bridge"), std::string::npos) << strict.hops[1].why;
  // Named by --have only, the 8.5(3) name is inferred and the direct hop doubted: refused...
  r.on_hand.reset();
  Plan refused = MustPlan(r);
  EXPECT_EQ(refused.status, PlanStatus::kNoPath);
  EXPECT_NE(refused.reason.find("--allow-uncertain"), std::string::npos) << refused.reason;
  // ...and with --allow-uncertain the direct hop is offered, marked with the doubt.
  r.allow_uncertain = true;
  Plan lax = MustPlan(r);
  ASSERT_EQ(lax.status, PlanStatus::kOk) << lax.reason;
  ASSERT_EQ(Loads(lax), (std::vector<std::string>{"SCCP70.8-5-2S", "SIP70.9-4-2SR1-1S"}));
  EXPECT_TRUE(lax.hops[1].uncertain);
  EXPECT_EQ(lax.hops[1].status, FactStatus::kUncertain);
  EXPECT_NE(lax.hops[1].uncertain_facts.back().find("straight from SCCP70.8-5-2S"),
            std::string::npos);
  // With the sure chain on hand, --allow-uncertain still takes it (it rests on no doubt).
  r.on_hand = std::unordered_set<std::string>{"sccp70.8-5-3s.loads"};
  EXPECT_EQ(MustPlan(r).hops.size(), 3u);
  // 79xx 4: WAZO says 8.5(2) -> SCCP 9.x works: the SCCP hop is not doubted.
  PlanRequest sccp{.model = "CP-7970G", .from = "SCCP70.8-5-2S", .to = "SCCP70.9-4-2SR3-1S"};
  Plan s = MustPlan(sccp);
  ASSERT_EQ(s.status, PlanStatus::kOk) << s.reason;
  EXPECT_EQ(Loads(s), std::vector<std::string>{"SCCP70.9-4-2SR3-1S"});
}

// 79xx 2: every 7931 name is inferred, so `latest` (newest confirmed) has nothing to offer
// and says so; by name, with --allow-uncertain, the chain is planned and marked.
TEST_F(FamiliesTest, SeventyNineThirtyOneIsPlannedOnlyKnowingItsStatus) {
  auto latest = MakePlan(*cat_, {.model = "CP-7931G", .from = "SCCP31.8-5-2S", .to = "latest"});
  ASSERT_FALSE(latest.ok());
  EXPECT_NE(latest.error().message.find("catalogued as confirmed"), std::string::npos);
  PlanRequest r{.model = "7931G", .from = "8.3(2)", .to = "SCCP31.9-4-2SR2-2S"};
  r.allow_uncertain = true;
  Plan p = MustPlan(r);
  ASSERT_EQ(p.status, PlanStatus::kOk) << p.reason;
  EXPECT_EQ(Loads(p), (std::vector<std::string>{"SCCP31.8-5-2S", "SCCP31.9-4-2SR2-2S"}));
  EXPECT_TRUE(p.hops[0].uncertain);
}

// catalog/README.md: size a positive integer, sha1 40 and sha256 64 hex digits; the error
// names the entry.
TEST(CatalogFileFacts, BadSizesAndHashesAreRejectedNamingTheEntry) {
  struct Row {
    std::string entry, expect;
  };
  const std::vector<Row> rows = {
      {"{ name = \"a.bin\", size = 0, source = \"WZ\" }", "entry a.bin: 'size' must be a positive"},
      {"{ name = \"a.bin\", size = \"12\", source = \"WZ\" }", "entry a.bin: 'size' must be"},
      {"{ name = \"a.bin\", sha256 = \"abc\", source = \"WZ\" }",
       "entry a.bin: 'sha256' must be 64 hex digits"},
      {"{ name = \"a.bin\", sha1 = \"zz\", source = \"WZ\" }", "'sha1' must be 40 hex digits"},
  };
  for (const auto& r : rows) {
    std::vector<EmbeddedFile> files = BundledCatalog();
    files.push_back({"planted.toml",
                     "[[load]]\nfamily = \"spa50x-30x\"\nload = \"7.9.1\"\n"
                     "version = \"7.9.1\"\nfiles = [" +
                         r.entry + "]\nstatus = \"confirmed\"\nsource = \"WZ\"\n"});
    auto c = LoadCatalog(files);
    ASSERT_FALSE(c.ok()) << r.entry;
    EXPECT_NE(c.error().message.find(r.expect), std::string::npos) << c.error().message;
  }
  std::vector<EmbeddedFile> files = BundledCatalog();
  files.push_back({"ok.toml",
                   "[[load]]\nfamily = \"spa50x-30x\"\nload = \"7.9.1\"\n"
                   "version = \"7.9.1\"\nfiles = [{ name = \"a.bin\", size = 3, "
                   "sha256 = \"" +
                       std::string(64, 'A') +
                       "\", source = \"WZ\" }]\nstatus = \"confirmed\"\n"
                       "source = \"WZ\"\n"});
  auto c = LoadCatalog(files);
  ASSERT_TRUE(c.ok()) << c.error().message;
  auto checks = FileChecks(*c);
  ASSERT_TRUE(checks.count("a.bin"));
  EXPECT_EQ(checks["a.bin"].size, 3);
  EXPECT_EQ(checks["a.bin"].sha256, std::string(64, 'a'));
}

// `catalog check` fails on a planted inflation of each new fact kind: the doubt fact, a
// sized file name, and the new families' rules, family and per-load facts.
TEST(CatalogFileFacts, CatalogCheckFailsOnPlantedInflationsOfTheNewFacts) {
  struct Row {
    std::string name, file, from, to, expect;
  };
  const std::vector<Row> rows = {
      {"doubt_from confirmed on a third-party file", "planted.toml", "",
       "[[rule]]\nfamilies = [\"79-41\"]\nprotocols = [\"sip\"]\nfrom = \"9.0(1)\"\n"
       "doubt_from = [\"8.3(3)\", \"8.5(3)\"]\nstatus = \"confirmed\"\nsource = \"GH#7\"\n",
       "rule: status 'confirmed' is stronger"},
      {"sized file confirmed on a third-party file", "planted.toml", "",
       "[[load]]\nfamily = \"spa50x-30x\"\nload = \"7.9.6\"\nversion = \"7.9.6\"\nfiles = [{ "
       "name = \"x.bin\", size = 5, status = \"confirmed\", source = \"GH#8\" }]\n"
       "status = \"uncertain\"\nsource = \"GH#8\"\n",
       "name x.bin: status 'confirmed' is stronger"},
      {"7940 8.1(1) rule raised to confirmed", "7940-7960.toml",
       "status = \"secondary\"\nsource = \"CCOMM2", "status = \"confirmed\"\nsource = \"CCOMM2",
       "rule: status 'confirmed' is stronger"},
      {"7940 inferred 8.1(1) name raised", "7940-7960.toml",
       "status = \"inferred\"\nsource = \"pattern: P003",
       "status = \"confirmed\"\nsource = \"pattern: P003", "P00308010100: status 'confirmed'"},
      {"7931 key rule raised", "79xx.toml", "status = \"inferred\"\nsource = \"inferred: 79xx",
       "status = \"secondary\"\nsource = \"inferred: 79xx", "rule: status 'secondary'"},
      {"ATA190 family raised", "spa-ata.toml",
       "status = \"inferred\"\nnote = \"spa-ata-mpp.md section 2 calls",
       "status = \"confirmed\"\nnote = \"spa-ata-mpp.md section 2 calls",
       "family ata190: status 'confirmed'"},
      {"ATA190 per-load key raised", "spa-ata.toml",
       "accepts = { value = [\"ata190\"], status = \"inferred\"",
       "accepts = { value = [\"ata190\"], status = \"confirmed\"", "accepts: status 'confirmed'"},
  };
  for (const auto& r : rows) {
    std::vector<EmbeddedFile> files = BundledCatalog();
    if (r.from.empty()) {
      files.push_back({r.file, r.to});
    } else {
      bool found = false;
      for (auto& f : files) {
        if (f.name.find(r.file) == std::string::npos) continue;
        size_t at = f.text.find(r.from);
        ASSERT_NE(at, std::string::npos) << r.name;
        f.text.replace(at, r.from.size(), r.to);
        found = true;
      }
      ASSERT_TRUE(found) << r.name;
    }
    auto c = LoadCatalog(files);
    ASSERT_FALSE(c.ok()) << r.name;
    EXPECT_NE(c.error().message.find(r.expect), std::string::npos)
        << r.name << ": " << c.error().message;
  }
}

}  // namespace
}  // namespace stepup
