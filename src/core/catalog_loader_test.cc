#include "core/catalog_loader.h"

#include <gtest/gtest.h>

#include <set>

namespace stepup {
namespace {

const char* kMini = R"toml(
[[key]]
id = "old"
source = "test"
status = "confirmed"
[[key]]
id = "new"
source = "test"
status = "confirmed"

[[family]]
id = "79-70"
line = "79xx"
load_code = "70"
protocols = ["sccp", "sip"]
default_protocol = "sccp"
source = "test"
status = "confirmed"

[[model]]
name = "CP-7970G"
family = "79-70"
vendor = "cisco"
aliases = ["7970G", "CP-7970"]
source = "test"
status = "confirmed"

[[rule]]
families = ["79-70"]
below = "8.3(3)"
accepts = ["old"]
signed_with = "old"
status = "secondary"
source = "test"

[[rule]]
families = ["79-70"]
from = "8.3(3)"
accepts = ["old", "new"]
signed_with = "new"
status = "secondary"
source = "test"

[[load]]
family = "79-70"
load = "SCCP70.8-5-2S"
version = "8.5(2)"
files = ["SCCP70.8-5-2S.loads"]
status = "confirmed"
source = "test"
)toml";

Result<Catalog> LoadMini(const std::string& extra) {
  return LoadCatalog({{"mini.toml", std::string(kMini) + extra}});
}

std::string Problems(const std::string& extra) {
  auto c = LoadMini(extra);
  return c.ok() ? std::string() : c.error().message;
}

TEST(CatalogLoader, LoadsAValidCatalogAndResolvesRules) {
  auto c = LoadMini("");
  ASSERT_TRUE(c.ok()) << c.error().message;
  const Load* l = c->FindLoad("79-70", "sccp70.8-5-2s");
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->protocol, Protocol::kSccp);  // implied by the load name
  EXPECT_EQ(l->facts.signed_with.value, "new");
  EXPECT_EQ(l->facts.accepts.value, (std::vector<std::string>{"old", "new"}));
  EXPECT_EQ(l->facts.accepts.status, FactStatus::kSecondary);
  EXPECT_EQ(c->FindModel("cp-7970")->name, "CP-7970G");
  EXPECT_EQ(c->FindModel("7971G"), nullptr);
}

TEST(CatalogLoader, PerLoadFactsOverrideRulesWithTheirOwnStatus) {
  auto c = LoadMini(R"toml(
[[load]]
family = "79-70"
load = "SCCP70.8-5-3S"
version = "8.5(3)"
files = ["SCCP70.8-5-3S.loads"]
status = "inferred"
source = "test"
accepts = { value = ["new"], status = "uncertain", source = "override" }
)toml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  const Load* l = c->FindLoad("79-70", "SCCP70.8-5-3S");
  EXPECT_EQ(l->facts.accepts.value, std::vector<std::string>{"new"});
  EXPECT_EQ(l->facts.accepts.status, FactStatus::kUncertain);
  EXPECT_EQ(l->facts.accepts.source, "override");
  EXPECT_EQ(l->facts.signed_with.value, "new");  // still from the rule
}

TEST(CatalogLoader, ReportsEveryProblemNamingFileLineAndValue) {
  std::string p = Problems(R"toml(
[[load]]
family = "79-70"
load = "SCCP70.8-5-3S"
version = "8.5(4)"
files = ["x.loads"]
status = "confirmed"
source = "test"
sigend_with = "old"

[[load]]
family = "79-99"
load = "SCCP70.9-x"
version = "9.4(2"
files = ["y.loads"]
status = "maybe"
source = "test"
accepts = ["ghost"]
)toml");
  EXPECT_NE(p.find("unknown key 'sigend_with'"), std::string::npos) << p;
  EXPECT_NE(p.find("does not match version '8.5(4)'"), std::string::npos) << p;
  EXPECT_NE(p.find("unknown family '79-99'"), std::string::npos) << p;
  EXPECT_NE(p.find("SCCP70.9-x"), std::string::npos) << p;
  EXPECT_NE(p.find("9.4(2"), std::string::npos) << p;
  EXPECT_NE(p.find("unknown status 'maybe'"), std::string::npos) << p;
  EXPECT_NE(p.find("mini.toml:"), std::string::npos) << p;
}

