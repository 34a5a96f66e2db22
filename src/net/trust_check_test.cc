// Every certificate is made here, at test time, with fixed dates: the AddTrust cross-sign of
// May 2020 in miniature, an expired leaf, a foreign CA, and bad input through the real binary.
#include "net/trust_check.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "tests/test_certs.h"

namespace stepup {
namespace {

using testing::Cert;
using testing::Day;
using testing::Issue;
using testing::Key;
using testing::NewKey;
using testing::Pem;

// The AddTrust story with D = 2020-05-30: R1 (old root, expires D) cross-signs R2's key as X
// (expires D); R2 (new self-signed root) issues I; I issues the server's leaf L. The server
// sends L, I, X; the phone's store holds R1 and R2.
class TrustCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Key r1k = NewKey(), r2k = NewKey(), ik = NewKey(), lk = NewKey(), ok = NewKey();
    r1 = Issue("Test AddTrust Root", r1k, nullptr, r1k, Day(2000, 5, 30), kD, true);
    r2 = Issue("Test USERTrust Root", r2k, nullptr, r2k, Day(2010, 2, 1), Day(2038, 1, 1), true);
    cross = Issue("Test USERTrust Root", r2k, r1.get(), r1k, Day(2010, 2, 1), kD, true);
    inter = Issue("Test Intermediate", ik, r2.get(), r2k, Day(2018, 1, 1), Day(2030, 1, 1), true);
    leaf =
        Issue("phones.example.net", lk, inter.get(), ik, Day(2019, 1, 1), Day(2022, 1, 1), false);
    other_root = Issue("Test Other Root", ok, nullptr, ok, Day(2010, 1, 1), Day(2038, 1, 1), true);
    other_leaf = Issue("elsewhere.example.org", lk, other_root.get(), ok, Day(2019, 1, 1),
                       Day(2022, 1, 1), false);
  }

  TrustVerdict Check(const std::string& store, const std::string& chain, std::time_t at,
                     ChainBuilding b) {
    auto v = CheckTrust({{"store.pem", store}}, {"chain.pem", chain}, at, b);
    EXPECT_TRUE(v.ok()) << (v.ok() ? "" : v.error().message);
    return v.ok() ? *v : TrustVerdict{};
  }
  std::string Store() { return Pem({r1.get(), r2.get()}); }
  std::string Sent() { return Pem({leaf.get(), inter.get(), cross.get()}); }

  const std::time_t kD = Day(2020, 5, 30);
  const std::time_t kBefore = Day(2020, 5, 29), kAfter = Day(2020, 5, 31);
  Cert r1, r2, cross, inter, leaf, other_root, other_leaf;
};

TEST_F(TrustCheckTest, AcceptedBeforeTheOldRootExpiresInBothModes) {
  for (ChainBuilding b : {ChainBuilding::kModern, ChainBuilding::kLegacy}) {
    TrustVerdict v = Check(Store(), Sent(), kBefore, b);
    EXPECT_TRUE(v.accepted) << v.reason;
    ASSERT_GE(v.chain.size(), 3u);
    EXPECT_EQ(v.chain[0].cn, "phones.example.net");
    EXPECT_EQ(v.chain[1].cn, "Test Intermediate");
    EXPECT_TRUE(v.chain.back().in_store);
  }
  // Legacy walks the sent cross certificate up to the old root; modern stops at the new one.
  EXPECT_EQ(Check(Store(), Sent(), kBefore, ChainBuilding::kLegacy).chain.back().cn,
            "Test AddTrust Root");
  EXPECT_EQ(Check(Store(), Sent(), kBefore, ChainBuilding::kModern).chain.back().cn,
            "Test USERTrust Root");
}

TEST_F(TrustCheckTest, AddTrustCrossSignFailsLegacyAfterExpiry) {
  TrustVerdict legacy = Check(Store(), Sent(), kAfter, ChainBuilding::kLegacy);
  EXPECT_FALSE(legacy.accepted);
  ASSERT_TRUE(legacy.has_failing);
  EXPECT_EQ(legacy.failing.not_after, "2020-05-30");
  EXPECT_EQ(legacy.reason, "certificate has expired: CN=Test AddTrust Root, notAfter 2020-05-30");
  ASSERT_EQ(legacy.chain.size(), 4u);
  EXPECT_EQ(legacy.chain[2].issuer, "CN=Test AddTrust Root");  // the sent cross certificate

  TrustVerdict modern = Check(Store(), Sent(), kAfter, ChainBuilding::kModern);
  EXPECT_TRUE(modern.accepted) << modern.reason;
  ASSERT_EQ(modern.chain.size(), 3u);
  EXPECT_EQ(modern.chain[2].subject, "CN=Test USERTrust Root");
  EXPECT_EQ(modern.chain[2].issuer, "CN=Test USERTrust Root");
  EXPECT_EQ(modern.chain[2].not_after, "2038-01-01");
  EXPECT_TRUE(modern.chain[2].in_store);
}

TEST_F(TrustCheckTest, OnlyTheExpiredRootRejectsInBothModes) {
  for (ChainBuilding b : {ChainBuilding::kModern, ChainBuilding::kLegacy}) {
    TrustVerdict v = Check(Pem({r1.get()}), Sent(), kAfter, b);
    EXPECT_FALSE(v.accepted);
    EXPECT_NE(v.reason.find("certificate has expired"), std::string::npos) << v.reason;
    EXPECT_NE(v.reason.find("notAfter 2020-05-30"), std::string::npos) << v.reason;
  }
}

