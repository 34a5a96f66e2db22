// One suite, run against every Inventory implementation.
#include "store/inventory.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <thread>

#include "tests/postgres_server.h"
#include "tests/wait_for.h"

namespace stepup {
namespace {
namespace fs = std::filesystem;

class InventoryTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "memory") {
      inv_ = NewMemoryInventory();
      return;
    }
    if (GetParam() == "postgresql") {
      STEPUP_PG_DATABASE(url_);
      Reopen();
      return;
    }
    dir_ = fs::temp_directory_path() /
           ("stepup-inv-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    Reopen();
  }
  void TearDown() override {
    inv_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  // Where the inventory lives: another connection (another node, the CLI) opens it there.
  std::string Url() const {
    return url_.empty() ? "sqlite:" + (dir_ / "stepup.db").string() : url_;
  }
  void Reopen() {
    inv_.reset();
    auto r = OpenInventory(Url());
    ASSERT_TRUE(r.ok()) << r.error().message;
    inv_ = std::move(r).value();
  }
  // Another, empty inventory of the same kind.
  std::unique_ptr<Inventory> Fresh() {
    if (GetParam() == "memory") return NewMemoryInventory();
    std::string url = "sqlite:" + (dir_ / ("fresh" + std::to_string(++fresh_) + ".db")).string();
    if (GetParam() == "postgresql") {
      bool installed = false;
      std::string why;
      url = testing::PostgresServer::Get(&installed, &why)->NewDatabase(&why);
      EXPECT_FALSE(url.empty()) << why;
    }
    auto r = OpenInventory(url);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r ? std::move(r).value() : nullptr;
  }
  static Device Phone(const std::string& mac, const std::string& serial = "") {
    Device d;
    d.mac = mac;
    d.serial = serial;
    d.model = "SPA504G";
    d.settings = {{"sip_user", "1001"}, {"display_name", "Front <desk> & \"lobby\""}};
    d.created = d.updated = 1764028800;
    return d;
  }

  fs::path dir_;
  std::string url_;  // PostgreSQL's database
  int fresh_ = 0;     // inventories Fresh() made
  std::unique_ptr<Inventory> inv_;
};

TEST_P(InventoryTest, AddsFindsAndUpdatesDevices) {
  auto a = inv_->Add(Phone("0002fdff2103", "CBT141400UK"));
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_GT(a->id, 0);
  auto byMac = inv_->FindByMac("0002fdff2103");
  ASSERT_TRUE(byMac.ok() && byMac->has_value());
  EXPECT_EQ((*byMac)->settings.at("display_name"), "Front <desk> & \"lobby\"");
  auto bySerial = inv_->FindBySerial("CBT141400UK");
  ASSERT_TRUE(bySerial.ok() && bySerial->has_value());
  EXPECT_EQ((*bySerial)->id, a->id);
  EXPECT_FALSE(inv_->FindByMac("0002fdff2104")->has_value());

  Device d = **byMac;
  d.state = kStateUpgrading;
  d.pending_load = "7.5.2b";
  d.pending_offers = 2;
  d.excluded = {"7.6.1"};
  d.hold = true;
  ASSERT_TRUE(inv_->Update(d).ok());
  Device back = **inv_->FindByMac("0002fdff2103");
  EXPECT_EQ(back.state, kStateUpgrading);
  EXPECT_EQ(back.pending_load, "7.5.2b");
  EXPECT_EQ(back.pending_offers, 2);
  EXPECT_EQ(back.excluded, std::vector<std::string>{"7.6.1"});
  EXPECT_TRUE(back.hold);
}

TEST_P(InventoryTest, RefusesDuplicatesNamingThem) {
  ASSERT_TRUE(inv_->Add(Phone("0002fdff2103", "CBT141400UK")).ok());
  auto dup = inv_->Add(Phone("0002fdff2103"));
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().message.find("0002fdff2103"), std::string::npos);
  auto dup2 = inv_->Add(Phone("58bfea1104e6", "CBT141400UK"));
  ASSERT_FALSE(dup2.ok());
  EXPECT_NE(dup2.error().message.find("CBT141400UK"), std::string::npos);
  EXPECT_EQ(inv_->List()->size(), 1u);
}