TEST(CatalogLoader, RejectsDanglingReferencesAndOverlappingRules) {
  std::string p = Problems(R"toml(
[[rule]]
families = ["79-70"]
from = "8.5(0)"
accepts = ["new"]
roots = ["nowhere"]
status = "confirmed"
source = "test"

[[hardware]]
models = ["CP-7970"]
revision = "V2"
min_version = "8.5(2)"
status = "confirmed"
source = "test"
)toml");
  EXPECT_NE(p.find("set 'accepts'"), std::string::npos) << p;
  EXPECT_NE(p.find("unknown root 'nowhere'"), std::string::npos) << p;
  EXPECT_NE(p.find("unknown model 'CP-7970' (use the canonical name)"), std::string::npos) << p;
}

TEST(CatalogLoader, RejectsTheSeedsMistypedFingerprints) {
  // Seed 004 prints a 65-digit SHA-256 for AddTrust External CA Root.
  std::string p = Problems(R"toml(
[[root]]
id = "addtrust-external"
subject = "CN=AddTrust External CA Root"
sha1 = "02FAF3E291435468607857694DF5E45B68851868"
sha256 = "687FA451382278FFFD0C8B11F8D43D576671C6EB2BCEAB413FB83D965D06D2FE2"
not_after = "2020-05-30T10:48:38Z"
status = "secondary"
source = "seed 004"
)toml");
  EXPECT_NE(p.find("is not 64 hex digits"), std::string::npos) << p;
}

TEST(CatalogLoader, RejectsDuplicateAliasesAndSyntaxErrors) {
  EXPECT_NE(Problems(R"toml(
[[model]]
name = "CP-7971G-GE"
family = "79-70"
vendor = "cisco"
aliases = ["7970g"]
source = "test"
status = "confirmed"
)toml")
                .find("'7970g' is already used by model CP-7970G"),
            std::string::npos);
  EXPECT_NE(Problems("[[load]\n").find("TOML syntax error"), std::string::npos);
}

TEST(CatalogLoader, BundledCatalogIsValidAndSourced) {
  auto c = LoadCatalog(BundledCatalog());
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_GT(c->loads.size(), 250u);
  std::set<std::string> families;
  for (const auto& l : c->loads) {
    EXPECT_FALSE(l.source.empty()) << l.load;
    EXPECT_FALSE(l.facts.signed_with.source.empty()) << l.load;
    families.insert(l.family);
  }
  for (const char* f :
       {"79-11", "79-41", "79-42", "79-45", "79-70", "79-75", "spa50x-30x", "pap2t", "spa2102",
        "spa112-122", "ata19x", "mpp-88xx", "mpp-78xx", "ent-78xx", "ent-88xx", "ent-8845_65"}) {
    EXPECT_TRUE(families.count(f)) << f;
  }
  for (const char* m : {"CP-7911G", "CP-7941G", "CP-7961G", "CP-7942G", "CP-7962G", "CP-7945G",
                        "CP-7965G", "CP-7970G", "CP-7971G-GE", "SPA504G", "CP-8841", "CP-8841-3PCC",
                        "ATA191-MPP", "PAP2T", "SPA122"}) {
    EXPECT_NE(c->FindModel(m), nullptr) << m;
  }
  EXPECT_EQ(c->FindModel("SPA-504G")->name, "SPA504G");
  EXPECT_EQ(c->FindModel("7970G")->name, "CP-7970G");
}

TEST(CatalogLoader, BundledTrustRootsMatchTheFirmwareNotesNotTheSeedTypos) {
  auto c = LoadCatalog(BundledCatalog());
  ASSERT_TRUE(c.ok());
  const TrustRoot* ext = c->FindRoot("addtrust-external");
  ASSERT_NE(ext, nullptr);
  EXPECT_EQ(ext->sha256,
            "68:7F:A4:51:38:22:78:FF:F0:C8:B1:1F:8D:43:D5:76:67:1C:6E:B2:BC:EA:B4:13:FB:83:D9:65:"
            "D0:6D:2F:F2");
  EXPECT_EQ(ext->not_after, "2020-05-30T10:48:38Z");
  const TrustRoot* c1 = c->FindRoot("addtrust-class1");
  ASSERT_NE(c1, nullptr);
  std::string sha1 = c1->sha1;
  std::erase(sha1, ':');
  for (auto& ch : sha1) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  EXPECT_EQ(sha1, "ccab0ea04c2301d6697bdd379fcd12eb24e3949d");
}

}  // namespace
}  // namespace stepup
