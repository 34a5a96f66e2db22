// The shared state of nodes on one PostgreSQL database (app/shared_state.h). An address is held
// with a transaction-scoped advisory lock, so a node that dies lets go of it with its session;
// its state is one row of shared_state. The download slots are rows of download_slots, taken by
// one function call under a lock of their own; the leader is the node whose session holds a
// third lock. Both tables are working state, not the fleet's record: they are created on a
// node's first start (outside the inventory's migrations) and `db export` leaves them out.
#include <mutex>

#include "store/inventory.h"
#include "store/pg_conn.h"

namespace stepup {
namespace {

// Advisory lock keys (class, key): addresses in class 7 (key: hashtext of the address); the
// slots, the schema set-up and the leader each one key of class 8.
constexpr const char* kSetUp = R"sql(
BEGIN;
SELECT pg_advisory_xact_lock(8, 1);
CREATE TABLE IF NOT EXISTS shared_state (
  address TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  due_ms BIGINT
);
CREATE INDEX IF NOT EXISTS shared_state_due ON shared_state(due_ms) WHERE due_ms IS NOT NULL;
CREATE TABLE IF NOT EXISTS download_slots (
  device_id BIGINT PRIMARY KEY,
  expires_ms BIGINT NOT NULL
);
CREATE OR REPLACE FUNCTION stepup_take_slot(dev BIGINT, cap BIGINT, now_ms BIGINT, hold BIGINT)
RETURNS BOOLEAN LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(8, 2);
  UPDATE download_slots SET expires_ms = now_ms + hold WHERE device_id = dev;
  IF FOUND THEN RETURN TRUE; END IF;
  IF (SELECT count(*) FROM download_slots WHERE expires_ms > now_ms) >= cap THEN
    RETURN FALSE;
  END IF;
  DELETE FROM download_slots WHERE expires_ms <= now_ms;
  INSERT INTO download_slots(device_id, expires_ms) VALUES (dev, now_ms + hold);
  RETURN TRUE;
END $$;
COMMIT;
)sql";

constexpr size_t kPoolSize = 16;  // addresses held at once by one node's threads

Error Failed(const std::string& what, const std::string& why) {
  return IoError("shared state: " + what + ": " + why);
}

class PgSharedState final : public SharedState {
 public:
  explicit PgSharedState(std::string url) : url_(std::move(url)), pool_(url_, kPoolSize) {}

  Status Open() {
    auto lease = pool_.Acquire();
    if (!lease) return lease.error();
    return (*lease)->Script(kSetUp, "shared state tables");
  }

  class PgLease final : public Lease {
   public:
    PgLease(PgPool::Lease conn, std::string literal, std::string stored)
        : conn_(std::move(conn)), literal_(std::move(literal)), stored_(std::move(stored)) {}
    ~PgLease() override {
      if (!done_) (void)conn_->Simple("COMMIT");
    }
    const std::string& Stored() const override { return stored_; }
    Status Write(const std::string& state, std::optional<int64_t> due_ms) override {
      done_ = true;
      std::string sql =
          state.empty()
              ? "DELETE FROM shared_state WHERE address=" + literal_
              : "INSERT INTO shared_state(address, state, due_ms) VALUES(" + literal_ + "," +
                    conn_->Literal(state) + "," + (due_ms ? std::to_string(*due_ms) : "NULL") +
                    ") ON CONFLICT (address) DO UPDATE SET state=EXCLUDED.state, "
                    "due_ms=EXCLUDED.due_ms";
      PgResult r = conn_->Simple(sql + "; COMMIT");
      if (!r.ok()) return Failed("write the state of " + literal_, r.error());
      return Ok{};
    }

   private:
    PgPool::Lease conn_;
    std::string literal_;
    std::string stored_;
    bool done_ = false;
  };

  Result<std::unique_ptr<Lease>> Hold(const std::string& address) override {
    auto conn = pool_.Acquire();
    if (!conn) return conn.error();
    std::string literal = (*conn)->Literal(address);
    // One round trip: the transaction, the address's lock, its state.
    PgResult r = (*conn)->Simple("BEGIN; SELECT pg_advisory_xact_lock(7, hashtext(" + literal +
                                 ")); SELECT state FROM shared_state WHERE address=" + literal);
    if (!r.ok()) return Failed("hold " + literal, r.error());
    std::string stored = r.rows() > 0 ? r.Text(0, 0) : "";
    return std::unique_ptr<Lease>(
        new PgLease(std::move(conn).value(), std::move(literal), std::move(stored)));
  }

  Result<std::vector<std::string>> Due(int64_t now_ms, int limit) override {
    auto conn = pool_.Acquire();
    if (!conn) return conn.error();
    PgResult r = (*conn)->Exec(
        "SELECT address FROM shared_state WHERE due_ms <= $1 ORDER BY due_ms LIMIT $2",
        {std::to_string(now_ms), std::to_string(limit)});
    if (!r.ok()) return Failed("addresses due", r.error());
    std::vector<std::string> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(r.Text(i, 0));
    return out;
  }

  Result<bool> TakeSlot(int64_t device, int cap, int64_t now_ms, int64_t hold_ms) override {
    auto r = Slots("SELECT stepup_take_slot($1, $2, $3, $4)",
                   {std::to_string(device), std::to_string(cap), std::to_string(now_ms),
                    std::to_string(hold_ms)});
    if (!r) return r.error();
    return r->Text(0, 0) == "t";
  }
  Status RefreshSlot(int64_t device, int64_t now_ms, int64_t hold_ms) override {
    auto r = Slots("UPDATE download_slots SET expires_ms=$2 WHERE device_id=$1",
                   {std::to_string(device), std::to_string(now_ms + hold_ms)});
    if (!r) return r.error();
    return Ok{};
  }
  Status ReleaseSlot(int64_t device) override {
    auto r = Slots("DELETE FROM download_slots WHERE device_id=$1", {std::to_string(device)});
    if (!r) return r.error();
    return Ok{};
  }
  Result<int64_t> SlotsHeld(int64_t now_ms) override {
    auto r = Slots("SELECT count(*) FROM download_slots WHERE expires_ms > $1",
                   {std::to_string(now_ms)});
    if (!r) return r.error();
    return r->Int(0, 0);
  }

  bool Lead() override {
    std::lock_guard lock(lead_mu_);
    if (!leader_) {
      auto conn = PgConn::Connect(url_);
      if (!conn) return false;
      leader_ = std::move(conn).value();
    }
    // Held for the session: asking again while it holds it says yes (and stacks, harmlessly).
    PgResult r = leader_->Exec("SELECT pg_try_advisory_lock(8, 3)");
    if (!r.ok()) {
      leader_.reset();  // a new session next time, which may have to wait for the lock
      return false;
    }
    return r.Text(0, 0) == "t";
  }

 private:
  Result<PgResult> Slots(const std::string& sql, const PgParams& params) {
    auto conn = pool_.Acquire();
    if (!conn) return conn.error();
    PgResult r = (*conn)->Exec(sql, params);
    if (!r.ok()) return Failed("download slots", r.error());
    return r;
  }

  const std::string url_;
  PgPool pool_;
  std::mutex lead_mu_;
  std::unique_ptr<PgConn> leader_;
};

}  // namespace

Result<std::unique_ptr<SharedState>> OpenSharedState(const std::string& url) {
  if (!IsPostgresUrl(url)) return std::unique_ptr<SharedState>();
  auto s = std::make_unique<PgSharedState>(url);
  if (auto opened = s->Open(); !opened) return opened.error();
  return std::unique_ptr<SharedState>(std::move(s));
}

}  // namespace stepup