TEST_P(InventoryTest, AddAllIsAllOrNothing) {
  ASSERT_TRUE(inv_->Add(Phone("0002fdff2103")).ok());
  auto s = inv_->AddAll({Phone("111111111111"), Phone("222222222222"), Phone("0002fdff2103")});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(inv_->List()->size(), 1u);  // nothing of the failed batch landed
  ASSERT_TRUE(inv_->AddAll({Phone("111111111111"), Phone("222222222222")}).ok());
  EXPECT_EQ(inv_->List()->size(), 3u);
}

TEST_P(InventoryTest, KeepsEventHistoriesApartAndUnknownAttemptsSeparately) {
  auto a = inv_->Add(Phone("0002fdff2103"));
  auto b = inv_->Add(Phone("58bfea1104e6"));
  ASSERT_TRUE(inv_->AppendEvent(a->id, {1, "request", "GET /cfg", "http", "127.0.0.1:5000"}).ok());
  ASSERT_TRUE(
      inv_->AppendEvent(b->id, {2, "request", "GET /other", "http", "127.0.0.2:5000"}, true).ok());
  ASSERT_TRUE(
      inv_->AppendEvent(a->id, {3, "hop-offered", "7.5.2b", "http", "127.0.0.1:5000"}, true).ok());
  auto ea = inv_->Events(a->id);
  ASSERT_TRUE(ea.ok());
  ASSERT_EQ(ea->size(), 2u);
  EXPECT_EQ((*ea)[1].kind, "hop-offered");
  EXPECT_EQ(inv_->Events(b->id)->size(), 1u);
  ASSERT_TRUE(
      inv_->RecordUnknown({{4, "unknown", "GET /cfg/aabbccddeeff.xml", "http", "127.0.0.9:1"},
                           R"({"mac":"aabbccddeeff"})"})
          .ok());
  auto u = inv_->UnknownAttempts();
  ASSERT_EQ(u->size(), 1u);
  EXPECT_EQ((*u)[0].event.peer, "127.0.0.9:1");
}

TEST_P(InventoryTest, SurvivesReopenWithSchemaVersioned) {
  if (GetParam() == "memory") GTEST_SKIP() << "the in-memory fake does not persist";
  auto a = inv_->Add(Phone("0002fdff2103"));
  ASSERT_TRUE(inv_->AppendEvent(a->id, {1, "request", "batched", "http", "p"}, true).ok());
  Reopen();  // the destructor flushes batched events
  EXPECT_TRUE(inv_->FindByMac("0002fdff2103")->has_value());
  EXPECT_EQ(inv_->Events(a->id)->size(), 1u);
}

TEST_P(InventoryTest, SeesWritesFromAnotherProcessWithin1ms) {
  if (GetParam() == "memory") GTEST_SKIP() << "the in-memory fake is one process's";
  auto a = inv_->Add(Phone("0002fdff2103"));
  EXPECT_EQ((*inv_->FindByMac("0002fdff2103"))->target, "latest");        // now cached
  auto other = OpenInventory(Url());  // e.g. the CLI
  ASSERT_TRUE(other.ok());
  Device d = **(*other)->FindByMac("0002fdff2103");
  d.target = "7.6.1";
  const int64_t before = inv_->DevicesVersion();
  ASSERT_TRUE((*other)->Update(d).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(2));  // seen within 1 ms
  EXPECT_EQ((*inv_->FindByMac("0002fdff2103"))->target, "7.6.1");
  EXPECT_NE(inv_->DevicesVersion(), before);
}

bool WaitDurable(Inventory& inv, uint64_t ticket) {
  std::promise<bool> p;
  auto f = p.get_future();
  inv.WhenDurable(ticket, [&p](bool ok) { p.set_value(ok); });
  if (f.wait_for(std::chrono::seconds(5)) != std::future_status::ready) return false;
  return f.get();
}

