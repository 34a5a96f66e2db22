// The shared state of nodes over one fleet (app/shared_state.h), against its two
// implementations: in memory and in a real PostgreSQL server (two "nodes" = two opened states).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "store/inventory.h"
#include "tests/postgres_server.h"

namespace stepup {
namespace {

class SharedStateTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "memory") {
      a_ = NewMemorySharedState();
      return;
    }
    STEPUP_PG_DATABASE(url_);
    ASSERT_TRUE(OpenInventory(url_).ok());  // the fleet's database, as a node opens it
    a_ = Open();
    b_ = Open();
  }
  std::unique_ptr<SharedState> Open() {
    auto s = OpenSharedState(url_);
    EXPECT_TRUE(s.ok()) << s.error().message;
    EXPECT_TRUE(s && *s);
    return s ? std::move(s).value() : nullptr;
  }
  // The other node: a second connection to the same database (memory: the same object).
  SharedState& B() { return b_ ? *b_ : *a_; }

  std::string url_;
  std::unique_ptr<SharedState> a_, b_;
};

INSTANTIATE_TEST_SUITE_P(Stores, SharedStateTest, ::testing::Values("memory", "postgresql"),
                         [](const auto& info) { return info.param; });

TEST_P(SharedStateTest, WhatOneNodeWritesForAnAddressTheOtherReads) {
  {
    auto lease = a_->Hold("10.1.2.3");
    ASSERT_TRUE(lease.ok()) << lease.error().message;
    EXPECT_EQ((*lease)->Stored(), "");
    ASSERT_TRUE((*lease)->Write(R"({"seen":{"device":7}} it's 'quoted')", 5000).ok());
  }
  {
    auto lease = B().Hold("10.1.2.3");
    ASSERT_TRUE(lease.ok());
    EXPECT_EQ((*lease)->Stored(), R"({"seen":{"device":7}} it's 'quoted')");
    // A lease that ends without writing changes nothing.
  }
  {
    auto other = B().Hold("10.1.2.4");
    ASSERT_TRUE(other.ok());
    EXPECT_EQ((*other)->Stored(), "");  // addresses are apart
  }
  auto due = B().Due(4999, 10);
  ASSERT_TRUE(due.ok());
  EXPECT_TRUE(due->empty());
  due = B().Due(5000, 10);
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(*due, std::vector<std::string>{"10.1.2.3"});
  {
    auto lease = a_->Hold("10.1.2.3");
    ASSERT_TRUE(lease.ok());
    ASSERT_TRUE((*lease)->Write("", std::nullopt).ok());  // forgotten
  }
  auto lease = B().Hold("10.1.2.3");
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ((*lease)->Stored(), "");
  EXPECT_TRUE(B().Due(INT64_MAX, 10)->empty());
}

TEST_P(SharedStateTest, AnAddressIsHeldByOneNodeAtATime) {
  auto held = a_->Hold("192.0.2.9");
  ASSERT_TRUE(held.ok());
  std::unique_ptr<SharedState::Lease> first = std::move(held).value();
  std::atomic<bool> second_holds{false};
  std::string seen;
  std::thread other([&] {
    auto second = B().Hold("192.0.2.9");
    second_holds = true;
    if (second) seen = (*second)->Stored();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(second_holds.load()) << "the other node got the address while it was held";
  ASSERT_TRUE(first->Write("after the first", std::nullopt).ok());
  first.reset();
  other.join();
  EXPECT_TRUE(second_holds.load());
  EXPECT_EQ(seen, "after the first");  // it waited, then read what the first wrote
}

TEST_P(SharedStateTest, TheDownloadCapCountsEveryNodesSlots) {
  const int64_t now = 1764028800000, hold = 120000;
  EXPECT_TRUE(*a_->TakeSlot(1, 2, now, hold));
  EXPECT_TRUE(*B().TakeSlot(2, 2, now, hold));
  EXPECT_FALSE(*a_->TakeSlot(3, 2, now, hold));  // two held, by two nodes
  EXPECT_TRUE(*B().TakeSlot(1, 2, now, hold));   // its own slot, kept
  EXPECT_EQ(*a_->SlotsHeld(now), 2);
  ASSERT_TRUE(B().ReleaseSlot(2).ok());
  EXPECT_TRUE(*a_->TakeSlot(3, 2, now, hold));
  // Device 1 refreshed later than device 3: at now + hold only device 1's is left.
  ASSERT_TRUE(a_->RefreshSlot(1, now + 1000, hold).ok());
  EXPECT_EQ(*B().SlotsHeld(now + hold), 1);
  EXPECT_TRUE(*B().TakeSlot(4, 2, now + hold, hold));  // device 3's slot expired
  EXPECT_FALSE(*B().TakeSlot(5, 2, now + hold, hold));
}

TEST_P(SharedStateTest, OneNodeLeadsUntilItsConnectionEnds) {
  if (GetParam() == "memory") GTEST_SKIP() << "one process leads itself";
  EXPECT_TRUE(a_->Lead());
  EXPECT_TRUE(a_->Lead());  // still
  EXPECT_FALSE(b_->Lead());
  a_.reset();  // the leader stops: its session ends, and the lock with it
  EXPECT_TRUE(b_->Lead());
}

}  // namespace
}  // namespace stepup
