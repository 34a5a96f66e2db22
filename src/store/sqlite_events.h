// The SQLite inventory's phone-event log: events recorded from phone traffic are queued and
// written by a background thread on its own connection, in one transaction every 50 ms
// (contract.md: at most 200 ms behind). A device's repeated identical events (a phone asking
// for the same thing again and again) are one row with a count (Event::repeats), so its
// history grows with what changes, not with how often it asks.
// Thread-safe.
#pragma once

#include <sqlite3.h>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/device.h"
#include "core/result.h"

namespace stepup {

// Inserts events in one transaction on `db` (caller holds the connection's lock), or, with
// `own_transaction` false, within the transaction the caller has open.
Status InsertEventRows(sqlite3* db, const std::vector<std::pair<int64_t, Event>>& batch,
                       bool own_transaction = true);

class SqliteEventLog {
 public:
  SqliteEventLog() = default;
  ~SqliteEventLog();
  SqliteEventLog(const SqliteEventLog&) = delete;
  SqliteEventLog& operator=(const SqliteEventLog&) = delete;

  // Opens its connection to the (already migrated) database and starts the writer.
  Status Open(const std::string& path);
  // Writes what is queued and stops the writer.
  void Close();
  // Queues an event; it is written within the next batch.
  void Append(int64_t device_id, const Event& e);
  // The device's next event is not a repeat of what is queued before this call (an event
  // written elsewhere came in between).
  void EndRun(int64_t device_id);
  // Writes what is queued now; on failure the events stay queued for the next try.
  Status Flush();

 private:
  Status WriteBatch(const std::vector<std::pair<int64_t, Event>>& batch);
  void WriterLoop();

  std::mutex db_mu_;  // guards db_ and runs_
  sqlite3* db_ = nullptr;
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