TEST_P(InventoryTest, ProgressIsSeenAtOnceAndDurableWhenItSaysSo) {
  auto a = inv_->Add(Phone("0002fdff2103"));
  ASSERT_TRUE(a.ok());
  Device d = *a;
  d.state = kStateUpgrading;
  d.pending_load = "7.5.2b";
  d.pending_offers = 1;
  auto ticket = inv_->RecordProgress(d, {{5, "hop-offered", "7.5.2b, offer 1", "http", "p"}});
  ASSERT_TRUE(ticket.ok()) << ticket.error().message;
  EXPECT_EQ((*inv_->FindByMac("0002fdff2103"))->pending_load, "7.5.2b");  // before the commit
  ASSERT_TRUE(WaitDurable(*inv_, *ticket));
  if (GetParam() == "memory") return;
  // Committed: another connection (another server, the CLI) reads it, events included.
  auto other = OpenInventory(Url());
  ASSERT_TRUE(other.ok());
  EXPECT_EQ((*(*other)->FindByMac("0002fdff2103"))->pending_load, "7.5.2b");
  auto events = (*other)->Events(a->id);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].kind, "hop-offered");
}

TEST_P(InventoryTest, ProgressFromManyThreadsIsAllDurableAndLastWriteWins) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 8; ++i) {
    auto a = inv_->Add(Phone("0002fdff21" + std::to_string(10 + i)));
    ASSERT_TRUE(a.ok());
    ids.push_back(a->id);
  }
  std::atomic<int> durable{0}, lost{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (int round = 1; round <= 50; ++round) {
        for (int k = t; k < 8; k += 4) {  // each device has one writer, as with per-device locks
          Device d = **inv_->FindById(ids[static_cast<size_t>(k)]);
          d.pending_offers = round;
          auto ticket = inv_->RecordProgress(d, {});
          if (!ticket) {
            ++lost;
            continue;
          }
          inv_->WhenDurable(*ticket, [&](bool ok) { ++(ok ? durable : lost); });
        }
      }
    });
  }
  for (auto& w : writers) w.join();
  ASSERT_TRUE(inv_->Flush().ok());  // waits for every ticket
  EXPECT_TRUE(testing::WaitFor([&] { return durable + lost >= 400; }, std::chrono::seconds(5)));
  EXPECT_EQ(durable.load(), 400);
  EXPECT_EQ(lost.load(), 0);
  if (GetParam() == "memory") return;
  Reopen();
  for (int64_t id : ids) EXPECT_EQ((*inv_->FindById(id))->pending_offers, 50);
}

TEST_P(InventoryTest, FailedProgressHoldsNoLockOnTheDatabase) {
  Device ghost = Phone("0002fdff2199");
  ghost.id = 4242;  // not in the inventory
  EXPECT_FALSE(inv_->RecordProgress(ghost, {}).ok());
  if (GetParam() == "memory") return;
  // Another process writes at once: the failed write left no transaction open (it would hold
  // the write lock until the busy timeout refused this).
  auto other = OpenInventory(Url());
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE((*other)->Add(Phone("0002fdff2103")).ok());
}

TEST_P(InventoryTest, OperatorWritesAfterStagedProgressKeepBoth) {
  auto a = inv_->Add(Phone("0002fdff2103"));
  auto b = inv_->Add(Phone("0002fdff2104"));
  Device da = *a;
  da.firmware = "7.5.2b";
  auto ticket = inv_->RecordProgress(da, {});
  ASSERT_TRUE(ticket.ok());
  Device db = *b;
  db.target = "7.6.1";
  ASSERT_TRUE(inv_->Update(db).ok());  // commits the shared transaction first
  ASSERT_TRUE(inv_->AddAll({Phone("0002fdff2105")}).ok());
  EXPECT_TRUE(WaitDurable(*inv_, *ticket));
  if (GetParam() == "memory") return;
  Reopen();
  EXPECT_EQ((*inv_->FindByMac("0002fdff2103"))->firmware, "7.5.2b");
  EXPECT_EQ((*inv_->FindByMac("0002fdff2104"))->target, "7.6.1");
  EXPECT_TRUE(inv_->FindByMac("0002fdff2105")->has_value());
}

