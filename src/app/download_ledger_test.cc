#include "app/download_ledger.h"

#include <gtest/gtest.h>

#include <vector>

namespace stepup {
namespace {

using Credit = DownloadLedger::Credit;

const std::set<std::string> kHop = {"sip70.9-4-2sr3-1s.loads", "jar70sip.9-4-2-11.sbn"};
// The order a phone fetches them in: the manifest, then the images it lists.
const std::vector<std::string> kBootOrder = {"sip70.9-4-2sr3-1s.loads", "jar70sip.9-4-2-11.sbn"};

TEST(DownloadLedger, CreditsEachPhoneBehindOneAddressWithItsOwnDownloads) {
  // Three phones behind one NAT address, offered the same hop in turn; each then fetches both
  // files (ports recycled by the NAT). Every phone ends with its hop complete, not the last
  // one to ask crediting everything.
  DownloadLedger ledger;
  for (int64_t id : {1, 2, 3}) ledger.Offered(id, "198.51.100.7", "SIP70.9-4-2SR3-1S", kHop);
  int port = 5000;
  for (int round = 0; round < 3; ++round) {
    for (const auto& f : kBootOrder) {
      const std::string peer = "198.51.100.7:" + std::to_string(port++ % 5002);
      auto owner = ledger.Started("198.51.100.7", peer, f, std::nullopt);
      ASSERT_TRUE(owner.has_value());
      EXPECT_EQ(ledger.Finished(peer, f, true), owner);
    }
  }
  for (int64_t id : {1, 2, 3}) {
    Downloads dl = ledger.Of(id, "SIP70.9-4-2SR3-1S");
    EXPECT_EQ(dl.completed, kHop) << "device " << id;
  }
  // A fourth download of the same file from that address awaits no one: not credited.
  EXPECT_FALSE(ledger.Started("198.51.100.7", "198.51.100.7:9", *kHop.begin(), std::nullopt));
}

TEST(DownloadLedger, TheDeviceThatActedLastFirstAndAFailedTransferGoesBackToItsOwner) {
  DownloadLedger ledger;
  ledger.Offered(1, "10.0.0.1", "L", kHop);
  ledger.Offered(2, "10.0.0.1", "L", kHop);  // asked last: its files come next
  const std::string manifest = *kHop.rbegin(), image = *kHop.begin();
  EXPECT_EQ(ledger.Started("10.0.0.1", "10.0.0.1:1000", manifest, std::nullopt), 2);
  EXPECT_EQ(ledger.Finished("10.0.0.1:1000", manifest, false), 2);
  // Its retry (a new port) is still device 2's, before device 1's first try.
  EXPECT_EQ(ledger.Started("10.0.0.1", "10.0.0.1:1001", manifest, std::nullopt), 2);
  EXPECT_EQ(ledger.Finished("10.0.0.1:1001", manifest, true), 2);
  // The next file after a finished one: the same phone's.
  EXPECT_EQ(ledger.Started("10.0.0.1", "10.0.0.1:1002", image, std::nullopt), 2);
  // While 2 fetches it, another request for it is no one's: device 1 has not its manifest.
  EXPECT_EQ(ledger.Started("10.0.0.1", "10.0.0.1:1003", image, std::nullopt), std::nullopt);
  ledger.Offered(1, "10.0.0.1", "L", kHop);  // 1 asks again: it acted last
  EXPECT_EQ(ledger.Started("10.0.0.1", "10.0.0.1:1004", manifest, std::nullopt), 1);
  EXPECT_EQ(ledger.Finished("10.0.0.1:1004", manifest, true), 1);
  EXPECT_EQ(ledger.Started("10.0.0.1", "10.0.0.1:1005", image, std::nullopt), 1);
  EXPECT_TRUE(ledger.Of(2, "L").completed.count(manifest));
  EXPECT_TRUE(ledger.Of(1, "L").started.count(image));
}

TEST(DownloadLedger, SettledOrReofferedDevicesAreNotCreditedForTheOldHop) {
  DownloadLedger ledger;
  ledger.Offered(1, "10.0.0.1", "L1", kHop);
  ledger.Settled(1);
  const std::string f = kBootOrder.front();
  EXPECT_EQ(ledger.Started("10.0.0.1", "p:1", f, std::nullopt), std::nullopt);
  EXPECT_EQ(ledger.Started("10.0.0.1", "p:2", f, 7), 7);  // the caller's fallback
  // A new load starts afresh; the old load's downloads are not its.
  ledger.Offered(2, "10.0.0.1", "L1", kHop);
  ASSERT_EQ(ledger.Started("10.0.0.1", "p:3", f, std::nullopt), 2);
  ledger.Finished("p:3", f, true);
  ledger.Offered(2, "10.0.0.1", "L2", {"other.sbn"});
  EXPECT_TRUE(ledger.Of(2, "L2").completed.empty());
  EXPECT_TRUE(ledger.Of(2, "L1").completed.empty());  // only the pending load's are kept
  // Offered again from a new address: credited there, not at the old one.
  ledger.Offered(2, "10.0.0.9", "L2", {"other.sbn"});
  EXPECT_EQ(ledger.Started("10.0.0.1", "p:4", "other.sbn", std::nullopt), std::nullopt);
  EXPECT_EQ(ledger.Started("10.0.0.9", "p:5", "other.sbn", std::nullopt), 2);
}

TEST(DownloadLedger, UnknownTransferEndsHaveNoOwner) {
  DownloadLedger ledger;
  EXPECT_EQ(ledger.Finished("10.0.0.1:69", "x.sbn", true), std::nullopt);
}

TEST(Whereabouts, SoleOnlyWhileNoOtherDeviceWasSeenThereWithinTheWindow) {
  Whereabouts w(1000);
  EXPECT_FALSE(w.Last("10.0.0.1", 0));
  w.Seen("10.0.0.1", 1, 100);
  EXPECT_EQ(w.Last("10.0.0.1", 200), 1);
  EXPECT_EQ(w.Sole("10.0.0.1", 200), 1);
  w.Seen("10.0.0.1", 2, 300);  // a second phone behind the same address
  EXPECT_EQ(w.Last("10.0.0.1", 400), 2);
  EXPECT_EQ(w.Sole("10.0.0.1", 400), std::nullopt);
  w.Seen("10.0.0.1", 2, 1200);
  EXPECT_EQ(w.Sole("10.0.0.1", 1050), std::nullopt);  // device 1 was there 950 ms ago
  EXPECT_EQ(w.Sole("10.0.0.1", 1150), 2);             // device 1 last seen over a window ago
  EXPECT_EQ(w.Last("10.0.0.1", 2300), std::nullopt);  // nobody within the window
}

}  // namespace
}  // namespace stepup

