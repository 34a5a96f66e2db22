#include "app/firmware_learning.h"

#include <gtest/gtest.h>

#include "core/catalog_loader.h"

namespace stepup {
namespace {

struct Fixture {
  Catalog cat = LoadCatalog(BundledCatalog()).value();
  Renderer renderer = Renderer::Create(BundledTemplates()).value();
  ProfileSetup Setup() {
    ProfileSetup s;
    s.catalog = &cat;
    s.renderer = &renderer;
    return s;
  }
};

Device SeventyNineSeventy() {
  Device d;
  d.mac = "00270dc01c92";
  d.model = "CP-7970G";
  d.target = "SIP70.9-4-2SR1-1S";
  return d;
}

TEST(FirmwareLearning, CandidatesAreTheModelsLoadsInItsProtocolAndTheReleasesBeforeThem) {
  Fixture f;
  auto c = Candidates(f.cat, SeventyNineSeventy());
  ASSERT_FALSE(c.empty());
  for (const auto& x : c) {
    if (x.name[0] == '<') continue;
    EXPECT_EQ(f.cat.FindLoad("79-70", x.name)->protocol, Protocol::kSip) << x.name;
  }
  EXPECT_EQ(c.back().name, "<SIP70.8-0-1-11S");
  EXPECT_EQ(c.back().accepts, std::vector<std::string>{"79xx-old"});
}

TEST(FirmwareLearning, AnAuthFailLeavesOnlyReleasesThatRejectTheKeyAndTheOfferBridgesThem) {
  Fixture f;
  Device d = SeventyNineSeventy();
  auto all = Candidates(f.cat, d);
  // First offer: the next hop valid from most and a downgrade from none. SIP 9.x straight
  // from a dual-key load (8.4(2), 8.5(2)SR1) is doubted (79xx sheet section 4, U), so from
  // those the sure chain goes through SCCP 9.4(2)SR1 (WAZO: 8.5.2 -> later SCCP), and that
  // hop, not the target, is the one most candidates share.
  UncertainOffer first = ChooseUncertainOffer(f.Setup(), d, all);
  ASSERT_NE(first.load, nullptr) << first.why;
  EXPECT_EQ(first.load->load, "SCCP70.9-4-2SR1-1S");
  EXPECT_EQ(first.load->facts.signed_with.value, "79xx-new");
  // It fetched the manifest only: it runs something that does not take the new key.
  auto left = RejectedBy(all, *first.load);
  for (const auto& x : left) EXPECT_LT(Compare(x.version, ParseVersion("8.3(3)").value()), 0);
  d.candidates = Names(left);
  auto again = Candidates(f.cat, d);
  EXPECT_EQ(Names(again), Names(left));
  UncertainOffer bridge = ChooseUncertainOffer(f.Setup(), d, again);
  ASSERT_NE(bridge.load, nullptr) << bridge.why;
  // An old-key-signed load that also accepts the new key, above every candidate.
  EXPECT_EQ(bridge.load->facts.signed_with.value, "79xx-old");
  for (const auto& x : again) EXPECT_GE(Compare(bridge.load->version, x.version), 0);
}

TEST(FirmwareLearning, NothingIsOfferedThatWouldDowngradeACandidate) {
  Fixture f;
  Device d = SeventyNineSeventy();
  d.protocol = "sccp";  // SCCP candidates go up to 9.4(2)SR3, above the SIP 9.4(2)SR1 target
  auto c = Candidates(f.cat, d);
  UncertainOffer o = ChooseUncertainOffer(f.Setup(), d, c);
  if (o.load) {
    for (const auto& x : c) EXPECT_GE(Compare(o.load->version, x.version), 0) << o.load->load;
  } else {
    EXPECT_NE(o.why.find("downgrade"), std::string::npos) << o.why;
  }
}

}  // namespace
}  // namespace stepup
