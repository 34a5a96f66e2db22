// The PostgreSQL inventory's phone-event log, as SQLite's (sqlite_events.h): events recorded
// from phone traffic are queued and written by a background thread on its own connection, in
// one transaction every 50 ms (contract.md: at most 200 ms behind); a device's repeated
// identical events are one row with a count (Event::repeats).
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/device.h"
#include "core/result.h"
#include "store/pg_conn.h"

namespace stepup {

// Inserts events (with their counts) within the transaction `conn` has open.
Status InsertPgEventRows(PgConn& conn, const std::vector<std::pair<int64_t, Event>>& rows);

class PgEventLog {
 public:
  PgEventLog() = default;
  ~PgEventLog();
  PgEventLog(const PgEventLog&) = delete;
  PgEventLog& operator=(const PgEventLog&) = delete;

  // Opens its connection to the (already migrated) database and starts the writer.
  Status Open(const std::string& url);
  // Writes what is queued and stops the writer.
  void Close();
  // Queues an event; it is written within the next batch.
  void Append(int64_t device_id, const Event& e);
  // The device's next event is not a repeat of what is queued before this call.
  void EndRun(int64_t device_id);
  // Writes what is queued now; on failure the events stay queued for the next try.
  Status Flush();

 private:
  Status WriteBatch(const std::vector<std::pair<int64_t, Event>>& batch);
  void WriterLoop();

  std::mutex db_mu_;  // guards conn_ and runs_
  std::unique_ptr<PgConn> conn_;
  struct Run {
    int64_t event_id = 0;  // the run's first event, which carries the count
    Event head;
    int64_t written = 0;  // repeats already in the database
  };
  std::unordered_map<int64_t, Run> runs_;  // device -> its current run of repeated events
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::vector<std::pair<int64_t, Event>> queue_;
  bool stop_ = false;
  std::thread writer_;
};

}  // namespace stepup