namespace stepup {
namespace {

TEST(DownloadLedger, BehindNatAPhoneWhoseFilesWereCreditedToAnotherCompletesFromTheAddress) {
  // Phones 1 and 2 behind one address are offered the same load; 2's downloads happen to be
  // credited to 1, and 2 asks again first.
  DownloadLedger ledger;
  ledger.Offered(2, "10.0.0.1", "L", kHop);
  ledger.Offered(1, "10.0.0.1", "L", kHop);
  int port = 0;
  auto fetch = [&](const std::vector<std::string>& files) {
    for (const auto& f : files) {
      const std::string peer = "10.0.0.1:" + std::to_string(++port);
      ASSERT_TRUE(ledger.Started("10.0.0.1", peer, f, std::nullopt).has_value());
      ledger.Finished(peer, f, true);
    }
  };
  fetch(kBootOrder);  // phone 2's downloads, credited to 1
  EXPECT_EQ(ledger.Of(1, "L").completed, kHop);
  EXPECT_TRUE(ledger.Of(2, "L").completed.empty());
  EXPECT_EQ(ledger.Completes(2, "10.0.0.1", "L", kHop), Credit::kSite);  // the address's set
  // Phone 3 fetched only the manifest (AUTH FAIL): the one set is used up, it does not complete.
  ledger.Offered(3, "10.0.0.1", "L", kHop);
  fetch({kBootOrder.front()});
  EXPECT_EQ(ledger.Completes(3, "10.0.0.1", "L", kHop), Credit::kNo);
  EXPECT_EQ(ledger.Completes(1, "10.0.0.1", "L", kHop), Credit::kOwn);  // its own record
  EXPECT_EQ(ledger.Completes(1, "10.0.0.9", "M", kHop), Credit::kNo);   // another address, load
}

}  // namespace
}  // namespace stepup

namespace stepup {
namespace {

TEST(DownloadLedger, ImagesAreCreditedOnlyToAPhoneThatHasItsManifestThisBoot) {
  // Behind one address: phone 1 rejects the manifest (AUTH FAIL) and asks again at once, so it
  // acted last; phone 2 has its manifest and fetches the images. They are phone 2's.
  const std::string manifest = "sip70.9-4-2sr3-1s.loads", image = "jar70sip.9-4-2-11.sbn";
  DownloadLedger ledger;
  ledger.Offered(2, "10.0.0.1", "L", kHop);
  ledger.Offered(1, "10.0.0.1", "L", kHop);
  ASSERT_EQ(ledger.Started("10.0.0.1", "p:1", manifest, std::nullopt), 1);
  ledger.Finished("p:1", manifest, true);
  ASSERT_EQ(ledger.Started("10.0.0.1", "p:2", manifest, std::nullopt), 2);
  ledger.Finished("p:2", manifest, true);
  ledger.Rebooted(1);  // phone 1 asks for its trust lists: a new boot
  ledger.Offered(1, "10.0.0.1", "L", kHop);  // and its configuration: the last to act
  EXPECT_EQ(ledger.Started("10.0.0.1", "p:3", image, std::nullopt), 2);
  ledger.Finished("p:3", image, true);
  EXPECT_EQ(ledger.Of(2, "L").completed, kHop);
  EXPECT_EQ(ledger.Of(1, "L").completed, std::set<std::string>{manifest});
  // Phone 1's manifest only: the AUTH FAIL signature, never completed from the address's set,
  // even with a whole set there uncounted.
  EXPECT_EQ(ledger.Completes(1, "10.0.0.1", "L", kHop), Credit::kNo);
  EXPECT_EQ(ledger.Completes(2, "10.0.0.1", "L", kHop), Credit::kOwn);
  // A new boot asks for the manifest again: queued for phone 1 once more.
  EXPECT_EQ(ledger.Started("10.0.0.1", "p:4", manifest, std::nullopt), 1);
}

TEST(DownloadLedger, AHopWithoutManifestCreditsItsImageAtOnce) {
  DownloadLedger ledger;
  ledger.Offered(5, "10.0.0.1", "S", {"spa50x-7-6-1.bin"});
  EXPECT_EQ(ledger.Started("10.0.0.1", "p:1", "spa50x-7-6-1.bin", std::nullopt), 5);
}

}  // namespace
}  // namespace stepup
