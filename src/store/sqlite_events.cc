// The batched phone-event writer of the SQLite inventory (see sqlite_events.h).
#include "store/sqlite_events.h"

#include <sched.h>

#include <algorithm>
#include <chrono>

#include "store/background_priority.h"
#include "store/sqlite_stmt.h"

namespace stepup {
namespace {

constexpr size_t kChunk = 256;  // events per transaction of a batch

constexpr const char* kInsertEvent =
    "INSERT INTO events(device_id, time, kind, detail, transport, peer) VALUES(?1,?2,?3,?4,?5,?6)";

void BindEvent(Stmt& st, int64_t device_id, const Event& e) {
  st.Bind(1, device_id);
  st.Bind(2, e.time);
  st.Bind(3, e.kind);
  st.Bind(4, e.detail);
  st.Bind(5, e.transport);
  st.Bind(6, e.peer);
}

// The error naming what failed and SQLite's reason (`why`, else the connection's message).
Error Failed(sqlite3* db, const char* what, const std::string& why = "") {
  return IoError(std::string("inventory: ") + what + ": " +
                 (why.empty() ? sqlite3_errmsg(db) : why));
}

}  // namespace

Status InsertEventRows(sqlite3* db, const std::vector<std::pair<int64_t, Event>>& batch,
                       bool own_transaction) {
  auto fail = [db, own_transaction](const char* what, const std::string& why = "") -> Error {
    Error e = Failed(db, what, why);
    return own_transaction ? RollBackWith(db, std::move(e)) : e;
  };
  if (own_transaction) {
    if (auto s = ExecSql(db, "BEGIN IMMEDIATE"); !s) return fail("begin", s.error().message);
  }
  Stmt st(db, kInsertEvent);
  for (const auto& [id, e] : batch) {
    BindEvent(st, id, e);
    int rc = st.Step();
    st.Reset();
    if (rc != SQLITE_DONE) return fail("append event", st.error());
  }
  if (own_transaction) {
    if (auto s = ExecSql(db, "COMMIT"); !s) return fail("commit events", s.error().message);
  }
  return Ok{};
}

SqliteEventLog::~SqliteEventLog() { Close(); }

Status SqliteEventLog::Open(const std::string& path) {
  // Its own connection, so event commits never hold up requests reading devices (WAL:
  // readers do not wait for the writer).
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
    Close();
    return IoError("inventory \"" + path + "\": cannot open a second connection: " + why);
  }
  WaitBriefly(db_);
  // Checkpoints run here, and only once the WAL holds 32 MiB: a page written by many
  // batches is copied back into the database once.
  for (const char* pragma : {"PRAGMA synchronous=NORMAL", "PRAGMA cache_size=-65536",
                             "PRAGMA wal_autocheckpoint=8192"}) {
    if (auto s = ExecSql(db_, pragma); !s) {
      Close();
      return IoError("inventory \"" + path + "\": " + pragma + ": " + s.error().message);
    }
  }
  writer_ = std::thread([this] { WriterLoop(); });
  return Ok{};
}

void SqliteEventLog::Close() {
  {
    std::lock_guard lock(queue_mu_);
    stop_ = true;
  }
  queue_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  std::lock_guard lock(db_mu_);
  if (db_) sqlite3_close(db_);
  db_ = nullptr;
}

void SqliteEventLog::Append(int64_t device_id, const Event& e) {
  std::lock_guard lock(queue_mu_);
  queue_.emplace_back(device_id, e);  // the writer wakes on its own every 50 ms
}

void SqliteEventLog::EndRun(int64_t device_id) {
  // A marker (an event without a kind) ends the device's run in queue order, after the
  // batched events already waiting.
  std::lock_guard lock(queue_mu_);
  queue_.emplace_back(device_id, Event{});
}

