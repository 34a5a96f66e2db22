// A prepared SQLite statement, finalized with its owner; binds and reads columns by index.
// Every SQLite call's result is checked: a failed prepare or bind makes the next Step fail
// with SQLite's message (error()), so no failure passes silently. Not thread-safe: used under
// the mutex of its connection.
#pragma once

#include <sqlite3.h>
#include <time.h>

#include <cstdint>
#include <string>

#include "core/result.h"

namespace stepup {

// Runs SQL without results; the error (an I/O error: the database failed) is SQLite's message.
inline Status ExecSql(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db);
    sqlite3_free(err);
    return IoError(msg);
  }
  return Ok{};
}

// Ends a failed transaction (or savepoint: `sql`) and returns `e`, with the rollback's own
// failure added to its message when there is one. Nothing to do when SQLite has rolled the
// transaction back by itself (disk full, I/O error).
inline Error RollBackWith(sqlite3* db, Error e, const char* sql = "ROLLBACK") {
  if (sqlite3_get_autocommit(db)) return e;
  if (auto s = ExecSql(db, sql); !s)
    e.message += " (then " + std::string(sql) + ": " + s.error().message + ")";
  return e;
}

// Waits for a lock another connection holds by polling every 100 microseconds, for 5 s at
// most. SQLite's own busy timeout sleeps up to 100 ms a try: a connection that writes now and
// then (phone events) would lose every race for the write lock to one that commits without
// pause (hop progress in a boot storm) and fall seconds behind.
inline void WaitBriefly(sqlite3* db) {
  sqlite3_busy_handler(
      db,
      [](void*, int tries) {
        if (tries >= 50000) return 0;
        struct timespec ts {
          0, 100000
        };
        nanosleep(&ts, nullptr);
        return 1;
      },
      nullptr);
}

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    Check(sqlite3_prepare_v2(db, sql, -1, &s_, nullptr));
    prepared_ = s_ != nullptr && pending_ == SQLITE_OK;
    if (!s_ && pending_ == SQLITE_OK) Fail(SQLITE_ERROR, "empty statement");
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return prepared_; }
  // One step: SQLITE_ROW, SQLITE_DONE, or an error code (of the step, the prepare, or the first
  // failed bind since Reset), whose message error() then holds.
  [[nodiscard]] int Step() {
    if (pending_ != SQLITE_OK) return pending_;
    const int rc = sqlite3_step(s_);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) error_ = sqlite3_errmsg(db_);
    return rc;
  }
  // SQLite's message for the last failure.
  const std::string& error() const { return error_; }
  // Ready to bind and step again (a step's error was reported by Step; reset repeats it).
  void Reset() {
    if (!prepared_) return;
    (void)sqlite3_reset(s_);
    (void)sqlite3_clear_bindings(s_);  // always SQLITE_OK
    pending_ = SQLITE_OK;
  }
  void Bind(int i, const std::string& v, bool null_if_empty = false) {
    if (null_if_empty && v.empty()) {
      Check(sqlite3_bind_null(s_, i));
    } else {
      Check(sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    }
  }
  void Bind(int i, int64_t v) { Check(sqlite3_bind_int64(s_, i, v)); }
  std::string Text(int col) {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s_, col))) : std::string();
  }
  int64_t Int(int col) { return sqlite3_column_int64(s_, col); }

 private:
  void Check(int rc) {
    if (rc != SQLITE_OK && pending_ == SQLITE_OK) Fail(rc, sqlite3_errmsg(db_));
  }
  void Fail(int rc, const std::string& message) {
    pending_ = rc;
    error_ = message;
  }

  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
  bool prepared_ = false;
  int pending_ = SQLITE_OK;  // a failed prepare (for good) or bind (until Reset)
  std::string error_;
};

}  // namespace stepup