TEST_P(InventoryTest, DevicesVersionMovesAtOnceOnOwnWrites) {
  const int64_t v0 = inv_->DevicesVersion();
  auto a = inv_->Add(Phone("0002fdff2103"));
  ASSERT_TRUE(a.ok());
  const int64_t v1 = inv_->DevicesVersion();
  EXPECT_NE(v1, v0);
  EXPECT_EQ(inv_->DevicesVersion(), v1);  // reads alone do not move it
  (void)inv_->FindByMac("0002fdff2103");
  Device d = *a;
  d.state = kStateCurrent;
  ASSERT_TRUE(inv_->Update(d).ok());
  EXPECT_NE(inv_->DevicesVersion(), v1);
  // The cached device was replaced, not served stale.
  EXPECT_EQ((*inv_->FindByMac("0002fdff2103"))->state, kStateCurrent);
  EXPECT_EQ((*inv_->FindById(a->id))->state, kStateCurrent);
}

TEST_P(InventoryTest, ADeviceWhoseMacChangedIsNotFoundUnderTheOldOne) {
  auto a = inv_->Add(Phone("0002fdff2103"));
  ASSERT_TRUE((*inv_->FindByMac("0002fdff2103")).has_value());  // cached under the MAC only
  Device d = *a;
  d.mac = "0002fdff2104";
  ASSERT_TRUE(inv_->Update(d).ok());
  EXPECT_FALSE((*inv_->FindByMac("0002fdff2103")).has_value());
  EXPECT_TRUE((*inv_->FindByMac("0002fdff2104")).has_value());
}

TEST_P(InventoryTest, RepeatedPhoneEventsAreCountedOnTheirFirst) {
  auto a = inv_->Add(Phone("0002fdff2103"));
  auto req = [](int64_t t, const std::string& detail) {
    return Event{t, "request", detail, "http", "127.0.0.1:" + std::to_string(t)};
  };
  for (int64_t t : {1000, 2000, 3000})
    ASSERT_TRUE(inv_->AppendEvent(a->id, req(t, "GET /a"), true).ok());
  ASSERT_TRUE(inv_->Flush().ok());
  ASSERT_TRUE(inv_->AppendEvent(a->id, req(4000, "GET /a"), true).ok());  // across batches
  ASSERT_TRUE(inv_->Flush().ok());
  ASSERT_TRUE(inv_->AppendEvent(a->id, req(5000, "GET /b"), true).ok());  // another request
  ASSERT_TRUE(inv_->AppendEvent(a->id, req(6000, "GET /a"), true).ok());
  ASSERT_TRUE(inv_->AppendEvent(a->id, {7000, "hop-offered", "x", "http", ""}).ok());
  ASSERT_TRUE(inv_->AppendEvent(a->id, req(8000, "GET /a"), true).ok());  // after a change
  ASSERT_TRUE(inv_->AppendEvent(a->id, req(8000 + Event::kRepeatWindowMs, "GET /a"), true).ok());
  auto ev = inv_->Events(a->id);
  ASSERT_TRUE(ev.ok());
  std::vector<std::string> got;
  for (const auto& e : *ev)
    got.push_back(std::to_string(e.time) + " " + e.detail + " x" + std::to_string(e.repeats) + " " +
                  std::to_string(e.last_time));
  // The hop-offered event is written at once, the batched ones may land after it; what
  // matters is that no repeat is lost and nothing that changed is folded into a repeat.
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"1000 GET /a x3 4000", "3608000 GET /a x0 0",
                                           "5000 GET /b x0 0", "6000 GET /a x0 0", "7000 x x0 0",
                                           "8000 GET /a x0 0"}));
}

