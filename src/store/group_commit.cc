#include "store/group_commit.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace stepup {

GroupCommit::~GroupCommit() {
  Stop();
  if (wal_fd_ >= 0) ::close(wal_fd_);
}

void GroupCommit::Start(std::string wal_path, CommitFn commit) {
  wal_path_ = std::move(wal_path);
  commit_ = std::move(commit);
  running_ = true;
  thread_ = std::thread([this] { Loop(); });
}

void GroupCommit::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

uint64_t GroupCommit::Stage() {
  const uint64_t ticket = ++staged_;
  { std::lock_guard lock(mu_); }  // the committer is either before its check or waiting
  cv_.notify_all();
  return ticket;
}

void GroupCommit::MarkFailed(uint64_t after, uint64_t through) {
  std::lock_guard lock(mu_);
  AddLost(after, through);
}

void GroupCommit::AddLost(uint64_t after, uint64_t through) {
  if (through <= after) return;
  lost_.emplace_back(after, through);
  if (lost_.size() > 64) lost_.erase(lost_.begin());  // waiters are answered long before
}

bool GroupCommit::Lost(uint64_t ticket) const {
  for (const auto& [after, through] : lost_) {
    if (ticket > after && ticket <= through) return true;
  }
  return false;
}

void GroupCommit::WhenDurable(uint64_t ticket, std::function<void(bool)> done) {
  bool ok;
  {
    std::lock_guard lock(mu_);
    if (ticket > durable_ && running_) {
      waiters_.emplace(ticket, std::move(done));
      return;
    }
    ok = ticket <= durable_ && !Lost(ticket);
  }
  done(ok);
}

void GroupCommit::WaitDurable(uint64_t ticket) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return answered_ >= ticket || !running_; });
}

Status GroupCommit::SyncWal() {
  if (wal_path_.empty()) return Ok{};
  std::lock_guard lock(sync_mu_);
  // Linux may drop the pages a failed sync could not write and report the next sync clean:
  // after one failure nothing written through this WAL counts as durable until a restart.
  if (sync_failed_) return IoError("inventory: an earlier sync of " + wal_path_ + " failed");
  // The WAL keeps its inode while any connection is open; should it be replaced anyway (the
  // last connection closed it), the new file is the one to sync.
  struct stat st {};
  if (wal_fd_ >= 0 && (::stat(wal_path_.c_str(), &st) != 0 || st.st_ino != wal_ino_)) {
    ::close(wal_fd_);
    wal_fd_ = -1;
  }
  if (wal_fd_ < 0) {
    wal_fd_ = ::open(wal_path_.c_str(), O_RDWR | O_CLOEXEC);
    if (wal_fd_ < 0 && errno == ENOENT) return Ok{};  // nothing was ever written through it
    if (wal_fd_ < 0 || ::fstat(wal_fd_, &st) != 0)
      return IoError("inventory: open " + wal_path_ + ": " + std::strerror(errno));
    wal_ino_ = st.st_ino;
  }
  if (::fdatasync(wal_fd_) != 0) {
    sync_failed_ = true;
    return IoError("inventory: sync " + wal_path_ + ": " + std::strerror(errno));
  }
  return Ok{};
}

void GroupCommit::Loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || staged_ > durable_; });
    if (staged_ <= durable_) break;  // stopping, and everything is answered
    lock.unlock();
    // What piles up while this commit and sync run goes into the next batch.
    // A failed commit has marked its own tickets lost (CommitFn); the sync still covers what
    // was committed before it (by another writer's commit of the shared transaction).
    const uint64_t through = commit_().first;
    const bool synced = SyncWal().ok();
    lock.lock();
    if (!synced) AddLost(durable_, through);
    durable_ = std::max(durable_, through);
    std::vector<std::pair<bool, std::function<void(bool)>>> ready;
    for (auto it = waiters_.begin(); it != waiters_.end() && it->first <= durable_;) {
      ready.emplace_back(!Lost(it->first), std::move(it->second));
      it = waiters_.erase(it);
    }
    const uint64_t now_durable = durable_;
    lock.unlock();
    for (auto& [ok, done] : ready) done(ok);
    lock.lock();
    answered_.store(now_durable, std::memory_order_release);
    cv_.notify_all();  // WaitDurable: answered, callbacks included
  }
  // Stopped: anything still waiting (a ticket never staged) is told it was lost.
  running_ = false;
  auto rest = std::move(waiters_);
  waiters_.clear();
  lock.unlock();
  cv_.notify_all();
  for (auto& [ticket, done] : rest) done(false);
}

}  // namespace stepup
