// libpq connections and their pool (see pg_conn.h).
#include "store/pg_conn.h"

#include <cstdlib>

#include "store/inventory.h"

namespace stepup {
namespace {

std::string Trimmed(const char* message) {
  std::string s = message ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

std::string RedactPgUrl(const std::string& url) {
  // scheme://user:password@host... and ...?password=... (libpq accepts both).
  std::string out = url;
  const size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    const size_t start = scheme + 3;
    const size_t end = out.find_first_of("/?", start);
    const size_t at = out.rfind('@', end == std::string::npos ? out.size() - 1 : end);
    if (at != std::string::npos && at >= start) {
      const size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  for (size_t at = out.find("password="); at != std::string::npos;
       at = out.find("password=", at + 1)) {
    if (at == 0 || (out[at - 1] != '?' && out[at - 1] != '&')) continue;
    const size_t from = at + 9, end = out.find('&', from);
    out.replace(from, (end == std::string::npos ? out.size() : end) - from, "***");
  }
  return out;
}

std::string RedactInventoryUrl(const std::string& url) { return RedactPgUrl(url); }

int64_t PgResult::affected() const {
  const char* n = r_ ? PQcmdTuples(r_.get()) : nullptr;
  return n && *n ? std::strtoll(n, nullptr, 10) : 0;
}

int64_t PgResult::Int(int row, int col) const {
  return std::strtoll(PQgetvalue(r_.get(), row, col), nullptr, 10);
}

PgConn::~PgConn() {
  if (c_) PQfinish(c_);
}

Result<std::unique_ptr<PgConn>> PgConn::Connect(const std::string& url) {
  auto conn = std::make_unique<PgConn>();
  conn->c_ = PQconnectdb(url.c_str());
  if (!conn->c_) return IoError("inventory \"" + RedactPgUrl(url) + "\": out of memory");
  if (PQstatus(conn->c_) != CONNECTION_OK) {
    return IoError("inventory \"" + RedactPgUrl(url) +
                   "\": cannot connect: " + Trimmed(PQerrorMessage(conn->c_)));
  }
  // Notices (e.g. "relation already exists, skipping") are not the operator's business.
  PQsetNoticeProcessor(
      conn->c_, [](void*, const char*) {}, nullptr);
  return conn;
}

PgResult PgConn::Exec(const std::string& sql, const PgParams& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  return Wrapped(PQexecParams(c_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                              values.data(), nullptr, nullptr, 0));
}

PgResult PgConn::Wrapped(PGresult* r) {
  const ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return PgResult(r, "");
  std::string why = Trimmed(r ? PQresultErrorMessage(r) : PQerrorMessage(c_));
  if (why.empty()) why = "PostgreSQL failed without saying why";
  return PgResult(r, why);
}

PgResult PgConn::Simple(const std::string& sql) { return Wrapped(PQexec(c_, sql.c_str())); }

std::string PgConn::Literal(const std::string& s) {
  char* q = PQescapeLiteral(c_, s.data(), s.size());
  if (!q) return "NULL";  // only when out of memory or not valid in the encoding
  std::string out = q;
  PQfreemem(q);
  return out;
}

Status PgConn::Run(const std::string& sql, const std::string& what, const PgParams& params) {
  PgResult r = Exec(sql, params);
  if (!r.ok()) return IoError("inventory: " + what + ": " + r.error());
  return Ok{};
}

Status PgConn::Script(const std::string& sql, const std::string& what) {
  PGresult* r = PQexec(c_, sql.c_str());
  const ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  std::string why = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK
                        ? ""
                        : Trimmed(r ? PQresultErrorMessage(r) : PQerrorMessage(c_));
  PQclear(r);
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return Ok{};
  return IoError("inventory: " + what + ": " + (why.empty() ? "PostgreSQL failed" : why));
}

bool PgConn::InTransaction() const { return PQtransactionStatus(c_) != PQTRANS_IDLE; }

void PgConn::Recover() {
  if (PQstatus(c_) == CONNECTION_BAD) {
    PQreset(c_);
    if (PQstatus(c_) == CONNECTION_OK)
      PQsetNoticeProcessor(
          c_, [](void*, const char*) {}, nullptr);
    return;
  }
  if (InTransaction()) PQclear(PQexec(c_, "ROLLBACK"));
}

Result<PgPool::Lease> PgPool::Acquire() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return !idle_.empty() || open_ < size_; });
  if (!idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(conn));
  }
  ++open_;
  lock.unlock();
  auto conn = PgConn::Connect(url_);
  if (!conn) {
    lock.lock();
    --open_;
    cv_.notify_one();
    return conn.error();
  }
  return Lease(this, std::move(conn).value());
}

void PgPool::Release(std::unique_ptr<PgConn> conn) {
  // A lease that failed mid-transaction, or lost its server, is mended before reuse.
  conn->Recover();
  std::lock_guard lock(mu_);
  idle_.push_back(std::move(conn));
  cv_.notify_one();
}

}  // namespace stepup