TEST_P(InventoryTest, RolloutGroupsAreStoredReplacedAndRemovedAndMoveTheVersion) {
  auto a = inv_->Add(Phone("0002fdff2103"));
  ASSERT_TRUE((*inv_->FindByMac("0002fdff2103")).has_value());  // cached
  const int64_t v0 = inv_->DevicesVersion();
  RolloutGroup g{"pilot", "7.5.2b", "22:00-05:00", true, 0, 100, 100, {{"handoff_url", "http://x/$MA"}}};
  ASSERT_TRUE(inv_->PutGroup(g).ok());
  EXPECT_NE(inv_->DevicesVersion(), v0);  // what its devices are offered may change
  g.paused = false;
  g.resync_at = 12345;
  g.updated = 200;
  ASSERT_TRUE(inv_->PutGroup(g).ok());  // replaced, not added
  ASSERT_TRUE(inv_->PutGroup({"b-site", "", "", false, 0, 1, 1, {}}).ok());
  if (GetParam() != "memory") Reopen();  // durable
  auto groups = inv_->Groups();
  ASSERT_TRUE(groups.ok());
  ASSERT_EQ(groups->size(), 2u);
  EXPECT_EQ((*groups)[0].name, "b-site");  // by name
  const RolloutGroup& p = (*groups)[1];
  EXPECT_EQ(p.name, "pilot");
  EXPECT_EQ(p.target, "7.5.2b");
  EXPECT_EQ(p.window, "22:00-05:00");
  EXPECT_FALSE(p.paused);
  EXPECT_EQ(p.resync_at, 12345);
  EXPECT_EQ(p.created, 100);
  EXPECT_EQ(p.updated, 200);
  EXPECT_EQ(p.settings.at("handoff_url"), "http://x/$MA");
  ASSERT_TRUE(inv_->RemoveGroup("pilot").ok());
  auto gone = inv_->RemoveGroup("pilot");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().kind, ErrorKind::kUnknown);
  EXPECT_EQ(inv_->Groups()->size(), 1u);
  EXPECT_EQ((*inv_->FindByMac("0002fdff2103"))->id, a->id);  // devices untouched
}

TEST_P(InventoryTest, DumpLoadsIntoAnEmptyInventoryWithIdsOrderAndCounts) {
  auto a = inv_->Add(Phone("0002fdff2103", "CBT141400UK"));
  auto gone = inv_->Add(Phone("0002fdff2104"));
  auto b = inv_->Add(Phone("", "FCH1234ABCD"));
  ASSERT_TRUE(a.ok() && gone.ok() && b.ok());
  ASSERT_TRUE(inv_->Remove(gone->id).ok());  // ids are not dense
  Device d = *b;
  d.state = kStateStuck;
  d.excluded = {"SIP78xx.10-3-1"};
  d.candidates = {"SIP78xx.10-2-1", "SIP78xx.10-1-1"};
  d.firmware_source = "syslog";
  d.transport = kTransportHttps;
  ASSERT_TRUE(inv_->Update(d).ok());
  for (int64_t t : {1000, 2000, 3000})  // one event counted three times
    ASSERT_TRUE(inv_->AppendEvent(a->id, {t, "request", "GET /a", "http", "p"}, true).ok());
  ASSERT_TRUE(inv_->Flush().ok());
  ASSERT_TRUE(inv_->AppendEvent(b->id, {500, "operator", "added", "cli", ""}).ok());
  ASSERT_TRUE(inv_->AppendEvent(a->id, {4000, "hop-offered", "7.5.2b", "tftp", "q"}).ok());
  ASSERT_TRUE(inv_->RecordUnknown({{5, "unknown", "GET /x.cfg", "http", "10.0.0.9:1"}, "{}"}).ok());
  ASSERT_TRUE(inv_->PutGroup({"pilot", "7.5.2b", "22:00-05:00", true, 7, 1, 2, {{"k", "v"}}}).ok());
  auto dump = inv_->Dump();
  ASSERT_TRUE(dump.ok()) << dump.error().message;
  ASSERT_EQ(dump->devices.size(), 2u);
  ASSERT_EQ(dump->events.size(), 3u);
  EXPECT_EQ(dump->events[0].second.repeats, 2);
  EXPECT_EQ(dump->events[0].second.last_time, 3000);

  auto refused = inv_->Load(*dump);  // not empty
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("already holds 2 devices"), std::string::npos)
      << refused.error().message;

  auto fresh = Fresh();
  ASSERT_TRUE(fresh);
  ASSERT_TRUE(fresh->Load(*dump).ok());
  auto again = fresh->Dump();
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->devices.size(), 2u);
  EXPECT_EQ(again->devices[0].id, a->id);
  EXPECT_EQ(again->devices[1].id, b->id);
  EXPECT_EQ(again->devices[1].candidates, d.candidates);
  EXPECT_EQ(again->devices[1].transport, kTransportHttps);
  EXPECT_EQ(again->devices[0].settings, a->settings);
  ASSERT_EQ(again->events.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(again->events[i].first, dump->events[i].first);
    EXPECT_EQ(again->events[i].second.time, dump->events[i].second.time);
    EXPECT_EQ(again->events[i].second.repeats, dump->events[i].second.repeats);
    EXPECT_EQ(again->events[i].second.peer, dump->events[i].second.peer);
  }
  ASSERT_EQ(again->unknown.size(), 1u);
  EXPECT_EQ(again->unknown[0].event.peer, "10.0.0.9:1");
  ASSERT_EQ(again->groups.size(), 1u);
  EXPECT_EQ(again->groups[0].resync_at, 7);
  EXPECT_EQ(again->groups[0].settings.at("k"), "v");
  // The next device gets an id of its own.
  auto next = fresh->Add(Phone("0002fdff2105"));
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_GT(next->id, b->id);
  // A dump whose event names no device of it is refused before anything is written.
  InventoryDump bad;
  bad.devices.push_back(*a);
  bad.events.push_back({999, {1, "request", "x", "http", "p"}});
  auto empty = Fresh();
  auto s = empty->Load(bad);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("device id 999"), std::string::npos) << s.error().message;
  EXPECT_TRUE(empty->List()->empty());
}

