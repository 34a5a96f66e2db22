// The batched phone-event writer of the PostgreSQL inventory (see pg_events.h).
#include "store/pg_events.h"

#include <algorithm>
#include <chrono>

#include "store/background_priority.h"

namespace stepup {
namespace {

constexpr size_t kChunk = 256;  // events per transaction of a batch

// A batched event of a device removed since it was queued is dropped (its history went with
// it), not retried forever against the foreign key.
constexpr const char* kInsertBatched =
    "INSERT INTO events(device_id, time, kind, detail, transport, peer) "
    "SELECT $1::bigint, $2::bigint, $3::text, $4::text, $5::text, $6::text "
    "WHERE EXISTS (SELECT 1 FROM devices WHERE id = $1::bigint) "
    "RETURNING id";

PgParams EventParams(int64_t device_id, const Event& e) {
  return {std::to_string(device_id), std::to_string(e.time), e.kind, e.detail, e.transport, e.peer};
}

}  // namespace

Status InsertPgEventRows(PgConn& conn, const std::vector<std::pair<int64_t, Event>>& rows) {
  for (const auto& [id, e] : rows) {
    PgParams p = EventParams(id, e);
    p.push_back(std::to_string(e.repeats));
    p.push_back(std::to_string(e.last_time));
    if (auto s =
            conn.Run("INSERT INTO events(device_id, time, kind, detail, transport, peer, repeats, "
                     "last_time) VALUES($1,$2,$3,$4,$5,$6,$7,$8)",
                     "append event", p);
        !s)
      return s;
  }
  return Ok{};
}

PgEventLog::~PgEventLog() { Close(); }

Status PgEventLog::Open(const std::string& url) {
  auto conn = PgConn::Connect(url);
  if (!conn) return conn.error();
  conn_ = std::move(conn).value();
  writer_ = std::thread([this] { WriterLoop(); });
  return Ok{};
}

void PgEventLog::Close() {
  {
    std::lock_guard lock(queue_mu_);
    stop_ = true;
  }
  queue_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  std::lock_guard lock(db_mu_);
  conn_.reset();
}

void PgEventLog::Append(int64_t device_id, const Event& e) {
  std::lock_guard lock(queue_mu_);
  queue_.emplace_back(device_id, e);  // the writer wakes on its own every 50 ms
}

void PgEventLog::EndRun(int64_t device_id) {
  // A marker (an event without a kind) ends the device's run in queue order.
  std::lock_guard lock(queue_mu_);
  queue_.emplace_back(device_id, Event{});
}

Status PgEventLog::Flush() {
  // The connection first, then the queue: a flush returns only once everything queued before
  // it is written, and batches commit in queue order.
  std::lock_guard lock(db_mu_);
  if (!conn_) return IoError("inventory: event log is closed");
  std::vector<std::pair<int64_t, Event>> batch;
  {
    std::lock_guard qlock(queue_mu_);
    batch.swap(queue_);
  }
  for (size_t at = 0; at < batch.size(); at += kChunk) {
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

// Caller holds db_mu_. One transaction; as SqliteEventLog::WriteBatch, an event repeating its
// device's current run is counted on the run's first event.
Status PgEventLog::WriteBatch(const std::vector<std::pair<int64_t, Event>>& batch) {
  PgConn& c = *conn_;
  auto fail = [this, &c](Error e) {
    runs_.clear();  // they may name rows the rollback removes
    c.Recover();
    return e;
  };
  if (runs_.size() > 100000) runs_.clear();  // bounded: the next repeats start new runs
  if (auto s = c.Run("BEGIN", "begin events"); !s) return fail(s.error());
  auto write_count = [&c](Run& r) -> Status {
    if (r.head.repeats == r.written) return Ok{};
    auto s = c.Run("UPDATE events SET repeats=$1, last_time=$2 WHERE id=$3", "count repeated event",
                   {std::to_string(r.head.repeats), std::to_string(r.head.last_time),
                    std::to_string(r.event_id)});
    r.written = r.head.repeats;
    return s;
  };
  std::vector<int64_t> counted;  // devices whose run has repeats not yet written
  for (const auto& [id, e] : batch) {
    auto run = runs_.find(id);
    if (e.kind.empty()) {  // a run-ending marker
      if (run != runs_.end()) {
        if (auto s = write_count(run->second); !s) return fail(s.error());
        runs_.erase(run);
      }
      continue;
    }
    if (run != runs_.end() && run->second.head.Repeats(e)) {
      if (++run->second.head.repeats == run->second.written + 1) counted.push_back(id);
      run->second.head.last_time = e.time;
      continue;
    }
    if (run != runs_.end()) {
      if (auto s = write_count(run->second); !s) return fail(s.error());
    }
    PgResult r = c.Exec(kInsertBatched, EventParams(id, e));
    if (!r.ok()) return fail(IoError("inventory: append event: " + r.error()));
    if (r.rows() == 0) {  // the device is gone
      if (run != runs_.end()) runs_.erase(run);
      continue;
    }
    runs_[id] = Run{r.Int(0, 0), e, 0};
  }
  for (int64_t id : counted) {
    auto run = runs_.find(id);
    if (run == runs_.end()) continue;
    if (auto s = write_count(run->second); !s) return fail(s.error());
  }
  if (auto s = c.Run("COMMIT", "commit events"); !s) return fail(s.error());
  return Ok{};
}

void PgEventLog::WriterLoop() {
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
