// A prepared SQLite statement, finalized with its owner; binds and reads columns by index.
// Not thread-safe: used under the mutex of its connection.
#pragma once

#include <sqlite3.h>
#include <time.h>

#include <cstdint>
#include <string>

#include "core/result.h"

namespace stepup {

// Runs SQL without results; the error is SQLite's message.
inline Status ExecSql(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return BadInput(msg);
  }
  return Ok{};
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
  Stmt(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &s_, nullptr); }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return s_ != nullptr; }
  sqlite3_stmt* get() { return s_; }
  void Reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  void Bind(int i, const std::string& v, bool null_if_empty = false) {
    if (null_if_empty && v.empty()) {
      sqlite3_bind_null(s_, i);
    } else {
      sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    }
  }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); }
  std::string Text(int col) {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s_, col))) : std::string();
  }
  int64_t Int(int col) { return sqlite3_column_int64(s_, col); }

 private:
  sqlite3_stmt* s_ = nullptr;
};

}  // namespace stepup
