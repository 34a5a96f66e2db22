#include "store/group_commit.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

namespace stepup {
namespace {

// A connection stand-in: its lock, and what the commit function saw.
struct FakeConnection {
  std::mutex mu;
  std::atomic<int> commits{0};
  bool fail_next = false;
  uint64_t committed = 0;  // the last ticket a commit covered
  std::promise<void> release;
  std::shared_future<void> gate;                        // when set, each commit waits for it first
  void Hold() { gate = release.get_future().share(); }  // commits wait for release

  // The commit function, as the inventory's: a failed commit marks its own tickets lost.
  GroupCommit::CommitFn Commit(GroupCommit& gc) {
    return [this, &gc] {
      if (gate.valid()) gate.wait();
      std::lock_guard lock(mu);
      ++commits;
      Status s = Ok{};
      if (fail_next) {
        fail_next = false;
        gc.MarkFailed(committed, gc.Staged());
        s = BadInput("disk full");
      }
      committed = gc.Staged();
      return std::pair<uint64_t, Status>(gc.Staged(), s);
    };
  }
};

bool Durable(GroupCommit& gc, uint64_t ticket) {
  std::promise<bool> p;
  auto f = p.get_future();
  gc.WhenDurable(ticket, [&p](bool ok) { p.set_value(ok); });
  EXPECT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  return f.get();
}

TEST(GroupCommit, TicketsBecomeDurableAfterTheirCommit) {
  FakeConnection c;
  GroupCommit gc;
  gc.Start("", c.Commit(gc));
  uint64_t a, b;
  {
    std::lock_guard lock(c.mu);
    a = gc.Stage();
    b = gc.Stage();
  }
  EXPECT_LT(a, b);
  EXPECT_TRUE(Durable(gc, b));
  EXPECT_TRUE(Durable(gc, a));  // already durable: answered at once
  EXPECT_GE(c.commits.load(), 1);
  EXPECT_LE(c.commits.load(), 2);  // both in one commit, or one each: never more
  gc.WaitDurable(b);
  gc.Stop();
}

TEST(GroupCommit, AFailedCommitLosesItsTicketsOnly) {
  FakeConnection c;
  GroupCommit gc;
  gc.Start("", c.Commit(gc));
  uint64_t lost, kept;
  {
    std::lock_guard lock(c.mu);
    c.fail_next = true;
    lost = gc.Stage();
  }
  EXPECT_FALSE(Durable(gc, lost));
  {
    std::lock_guard lock(c.mu);
    kept = gc.Stage();
  }
  EXPECT_TRUE(Durable(gc, kept));
  EXPECT_FALSE(Durable(gc, lost));  // and it stays lost

  // A range another writer found lost (its own commit of the shared transaction failed).
  uint64_t marked;
  {
    std::lock_guard lock(c.mu);
    marked = gc.Stage();
    gc.MarkFailed(kept, marked);
  }
  EXPECT_FALSE(Durable(gc, marked));
  gc.Stop();
}

TEST(GroupCommit, ACommitFailingAfterAnotherWritersCommitLosesOnlyItsOwnTickets) {
  // An operator's write commits the shared transaction (ticket `first` with it); the next
  // transaction then fails to commit. `first` was durable all along.
  FakeConnection c;
  GroupCommit gc;
  c.Hold();
  gc.Start("", c.Commit(gc));
  uint64_t first, second;
  {
    std::lock_guard lock(c.mu);
    first = gc.Stage();
    c.committed = first;  // the operator's write committed it (and synced)
    second = gc.Stage();
    c.fail_next = true;
  }
  std::promise<bool> a, b;
  gc.WhenDurable(first, [&a](bool ok) { a.set_value(ok); });
  gc.WhenDurable(second, [&b](bool ok) { b.set_value(ok); });
  c.release.set_value();
  EXPECT_TRUE(a.get_future().get());
  EXPECT_FALSE(b.get_future().get());
  gc.Stop();
}

TEST(GroupCommit, PendingNamesTheNewestUnansweredTicketAndWaitingCoversCallbacks) {
  FakeConnection c;
  GroupCommit gc;
  c.Hold();
  gc.Start("", c.Commit(gc));
  EXPECT_EQ(gc.Pending(), 0u);
  uint64_t t;
  {
    std::lock_guard lock(c.mu);
    t = gc.Stage();
  }
  EXPECT_EQ(gc.Pending(), t);  // an answer read from what is staged waits for it
  std::atomic<bool> callback_done{false};
  gc.WhenDurable(t, [&](bool) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    callback_done = true;
  });
  c.release.set_value();
  gc.WaitDurable(t);
  // Returned only once the callback ran: a server stops its transports only after that.
  EXPECT_TRUE(callback_done.load());
  EXPECT_EQ(gc.Pending(), 0u);
  gc.Stop();
}

TEST(GroupCommit, StopCommitsWhatIsStagedAndAnswersEveryWaiter) {
  FakeConnection c;
  GroupCommit gc;
  c.Hold();
  gc.Start("", c.Commit(gc));
  std::atomic<int> yes{0};
  {
    std::lock_guard lock(c.mu);
    for (int i = 0; i < 100; ++i) {
      gc.WhenDurable(gc.Stage(), [&yes](bool ok) { yes += ok ? 1 : 0; });
    }
  }
  c.release.set_value();
  gc.Stop();
  EXPECT_EQ(yes.load(), 100);
  EXPECT_LE(c.commits.load(), 2);  // a hundred tickets, at most two commits
  std::promise<bool> late;
  gc.WhenDurable(1, [&late](bool ok) { late.set_value(ok); });
  EXPECT_TRUE(late.get_future().get());  // durable before the stop
}

TEST(GroupCommit, SyncsTheWalWhileItExists) {
  GroupCommit none;
  EXPECT_TRUE(none.SyncWal().ok());  // no WAL: commits synced by themselves
  auto path =
      std::filesystem::temp_directory_path() / ("stepup-gc-" + std::to_string(::getpid()) + "-wal");
  std::FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("frames", f);
  std::fclose(f);
  GroupCommit gc;
  gc.Start(path.string(), [&] { return std::pair<uint64_t, Status>(gc.Staged(), Ok{}); });
  EXPECT_TRUE(gc.SyncWal().ok());
  std::filesystem::remove(path);
  EXPECT_TRUE(gc.SyncWal().ok());  // gone (the last connection closed it): nothing to sync
  gc.Stop();
}

}  // namespace
}  // namespace stepup
