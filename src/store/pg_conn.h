// libpq, wrapped for the PostgreSQL inventory: a connection that runs parameterised SQL and
// says why it failed (SQLSTATE, the constraint that clashed), and a small pool of them so
// several threads query at once. Only store/ sees libpq-fe.h.
#pragma once

#include <libpq-fe.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace stepup {

// Text parameters $1..$n; nullopt is SQL NULL.
using PgParams = std::vector<std::optional<std::string>>;

// The URL as it may be printed: its password, if any, replaced by ***.
std::string RedactPgUrl(const std::string& url);

// A statement's result, freed with it. Reads fields as text; integers parse from text.
class PgResult {
 public:
  PgResult() = default;
  PgResult(PGresult* r, std::string error) : r_(r, PQclear), error_(std::move(error)) {}
  bool ok() const { return error_.empty(); }
  // Why it failed ("" when it did not), in PostgreSQL's words.
  const std::string& error() const { return error_; }
  std::string sqlstate() const { return Field(PG_DIAG_SQLSTATE); }
  std::string constraint() const { return Field(PG_DIAG_CONSTRAINT_NAME); }
  int rows() const { return r_ ? PQntuples(r_.get()) : 0; }
  int64_t affected() const;
  std::string Text(int row, int col) const { return PQgetvalue(r_.get(), row, col); }
  bool Null(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  int64_t Int(int row, int col) const;

 private:
  std::string Field(int code) const {
    const char* f = r_ ? PQresultErrorField(r_.get(), code) : nullptr;
    return f ? f : "";
  }
  std::shared_ptr<PGresult> r_;
  std::string error_;
};

// One connection. Not thread-safe: a pool lease (or one owner thread) uses it at a time.
class PgConn {
 public:
  ~PgConn();
  // Connects to `url` (postgresql:// or postgres://); the error names the redacted URL.
  static Result<std::unique_ptr<PgConn>> Connect(const std::string& url);
  PgResult Exec(const std::string& sql, const PgParams& params = {});
  // Runs SQL that returns nothing it needs; an I/O error naming `what` on failure.
  Status Run(const std::string& sql, const std::string& what, const PgParams& params = {});
  // Runs several statements without parameters in one round trip; the last one's result.
  PgResult Simple(const std::string& sql);
  // `s` as an SQL string literal, quoted and escaped for this connection.
  std::string Literal(const std::string& s);
  // Runs several statements without parameters (a migration); an I/O error naming `what`.
  Status Script(const std::string& sql, const std::string& what);
  // After a failure: ends an open (failed) transaction; reconnects a broken connection.
  void Recover();
  bool InTransaction() const;

 private:
  PgResult Wrapped(PGresult* r);  // its error in PostgreSQL's words, if it failed
  PGconn* c_ = nullptr;
};

// Up to `size` connections to one database, opened as needed. Thread-safe.
class PgPool {
 public:
  class Lease {
   public:
    Lease(PgPool* pool, std::unique_ptr<PgConn> conn) : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) = default;
    ~Lease() {
      if (pool_ && conn_) pool_->Release(std::move(conn_));
    }
    PgConn* operator->() const { return conn_.get(); }
    PgConn& operator*() const { return *conn_; }

   private:
    PgPool* pool_;
    std::unique_ptr<PgConn> conn_;
  };

  PgPool(std::string url, size_t size) : url_(std::move(url)), size_(size) {}
  // A connection of its own until the lease ends (waits while all `size` are leased).
  Result<Lease> Acquire();

 private:
  void Release(std::unique_ptr<PgConn> conn);

  const std::string url_;
  const size_t size_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<PgConn>> idle_;
  size_t open_ = 0;  // connections in idle_ or leased
};

}  // namespace stepup
