// Group commit for one SQLite connection in WAL mode: many writers' changes go into one open
// transaction, and a background thread commits it and syncs the write-ahead log once for all
// of them. Writers do not wait: each gets a ticket, and a callback says when it is durable.
//
// Why: hop progress must be durable before the answer that offers the next hop (contract.md).
// One fsync per phone per hop (1-2 ms each on this machine's disk, under the connection's
// lock) held a 10,000-phone boot storm to about 700 answers a second; one sync per batch
// does not.
//
// The connection runs with synchronous=NORMAL (a commit does not sync), and durability comes
// from fdatasync(2) of the WAL file after the commit: every frame written before the sync
// started is on disk when it returns, which is what synchronous=FULL gives one commit at a
// time. The sync runs outside the connection's lock, so readers are not held up by the disk.
// Thread-safe.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/result.h"

namespace stepup {

class GroupCommit {
 public:
  // Commits the connection's open transaction, if any, under the connection's lock, and
  // returns the last ticket that transaction holds (GroupCommit::Staged read under that lock).
  // When the commit fails it has called MarkFailed for the tickets it lost.
  using CommitFn = std::function<std::pair<uint64_t, Status>()>;

  GroupCommit() = default;
  ~GroupCommit();
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // `wal_path` is the database's "-wal" file ("" when the journal is not a WAL: commits then
  // sync by themselves).
  void Start(std::string wal_path, CommitFn commit);
  // Commits and syncs what is staged, answers every waiter, stops the thread.
  void Stop();

  // A write went into the open transaction; caller holds the connection's lock. Its ticket.
  uint64_t Stage();
  // The last ticket handed out (read under the connection's lock, it is the last one the open
  // transaction holds).
  uint64_t Staged() const { return staged_; }
  // The newest ticket not yet answered, 0 when every staged ticket is (any thread, no lock):
  // an answer derived from what is staged must wait for it too.
  uint64_t Pending() const {
    const uint64_t s = staged_.load(std::memory_order_acquire);
    return s > answered_.load(std::memory_order_acquire) ? s : 0;
  }
  // Tickets (after, through] were lost: their transaction failed to commit.
  void MarkFailed(uint64_t after, uint64_t through);
  // Calls done(true) once the ticket is durable, done(false) if it was lost; at once (on this
  // thread) when that is already known, else on the committer's thread.
  void WhenDurable(uint64_t ticket, std::function<void(bool)> done);
  // Waits until everything staged before the call is durable (or lost) and its callbacks ran.
  void WaitDurable(uint64_t ticket);
  // Syncs the WAL now (an operator's write, durable when it returns).
  Status SyncWal();

 private:
  void Loop();
  bool Lost(uint64_t ticket) const;                // caller holds mu_
  void AddLost(uint64_t after, uint64_t through);  // caller holds mu_

  CommitFn commit_;
  std::string wal_path_;
  std::atomic<uint64_t> staged_{0};    // written under the connection's lock
  std::atomic<uint64_t> answered_{0};  // every ticket through it is answered (callbacks ran)

  std::mutex mu_;  // guards what follows
  std::condition_variable cv_;
  uint64_t durable_ = 0;
  std::vector<std::pair<uint64_t, uint64_t>> lost_;  // (after, through], the most recent few
  std::multimap<uint64_t, std::function<void(bool)>> waiters_;
  bool stop_ = false, running_ = false;
  std::thread thread_;

  std::mutex sync_mu_;  // guards the WAL descriptor
  int wal_fd_ = -1;
  ino_t wal_ino_ = 0;
  bool sync_failed_ = false;  // a failed sync may have dropped pages: nothing is durable after
};

}  // namespace stepup