TEST_F(TrustCheckTest, ExpiredLeafRejectedNamingTheLeaf) {
  TrustVerdict v = Check(Store(), Sent(), Day(2022, 6, 1), ChainBuilding::kModern);
  EXPECT_FALSE(v.accepted);
  ASSERT_TRUE(v.has_failing);
  EXPECT_EQ(v.failing.cn, "phones.example.net");
  EXPECT_EQ(v.reason,
            "certificate has expired: CN=phones.example.net (issued by CN=Test Intermediate), "
            "notAfter 2022-01-01");
}

TEST_F(TrustCheckTest, ForeignCaRejectedNamingTheCertificate) {
  TrustVerdict v = Check(Store(), Pem({other_leaf.get()}), kBefore, ChainBuilding::kModern);
  EXPECT_FALSE(v.accepted);
  EXPECT_EQ(v.failing.cn, "elsewhere.example.org");
  EXPECT_EQ(v.reason.rfind("unable to get local issuer certificate: CN=elsewhere.example.org", 0),
            0u)
      << v.reason;
}

TEST_F(TrustCheckTest, BadPemIsBadInputNamingTheText) {
  auto empty =
      CheckTrust({{"store.pem", Store()}}, {"empty.pem", ""}, kBefore, ChainBuilding::kModern);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().kind, ErrorKind::kBadInput);
  EXPECT_EQ(empty.error().message, "empty.pem: no PEM certificate in it");
  std::string broken = Sent();
  broken.replace(broken.find("MII"), 8, "!!!!!!!!");
  auto bad =
      CheckTrust({{"phone.pem", Store()}}, {"broken.pem", broken}, kBefore, ChainBuilding::kModern);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message.rfind("broken.pem: certificate 1 is not valid PEM", 0), 0u)
      << bad.error().message;
  auto store = CheckTrust({{"phone.pem", "not a certificate\n"}}, {"chain.pem", Sent()}, kBefore,
                          ChainBuilding::kModern);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().message, "phone.pem: no PEM certificate in it");
}

TEST(TrustCheckDate, ParsesDaysAndNamesTheFlagOtherwise) {
  auto d = ParseCheckDate("--at", "2020-05-31");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, Day(2020, 5, 31));
  for (const char* bad : {"2020-02-30", "2020-5-31", "31.05.2020", "2020-05-31x", "yesterday"}) {
    auto r = ParseCheckDate("--at", bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().message, std::string("--at ") + bad + ": not a date (YYYY-MM-DD)");
  }
}

// The real binary: exit codes and what it prints (contract.md: 0 accepted, 1 rejected, 2 bad
// input naming the value).
struct CliRun {
  int code = -1;
  std::string out;  // stdout and stderr together
};

CliRun Stepup(const std::string& args) {
  FILE* p = popen((std::string(STEPUP_BINARY) + " " + args + " 2>&1").c_str(), "r");
  CliRun r;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) r.out.append(buf, n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

TEST_F(TrustCheckTest, CliExitCodesAndReports) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("stepup-trust-" + std::to_string(getpid()));
  fs::create_directories(dir / "store");
  std::ofstream(dir / "store" / "addtrust.pem") << Pem({r1.get()});
  std::ofstream(dir / "store" / "usertrust.pem") << Pem({r2.get()});
  std::ofstream(dir / "chain.pem") << Sent();
  std::ofstream(dir / "empty.pem") << "";
  const std::string store = "--store " + (dir / "store").string();
  const std::string chain = " --chain " + (dir / "chain.pem").string();

  CliRun ok = Stepup("trust check " + store + chain + " --at 2020-05-31");
  EXPECT_EQ(ok.code, 0) << ok.out;
  EXPECT_NE(ok.out.find("accepted at 2020-05-31"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("2 Test USERTrust Root  notAfter 2038-01-01  (in the store)"),
            std::string::npos)
      << ok.out;
  CliRun no = Stepup("trust check " + store + chain + " --at 2020-05-31 --legacy-chain-building");
  EXPECT_EQ(no.code, 1) << no.out;
  EXPECT_NE(no.out.find("certificate has expired: CN=Test AddTrust Root, notAfter 2020-05-30"),
            std::string::npos)
      << no.out;
  CliRun empty = Stepup("trust check " + store + " --chain " + (dir / "empty.pem").string());
  EXPECT_EQ(empty.code, 2) << empty.out;
  EXPECT_NE(empty.out.find((dir / "empty.pem").string() + ": no PEM certificate"),
            std::string::npos)
      << empty.out;
  CliRun date = Stepup("trust check " + store + chain + " --at 2020-13-01");
  EXPECT_EQ(date.code, 2) << date.out;
  EXPECT_NE(date.out.find("--at 2020-13-01: not a date"), std::string::npos) << date.out;
  CliRun missing = Stepup("trust check " + store + " --chain " + (dir / "nope.pem").string());
  EXPECT_EQ(missing.code, 2) << missing.out;
  EXPECT_NE(missing.out.find("nope.pem"), std::string::npos) << missing.out;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace stepup