Status SqliteEventLog::Flush() {
  // The connection first, then the queue: a flush returns only once everything queued before
  // it is written (not while another thread's batch is still being committed), and batches
  // commit in queue order.
  std::lock_guard lock(db_mu_);
  if (!db_) return IoError("inventory: event log is closed");
  std::vector<std::pair<int64_t, Event>> batch;
  {
    std::lock_guard qlock(queue_mu_);
    batch.swap(queue_);
  }
  // In transactions of at most kChunk events, yielding the core between them: a batch of a
  // busy second (thousands of requests) is then written in pauses of a fraction of a
  // millisecond, not one pause of several that every request waiting for a core sits behind
  // (bench/http, p99). Batched events may be written in several transactions (contract.md).
  for (size_t at = 0; at < batch.size(); at += kChunk) {
    if (at > 0) sched_yield();
    const size_t end = std::min(batch.size(), at + kChunk);
    std::vector<std::pair<int64_t, Event>> chunk(batch.begin() + at, batch.begin() + end);
    if (Status s = WriteBatch(chunk); !s) {  // keep the rest for the next flush, not lose it
      std::lock_guard qlock(queue_mu_);
      queue_.insert(queue_.begin(), batch.begin() + at, batch.end());
      return s;
    }
  }
  return Ok{};
}

// Caller holds db_mu_. One transaction: an event that repeats its device's current run
// (a phone asking for the same thing again and again) is counted on the run's first event,
// so a device's history grows with what changes, not with how often it asks; the rest are
// inserted. The runs live in memory: after a restart a repeat starts a new run.
Status SqliteEventLog::WriteBatch(const std::vector<std::pair<int64_t, Event>>& batch) {
  sqlite3* db = db_;
  auto fail = [this, db](const char* what, const std::string& why) {
    runs_.clear();  // they may name rows the rollback removes
    return RollBackWith(db, Failed(db, what, why));
  };
  if (runs_.size() > 100000) runs_.clear();  // bounded: the next repeats start new runs
  if (auto s = ExecSql(db, "BEGIN IMMEDIATE"); !s) return fail("begin", s.error().message);
  Stmt insert(db, kInsertEvent);
  Stmt count(db, "UPDATE events SET repeats=?1, last_time=?2 WHERE id=?3");
  // False (count.error() says why) when the count could not be written.
  auto write_count = [&count](Run& r) {
    if (r.head.repeats == r.written) return true;
    count.Bind(1, r.head.repeats);
    count.Bind(2, r.head.last_time);
    count.Bind(3, r.event_id);
    const int rc = count.Step();
    count.Reset();
    r.written = r.head.repeats;
    return rc == SQLITE_DONE;
  };
  std::vector<int64_t> counted;  // devices whose run has repeats not yet written
  for (const auto& [id, e] : batch) {
    auto run = runs_.find(id);
    if (e.kind.empty()) {  // a run-ending marker (see AppendEvent)
      if (run != runs_.end() && !write_count(run->second))
        return fail("count repeated event", count.error());
      if (run != runs_.end()) runs_.erase(run);
      continue;
    }
    if (run != runs_.end() && run->second.head.Repeats(e)) {
      if (++run->second.head.repeats == run->second.written + 1) counted.push_back(id);
      run->second.head.last_time = e.time;
      continue;
    }
    if (run != runs_.end() && !write_count(run->second))
      return fail("count repeated event", count.error());
    BindEvent(insert, id, e);
    const int rc = insert.Step();
    insert.Reset();
    if (rc != SQLITE_DONE) return fail("append event", insert.error());
    runs_[id] = Run{sqlite3_last_insert_rowid(db), e, 0};
  }
  for (int64_t id : counted) {
    auto run = runs_.find(id);
    if (run != runs_.end() && !write_count(run->second))
      return fail("count repeated event", count.error());
  }
  if (auto s = ExecSql(db, "COMMIT"); !s) return fail("commit events", s.error().message);
  return Ok{};
}

void SqliteEventLog::WriterLoop() {
  YieldToAnsweringThreads();
  std::unique_lock lock(queue_mu_);
  while (!stop_) {
    queue_cv_.wait_for(lock, std::chrono::milliseconds(50), [this] { return stop_; });
    lock.unlock();
    (void)Flush();  // a failure here is retried with the next batch's flush
    lock.lock();
  }
  lock.unlock();
  (void)Flush();
}

}  // namespace stepup