TEST_P(InventoryTest, TwoNodesShareOneFleet) {
  if (GetParam() == "memory") GTEST_SKIP() << "the in-memory fake is one process's";
  auto other = OpenInventory(Url());  // a second stepup node on the same database
  ASSERT_TRUE(other.ok()) << other.error().message;
  auto a = inv_->Add(Phone("0002fdff2103"));
  ASSERT_TRUE(a.ok());
  auto dup = (*other)->Add(Phone("0002fdff2103"));  // the other node knows it already
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().message.find("MAC 0002fdff2103"), std::string::npos);
  Device d = **(*other)->FindByMac("0002fdff2103");
  d.pending_load = "7.5.2b";
  auto ticket = (*other)->RecordProgress(d, {{9, "hop-offered", "7.5.2b", "http", "p"}});
  ASSERT_TRUE(ticket.ok()) << ticket.error().message;
  ASSERT_TRUE(WaitDurable(**other, *ticket));
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_EQ((*inv_->FindById(a->id))->pending_load, "7.5.2b");
  auto events = inv_->Events(a->id);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].detail, "7.5.2b");
}

INSTANTIATE_TEST_SUITE_P(Implementations, InventoryTest,
                         ::testing::Values("memory", "sqlite", "postgresql"));

TEST(OpenInventory, PostgresErrorsNameTheUrlWithoutItsPassword) {
  auto r = OpenInventory("postgresql://stepup:hunter2@127.0.0.1:1/fleet?connect_timeout=5");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("postgresql://stepup:***@127.0.0.1:1/fleet"), std::string::npos)
      << r.error().message;
  EXPECT_EQ(r.error().message.find("hunter2"), std::string::npos) << r.error().message;
  auto q = OpenInventory("postgres://127.0.0.1:1/fleet?user=a&password=hunter2");
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().message.find("hunter2"), std::string::npos) << q.error().message;
}

TEST(OpenInventory, RejectsWhatItCannotOpen) {
  EXPECT_FALSE(OpenInventory("sqlite:/nonexistent-dir/x/stepup.db").ok());
  auto pg = OpenInventory("postgresql://localhost/stepup");
  ASSERT_FALSE(pg.ok());
  EXPECT_NE(pg.error().message.find("postgresql://localhost/stepup"), std::string::npos);
}

}  // namespace
}  // namespace stepup
