#include "core/version.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace stepup {
namespace {

Version V(const std::string& s) {
  auto v = ParseVersion(s);
  EXPECT_TRUE(v.ok()) << s << ": " << (v.ok() ? "" : v.error().message);
  return v.ok() ? *v : Version{};
}

int Cmp(const std::string& a, const std::string& b) { return Compare(V(a), V(b)); }

TEST(Version, ParsesEverySchemeInTheDomain) {
  struct Case {
    std::string input, scheme;
    std::vector<int> release;
    std::string letter;
    int sr;
    std::vector<int> build;
    Protocol protocol;
    std::string model_code;
  };
  const std::vector<Case> cases = {
      {"7.5.2b", "dotted", {7, 5, 2}, "b", 0, {}, Protocol::kNone, ""},
      {"7.4.3a", "dotted", {7, 4, 3}, "a", 0, {}, Protocol::kNone, ""},
      {"6.1.5(a)", "dotted", {6, 1, 5}, "a", 0, {}, Protocol::kNone, ""},
      {"1.4.1(SR5)", "dotted", {1, 4, 1}, "", 5, {}, Protocol::kNone, ""},
      {"11.0.1", "dotted", {11, 0, 1}, "", 0, {}, Protocol::kNone, ""},
      {"8.5(2)SR1", "enterprise", {8, 5, 2}, "", 1, {}, Protocol::kNone, ""},
      {"9.4(2SR3.1)", "enterprise", {9, 4, 2}, "", 3, {1}, Protocol::kNone, ""},
      {"SIP70.8-2-1S", "load", {8, 2, 1}, "", 0, {}, Protocol::kSip, "70"},
      {"SCCP41.8-5-2SR1S", "load", {8, 5, 2}, "", 1, {}, Protocol::kSccp, "41"},
      {"SCCP41.9-4-2SR1-1S", "load", {9, 4, 2}, "", 1, {1}, Protocol::kSccp, "41"},
      {"SCCP70.8-3-1-21S", "load", {8, 3, 1}, "", 0, {21}, Protocol::kSccp, "70"},
      {"9-4-2SR1", "dashed", {9, 4, 2}, "", 1, {}, Protocol::kNone, ""},
      {"sip78xx.12-8-1-0001-455", "load", {12, 8, 1}, "", 0, {1, 455}, Protocol::kSip, "78xx"},
      {"sip78xx.14-0-1-0306-175", "load", {14, 0, 1}, "", 3, {6, 175}, Protocol::kSip, "78xx"},
      {"12-0-7MPP0201-66", "mpp", {12, 0, 7}, "", 2, {1, 66}, Protocol::kMpp, ""},
      {"11-3-1MSR3-3", "mpp", {11, 3, 1}, "", 3, {3}, Protocol::kMpp, ""},
      {"sip88xx.11-0-1MPP-376", "load", {11, 0, 1}, "", 0, {376}, Protocol::kMpp, "88xx"},
      {"sip8845_65.11-3-6MPP0102-277",
       "load",
       {11, 3, 6},
       "",
       1,
       {2, 277},
       Protocol::kMpp,
       "8845_65"},
      {"ATA19x.11-1-0MPP0401-002", "load", {11, 1, 0}, "", 4, {1, 2}, Protocol::kMpp, "ATA19x"},
      {"P0S3-08-12-00", "legacy7940", {8, 12, 0}, "", 0, {}, Protocol::kSip, "7940"},
      {"P00308010200", "legacy7940", {8, 1, 2}, "", 0, {0}, Protocol::kSccp, "7940"},
  };
  for (const auto& c : cases) {
    auto v = ParseVersion(c.input);
    ASSERT_TRUE(v.ok()) << c.input << ": " << v.error().message;
    EXPECT_EQ(v->scheme, c.scheme) << c.input;
    EXPECT_EQ(v->release, c.release) << c.input;
    EXPECT_EQ(v->letter, c.letter) << c.input;
    EXPECT_EQ(v->sr, c.sr) << c.input;
    EXPECT_EQ(v->build, c.build) << c.input;
    EXPECT_EQ(v->protocol, c.protocol) << c.input;
    EXPECT_EQ(v->model_code, c.model_code) << c.input;
  }
}

TEST(Version, OrdersTheCasesHandWrittenScriptsGetWrong) {
  EXPECT_GT(Cmp("7.4.10", "7.4.9"), 0);  // numeric, not lexicographic
  EXPECT_GT(Cmp("7.5.2b", "7.5.2"), 0);  // a letter suffix orders after the bare release
  EXPECT_GT(Cmp("7.5.2b", "7.5.2a"), 0);
  EXPECT_LT(Cmp("7.5.2b", "7.5.3"), 0);
  EXPECT_GT(Cmp("8.5(3)", "8.5(2)SR1"), 0);
  EXPECT_GT(Cmp("8.5(2)SR1", "8.5(2)"), 0);
  EXPECT_GT(Cmp("1.4.1(SR5)", "1.4.1"), 0);
  EXPECT_GT(Cmp("6.1.5(a)", "6.1.5"), 0);
  // MPP: the build number decides when the release is equal, and the format change at 11.3(2).
  EXPECT_GT(Cmp("sip88xx.11-3-2MPP0002-256", "sip88xx.11-3-2MPP0001-609"), 0);
  EXPECT_GT(Cmp("sip88xx.11-3-1MPP-110", "sip88xx.11-2-3MPP-256"), 0);
  EXPECT_GT(Cmp("sip88xx.11-3-2MPP0001-609", "sip88xx.11-3-1MSR3-3"), 0);
  EXPECT_GT(Cmp("12-0-7MPP0201-66", "12-0-7MPP0101-52"), 0);
  EXPECT_GT(Cmp("sip78xx.12-8-1-0101-482", "sip78xx.12-8-1-0001-455"), 0);
  EXPECT_GT(Cmp("sip78xx.14-0-1-0306-175", "sip78xx.14-0-1-0201-169"), 0);
  // Seed 003's PHP comparator compares field 1 of one side with field 2 of the other: 7.4.3a
  // against 7.4.3 must still be "after".
  EXPECT_GT(Cmp("7.4.3a", "7.4.3"), 0);
}

TEST(Version, ComparesAcrossSchemesOnTheRelease) {
  EXPECT_EQ(Cmp("SCCP70.8-5-2S", "8.5(2)"), 0);
  EXPECT_EQ(Cmp("SIP70.8-5-2S", "SCCP70.8-5-2S"), 0);  // protocol is not part of the order
  EXPECT_EQ(Cmp("9-4-2SR1", "9.4(2)SR1"), 0);
  EXPECT_GT(Cmp("SCCP41.9-4-2SR1-1S", "SCCP41.8-5-3S"), 0);
  EXPECT_LT(Cmp("SIP70.8-2-1S", "8.3(3)"), 0);
  EXPECT_GT(Cmp("P0S3-8-12-00", "P0S3-08-11-00"), 0);
  EXPECT_TRUE(SameRelease(V("SCCP41.9-4-2SR1-1S"), V("9.4(2)SR1")));
  EXPECT_FALSE(SameRelease(V("SCCP41.9-4-2SR1-1S"), V("9.4(2)")));
}

TEST(Version, RejectsUnparsableStringsNamingThem) {
  for (const std::string& bad : std::vector<std::string>{"",
                                                         "7",
                                                         "7.",
                                                         "abc",
                                                         "7.5.2b!",
                                                         "8.5(2",
                                                         "8.5()",
                                                         "SIP70.",
                                                         "SIP70.8-2",
                                                         "FOO1.8-2-1",
                                                         "1234567890.1.1",
                                                         "7.5.2 ",
                                                         " 7.5.2",
                                                         "12-0-7MPP02-66",
                                                         "SCCP70.8-5-2MPP0001-1S",
                                                         "9-4-2XX",
                                                         "P0S3-",
                                                         "P003080102",
                                                         "7.5.2b(",
                                                         "7.5.2(\xc3\xa9)",
                                                         std::string(200, '1')}) {
    auto v = ParseVersion(bad);
    EXPECT_FALSE(v.ok()) << "accepted: " << bad;
    if (!v.ok() && !bad.empty() && bad.size() < 100) {
      EXPECT_NE(v.error().message.find(bad), std::string::npos) << v.error().message;
    }
  }
}

TEST(Version, ReleaseLabelIsEnterpriseForm) {
  EXPECT_EQ(ReleaseLabel(V("SCCP41.9-4-2SR1-1S")), "9.4(2)SR1");
  EXPECT_EQ(ReleaseLabel(V("sip78xx.12-8-1-0001-455")), "12.8(1)");
  EXPECT_EQ(ReleaseLabel(V("7.5.2b")), "7.5.2b");
}

// Property tests over a generated set: antisymmetry, reflexivity and transitivity.
TEST(Version, OrderIsATotalPreorderOverAGeneratedSet) {
  std::mt19937 rng(20261125);
  std::vector<Version> vs;
  auto num = [&](int hi) { return std::to_string(rng() % hi); };
  const char* letters[] = {"", "a", "b", "c"};
  for (int i = 0; i < 400; ++i) {
    std::string s;
    switch (rng() % 6) {
      case 0:
        s = num(3) + "." + num(3) + "." + num(12) + letters[rng() % 4];
        break;
      case 1:
        s = "8." + num(6) + "(" + num(5) + ")" + (rng() % 2 ? "SR" + num(3) : "");
        break;
      case 2:
        s = "SCCP70.8-" + num(6) + "-" + num(5) + (rng() % 2 ? "SR1" : "") +
            (rng() % 2 ? "-" + num(3) : "") + "S";
        break;
      case 3:
        s = "sip88xx.1" + num(3) + "-" + num(4) + "-" + num(8) + "MPP0" + num(4) + "0" + num(9) +
            "-" + num(700);
        break;
      case 4:
        s = "sip78xx.1" + num(5) + "-" + num(9) + "-1-0" + num(4) + "0" + num(9) + "-" + num(500);
        break;
      default:
        s = "1" + num(3) + "-" + num(4) + "-" + num(8) + "MSR" + num(4) + "-" + num(5);
        break;
    }
    vs.push_back(V(s));
  }
  for (size_t i = 0; i < vs.size(); ++i) {
    EXPECT_EQ(Compare(vs[i], vs[i]), 0);
    for (size_t j = 0; j < vs.size(); ++j) {
      ASSERT_EQ(Compare(vs[i], vs[j]), -Compare(vs[j], vs[i])) << vs[i].input << " " << vs[j].input;
    }
  }
  for (size_t i = 0; i < 120; ++i) {
    for (size_t j = 0; j < 120; ++j) {
      if (Compare(vs[i], vs[j]) > 0) continue;
      for (size_t k = 0; k < 120; ++k) {
        if (Compare(vs[j], vs[k]) <= 0) {
          ASSERT_LE(Compare(vs[i], vs[k]), 0)
              << vs[i].input << " " << vs[j].input << " " << vs[k].input;
        }
      }
    }
  }
}

TEST(Version, AcceptsTheFormsTheSheetsPrint) {
  EXPECT_EQ(Cmp("14.2.1(0001.14)", "sip88xx.14-2-1-0001-14"), 0);
  EXPECT_EQ(Cmp("7.6.2.a", "7.6.2a"), 0);
  EXPECT_EQ(Cmp("9.4(2SR4.0)", "SCCP45.9-4-2SR4-3S"), 0);
  EXPECT_LT(Cmp("9.4(2SR4.0)", "SCCP45.9-4-2SR5-1S"), 0);
  EXPECT_GT(Cmp("9.4(2SR4.0)", "SCCP45.9-4-2SR3-1S"), 0);
  EXPECT_GT(Cmp("P0030801SR02", "P00308010200"), 0);
  EXPECT_LT(Cmp("P0030801SR02", "P00309000100"), 0);
  Version sr = V("P0030801SR02");
  EXPECT_EQ(sr.scheme, "legacy7940");
  EXPECT_EQ(sr.protocol, Protocol::kSccp);
  EXPECT_EQ(sr.sr, 2);
  EXPECT_EQ(V("P0S3-8-12-00").protocol, Protocol::kSip);
  // 79xx sheet section 5: P0030801SR02 is the 8.1(2)SR2 release (device pack 8.1(2SR2.0)); its
  // open maintenance field matches the catalog's label, and no other release.
  EXPECT_TRUE(SameRelease(sr, V("8.1(2)SR2")));
  EXPECT_FALSE(SameRelease(sr, V("8.1(2)")));
  EXPECT_FALSE(SameRelease(sr, V("8.2(1)SR2")));
  EXPECT_TRUE(SameRelease(V("P0S3-8-12-00"), V("8.12(0)")));
  EXPECT_TRUE(SameRelease(V("P0S3-08-4-00"), V("8.4(0)")));
}

TEST(Version, ReleaseCandidateOrdersBeforeItsRelease) {
  EXPECT_LT(Cmp("7.6.1(ES_RC01)", "7.6.1"), 0);
  EXPECT_GT(Cmp("7.6.1(ES_RC01)", "7.5.6a"), 0);
  EXPECT_LT(Cmp("7.6.1(ES_RC01)", "7.6.1(ES_RC02)"), 0);
  EXPECT_GT(Cmp("7.6.1", "7.6.1(ES_RC02)"), 0);
  EXPECT_EQ(V("7.6.1(ES_RC01)").rc, 1);
}

// Every form in testdata/version_forms.tsv (copied from the sheets, each with its row) parses,
// and compares with its partner as the sheet implies.
TEST(Version, ParsesEveryFormListedFromTheSheets) {
  std::ifstream in(std::string(STEPUP_SOURCE_DIR) + "/src/core/testdata/version_forms.tsv");
  ASSERT_TRUE(in) << "version_forms.tsv not found";
  std::string line;
  int checked = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> col;
    std::stringstream ss(line);
    for (std::string f; std::getline(ss, f, '\t');) col.push_back(f);
    ASSERT_EQ(col.size(), 4u) << line;
    auto a = ParseVersion(col[0]);
    if (col[1] == "!") {
      ASSERT_FALSE(a.ok()) << col[0] << " (" << col[3] << ")";
      EXPECT_NE(a.error().message.find(col[0]), std::string::npos) << a.error().message;
      ++checked;
      continue;
    }
    ASSERT_TRUE(a.ok()) << col[0] << " (" << col[3] << "): " << a.error().message;
    if (col[1] != "-") {
      auto b = ParseVersion(col[2]);
      ASSERT_TRUE(b.ok()) << col[2] << ": " << b.error().message;
      int want = col[1] == "=" ? 0 : (col[1] == "<" ? -1 : 1);
      EXPECT_EQ(Compare(*a, *b), want)
          << col[0] << " " << col[1] << " " << col[2] << " (" << col[3] << ")";
      EXPECT_EQ(Compare(*b, *a), -want) << col[2] << " vs " << col[0];
    }
    ++checked;
  }
  EXPECT_GE(checked, 30);
}

}  // namespace
}  // namespace stepup
