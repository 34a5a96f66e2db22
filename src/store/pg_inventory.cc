// The PostgreSQL Inventory: a small pool of connections (several threads query at once), the
// SQLite inventory's schema and migrations (pg_schema.h), phone events written in batches by
// a background thread every 50 ms (pg_events.h). Every other write commits before it returns;
// hop progress is committed at once (ticket 0). Devices are not cached: every read asks the
// server, so another node's writes are seen at once; DevicesVersion is re-read at most once a
// millisecond.
#include "store/pg_inventory.h"

#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>

#include "store/pg_conn.h"
#include "store/pg_events.h"
#include "store/pg_schema.h"

namespace stepup {
namespace {

constexpr size_t kPoolSize = 8;

constexpr const char* kEventColumns = "time, kind, detail, transport, peer, repeats, last_time";

Event ReadEvent(const PgResult& r, int row, int first) {
  return {r.Int(row, first),      r.Text(row, first + 1), r.Text(row, first + 2),
          r.Text(row, first + 3), r.Text(row, first + 4), r.Int(row, first + 5),
          r.Int(row, first + 6)};
}

// Byte order, as SQLite sorts: the database's collation must not reorder names.
constexpr const char* kSelectGroups =
    "SELECT name, target, \"window\", paused, resync_at, created, updated, settings "
    "FROM rollout_groups ORDER BY name COLLATE \"C\"";

RolloutGroup ReadGroup(const PgResult& r, int row) {
  RolloutGroup g{r.Text(row, 0), r.Text(row, 1), r.Text(row, 2), r.Int(row, 3) != 0,
                 r.Int(row, 4),  r.Int(row, 5),  r.Int(row, 6),  {}};
  auto settings = nlohmann::json::parse(r.Text(row, 7), nullptr, false);
  if (settings.is_object()) g.settings = settings.get<Settings>();
  return g;
}

Error Failed(const std::string& what, const PgResult& r) {
  return IoError("inventory: " + what + ": " + r.error());
}

// A device write that failed: a clash with another device is the operator's (kBadInput,
// naming the MAC or serial, as SQLite's and the in-memory inventory's errors do).
Error DeviceWriteFailed(const std::string& what, const Device& d, const PgResult& r) {
  if (r.sqlstate() == "23505") {  // unique_violation
    if (r.constraint() == "devices_mac_key")
      return BadInput("device with MAC " + d.mac + " is already in the inventory");
    if (r.constraint() == "devices_serial_key")
      return BadInput("device with serial " + d.serial + " is already in the inventory");
    if (r.constraint() == "devices_pkey")
      return BadInput("device " + d.key() + ": id " + std::to_string(d.id) + " is taken");
  }
  if (r.sqlstate() == "23514")  // check_violation: neither MAC nor serial
    return BadInput("device of model " + d.model + " has neither a MAC nor a serial");
  return Failed(what + " " + d.key(), r);
}

std::string Placeholders(int from, int to) {
  std::string out;
  for (int i = from; i <= to; ++i) out += (i > from ? ",$" : "$") + std::to_string(i);
  return out;
}

class PgInventory : public Inventory {
 public:
  explicit PgInventory(std::string url) : url_(std::move(url)), pool_(url_, kPoolSize) {}
  ~PgInventory() override { events_.Close(); }

  Result<int64_t> Open() {
    auto lease = pool_.Acquire();
    if (!lease) return lease.error();
    auto version = MigratePgSchema(**lease);
    if (!version) return Named(version.error());
    if (auto s = events_.Open(url_); !s) return s.error();
    return version;
  }

  Result<Device> Add(const Device& d) override {
    Device stored = d;
    Status s = Transaction([&](PgConn& c) -> Status {
      auto id = Insert(c, d, false);
      if (!id) return id.error();
      stored.id = *id;
      return Ok{};
    });
    if (!s) return s.error();
    return stored;
  }

  Status AddAll(const std::vector<Device>& devices) override {
    return Transaction([&](PgConn& c) -> Status {
      for (const auto& d : devices) {
        if (auto id = Insert(c, d, false); !id) return id.error();
      }
      return Ok{};
    });
  }

  Status Update(const Device& d) override {
    return Transaction([&](PgConn& c) { return WriteDevice(c, d); });
  }

  Status Remove(int64_t id) override {
    if (auto s = Flush(); !s) return s;  // no batched event of it is left to insert
    Status s = Transaction([&](PgConn& c) -> Status {
      const PgParams p{std::to_string(id)};
      if (auto s =
              c.Run("DELETE FROM events WHERE device_id=$1", "remove the events of a device", p);
          !s)
        return s;
      PgResult r = c.Exec("DELETE FROM devices WHERE id=$1", p);
      if (!r.ok()) return Failed("remove a device", r);
      if (r.affected() == 0) return Unknown("inventory: no device with id " + std::to_string(id));
      return Ok{};
    });
    if (s) events_.EndRun(id);
    return s;
  }

  // Committed before it returns (ticket 0): one commit per progress, not one per group.
  Result<uint64_t> RecordProgress(const Device& d, const std::vector<Event>& events) override {
    Status s = Transaction([&](PgConn& c) -> Status {
      if (auto s = WriteDevice(c, d); !s) return s;
      if (events.empty()) return Ok{};
      events_.EndRun(d.id);
      std::vector<std::pair<int64_t, Event>> rows;
      for (const auto& e : events) rows.emplace_back(d.id, e);
      return InsertPgEventRows(c, rows);
    });
    if (!s) return s.error();
    return uint64_t{0};
  }

  Result<std::optional<Device>> FindByMac(const std::string& mac) override {
    return FindOne("mac", mac);
  }
  Result<std::optional<Device>> FindBySerial(const std::string& serial) override {
    return FindOne("serial", serial);
  }
  Result<std::optional<Device>> FindById(int64_t id) override {
    return FindOne("id", std::to_string(id));
  }

  Result<std::vector<Device>> List() override {
    return Query(std::string("SELECT ") + kPgDeviceColumns + " FROM devices ORDER BY id", {},
                 "list devices", ReadPgDevice);
  }

  Status AppendEvent(int64_t device_id, const Event& e, bool batched) override {
    if (batched) {
      events_.Append(device_id, e);
      return Ok{};
    }
    events_.EndRun(device_id);
    return WithConn([&](PgConn& c) -> Status { return InsertPgEventRows(c, {{device_id, e}}); });
  }

  Result<std::vector<Event>> Events(int64_t device_id) override {
    if (auto s = Flush(); !s) return s.error();
    return Query(
        std::string("SELECT ") + kEventColumns + " FROM events WHERE device_id=$1 ORDER BY id",
        {std::to_string(device_id)}, "read events",
        [](const PgResult& r, int row) { return ReadEvent(r, row, 0); });
  }

  Result<std::vector<std::pair<int64_t, Event>>> EventsOfKind(const std::string& kind) override {
    if (auto s = Flush(); !s) return s.error();
    return Query(std::string("SELECT device_id, ") + kEventColumns +
                     " FROM events WHERE kind=$1 ORDER BY time, id",
                 {kind}, "read events of kind " + kind, [](const PgResult& r, int row) {
                   return std::pair<int64_t, Event>(r.Int(row, 0), ReadEvent(r, row, 1));
                 });
  }

  Status RecordUnknown(const UnknownAttempt& a) override {
    return WithConn([&](PgConn& c) {
      return c.Run(
          "INSERT INTO unknown_attempts(time, kind, detail, transport, peer, claimed) "
          "VALUES($1,$2,$3,$4,$5,$6)",
          "record unknown attempt",
          {std::to_string(a.event.time), a.event.kind, a.event.detail, a.event.transport,
           a.event.peer, a.claimed});
    });
  }

  Result<std::vector<UnknownAttempt>> UnknownAttempts() override {
    return Query(
        "SELECT time, kind, detail, transport, peer, 0, 0, claimed FROM unknown_attempts "
        "ORDER BY id",
        {}, "read unknown attempts", [](const PgResult& r, int row) {
          return UnknownAttempt{ReadEvent(r, row, 0), r.Text(row, 7)};
        });
  }

  Result<std::vector<RolloutGroup>> Groups() override {
    return Query(kSelectGroups, {}, "read rollout groups", ReadGroup);
  }

  Status PutGroup(const RolloutGroup& g) override {
    return Transaction([&](PgConn& c) { return InsertGroup(c, g, true); });
  }

  Status RemoveGroup(const std::string& name) override {
    return Transaction([&](PgConn& c) -> Status {
      PgResult r = c.Exec("DELETE FROM rollout_groups WHERE name=$1", {name});
      if (!r.ok()) return Failed("remove rollout group " + name, r);
      if (r.affected() == 0) return Unknown("no rollout group \"" + name + "\"");
      return Ok{};
    });
  }

  Status Flush() override { return events_.Flush(); }

  int64_t DevicesVersion() override {
    std::lock_guard lock(version_mu_);
    const auto now = std::chrono::steady_clock::now();
    if (!stale_ && version_ >= 0 && now - checked_at_ < std::chrono::milliseconds(1))
      return version_;
    auto read = Query("SELECT value FROM meta WHERE key='devices_version'", {}, "devices version",
                      [](const PgResult& r, int row) { return r.Int(row, 0); });
    version_ = read && read->size() == 1 ? read->front() : -1;
    checked_at_ = now;
    stale_ = false;
    return version_;
  }

  Result<InventoryDump> Dump() override;
  Status Load(const InventoryDump& dump) override;

 private:
  Error Named(const Error& e) const {
    return {e.kind, "inventory \"" + RedactPgUrl(url_) + "\": " + e.message};
  }

  // Runs `f` on a pooled connection.
  template <typename F>
  auto WithConn(F f) -> decltype(f(std::declval<PgConn&>())) {
    auto lease = pool_.Acquire();
    if (!lease) return lease.error();
    return f(**lease);
  }

  // Runs `f` in a transaction of its own, committed before this returns (durable: the
  // server's synchronous_commit) and rolled back when `f` fails. Moves DevicesVersion.
  template <typename F>
  Status Transaction(F f) {
    Status s = WithConn([&](PgConn& c) -> Status {
      if (auto s = c.Run("BEGIN", "begin"); !s) return s;
      if (auto s = f(c); !s) {
        c.Recover();
        return s;
      }
      if (auto s = c.Run("COMMIT", "commit"); !s) {
        c.Recover();
        return s;
      }
      return Ok{};
    });
    MarkStale();  // a failed commit may have moved it too: read it again
    return s;
  }

  // Every row of a query, each read by `read(result, row)`.
  template <typename Read>
  auto Query(const std::string& sql, const PgParams& params, const std::string& what, Read read)
      -> Result<std::vector<decltype(read(std::declval<const PgResult&>(), 0))>> {
    using Row = decltype(read(std::declval<const PgResult&>(), 0));
    return WithConn([&](PgConn& c) -> Result<std::vector<Row>> {
      PgResult r = c.Exec(sql, params);
      if (!r.ok()) return Failed(what, r);
      std::vector<Row> out;
      out.reserve(static_cast<size_t>(r.rows()));
      for (int i = 0; i < r.rows(); ++i) out.push_back(read(r, i));
      return out;
    });
  }

  Result<std::optional<Device>> FindOne(const char* column, const std::string& value) {
    if (value.empty()) return std::optional<Device>();
    auto found =
        Query(std::string("SELECT ") + kPgDeviceColumns + " FROM devices WHERE " + column + "=$1",
              {value}, std::string("find by ") + column, ReadPgDevice);
    if (!found) return found.error();
    if (found->empty()) return std::optional<Device>();
    return std::optional<Device>(std::move(found->front()));
  }

  // Inserts a device (with its id when `keep_id`); its id.
  static Result<int64_t> Insert(PgConn& c, const Device& d, bool keep_id) {
    PgParams p = PgDeviceParams(d);
    if (keep_id) p.push_back(std::to_string(d.id));
    PgResult r = c.Exec(std::string("INSERT INTO devices(") + kPgDeviceWriteColumns +
                            (keep_id ? ", id" : "") + ") VALUES(" +
                            Placeholders(1, keep_id ? 20 : 19) + ") RETURNING id",
                        p);
    if (!r.ok()) return DeviceWriteFailed("add device", d, r);
    return r.Int(0, 0);
  }

  static Status WriteDevice(PgConn& c, const Device& d) {
    PgParams p = PgDeviceParams(d);
    p.erase(p.begin() + 14);  // `created` stays as it was
    p.push_back(std::to_string(d.id));
    PgResult r = c.Exec(
        "UPDATE devices SET mac=$1, serial=$2, model=$3, protocol=$4, target=$5, firmware=$6, "
        "hardware=$7, settings=$8, state=$9, state_detail=$10, hold=$11, pending_load=$12, "
        "pending_offers=$13, excluded=$14, updated=$15, candidates=$16, firmware_source=$17, "
        "transport=$18 WHERE id=$19",
        p);
    if (!r.ok()) return DeviceWriteFailed("update device", d, r);
    if (r.affected() == 0) return Unknown("inventory: no device with id " + std::to_string(d.id));
    return Ok{};
  }

  // Adds the group, or (`replace`) replaces the one of its name.
  static Status InsertGroup(PgConn& c, const RolloutGroup& g, bool replace) {
    return c.Run(
        std::string("INSERT INTO rollout_groups(name, target, \"window\", paused, "
                    "resync_at, created, updated, settings) VALUES($1,$2,$3,$4,$5,$6,$7,"
                    "$8)") +
            (replace ? " ON CONFLICT(name) DO UPDATE SET target=excluded.target, "
                       "\"window\"=excluded.\"window\", paused=excluded.paused, "
                       "resync_at=excluded.resync_at, updated=excluded.updated, "
                       "settings=excluded.settings"
                     : ""),
        "write rollout group " + g.name,
        {g.name, g.target, g.window, std::string(g.paused ? "1" : "0"), std::to_string(g.resync_at),
         std::to_string(g.created), std::to_string(g.updated), nlohmann::json(g.settings).dump()});
  }

  void MarkStale() {
    std::lock_guard lock(version_mu_);
    stale_ = true;
  }

  const std::string url_;
  PgPool pool_;
  PgEventLog events_;
  std::mutex version_mu_;  // guards the four below
  int64_t version_ = -1;
  bool stale_ = true;  // this object wrote since the version was read
  std::chrono::steady_clock::time_point checked_at_;
};

Result<InventoryDump> PgInventory::Dump() {
  if (auto s = Flush(); !s) return s.error();
  return WithConn([&](PgConn& c) -> Result<InventoryDump> {
    // One snapshot of all four tables.
    if (auto s = c.Run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "begin dump"); !s)
      return s.error();
    auto fail = [&c](Error e) {
      c.Recover();
      return e;
    };
    InventoryDump out;
    PgResult r = c.Exec(std::string("SELECT ") + kPgDeviceColumns + " FROM devices ORDER BY id");
    if (!r.ok()) return fail(Failed("read devices", r));
    for (int i = 0; i < r.rows(); ++i) out.devices.push_back(ReadPgDevice(r, i));
    r = c.Exec(std::string("SELECT device_id, ") + kEventColumns + " FROM events ORDER BY id");
    if (!r.ok()) return fail(Failed("read events", r));
    for (int i = 0; i < r.rows(); ++i) out.events.emplace_back(r.Int(i, 0), ReadEvent(r, i, 1));
    r = c.Exec(
        "SELECT time, kind, detail, transport, peer, 0, 0, claimed FROM unknown_attempts "
        "ORDER BY id");
    if (!r.ok()) return fail(Failed("read unknown attempts", r));
    for (int i = 0; i < r.rows(); ++i) out.unknown.push_back({ReadEvent(r, i, 0), r.Text(i, 7)});
    r = c.Exec(kSelectGroups);
    if (!r.ok()) return fail(Failed("read rollout groups", r));
    for (int i = 0; i < r.rows(); ++i) out.groups.push_back(ReadGroup(r, i));
    if (auto s = c.Run("COMMIT", "end dump"); !s) return fail(s.error());
    return out;
  });
}

Status PgInventory::Load(const InventoryDump& dump) {
  if (auto s = CheckDump(dump); !s) return s;
  if (auto s = Flush(); !s) return s;
  return Transaction([&](PgConn& c) -> Status {
    // No other node adds a device while this one checks the table is empty and fills it.
    if (auto s = c.Run("LOCK TABLE devices IN SHARE ROW EXCLUSIVE MODE", "lock devices"); !s)
      return s;
    PgResult n = c.Exec("SELECT COUNT(*) FROM devices");
    if (!n.ok()) return Failed("count devices", n);
    if (n.Int(0, 0) > 0) {
      return BadInput("the inventory already holds " + std::to_string(n.Int(0, 0)) +
                      " devices; load into an empty one");
    }
    for (const auto& d : dump.devices) {
      if (auto id = Insert(c, d, true); !id) return id.error();
    }
    // The next device added gets an id after the loaded ones.
    if (auto s = c.Run("SELECT setval(pg_get_serial_sequence('devices', 'id'), "
                       "COALESCE(MAX(id), 0) + 1, false) FROM devices",
                       "advance device ids");
        !s)
      return s;
    if (auto s = InsertPgEventRows(c, dump.events); !s) return s;
    for (const auto& a : dump.unknown) {
      if (auto s =
              c.Run("INSERT INTO unknown_attempts(time, kind, detail, transport, peer, claimed) "
                    "VALUES($1,$2,$3,$4,$5,$6)",
                    "load unknown attempt",
                    {std::to_string(a.event.time), a.event.kind, a.event.detail, a.event.transport,
                     a.event.peer, a.claimed});
          !s)
        return s;
    }
    for (const auto& g : dump.groups) {
      if (auto s = InsertGroup(c, g, false); !s) return s;
    }
    return Ok{};
  });
}

}  // namespace

Result<std::unique_ptr<Inventory>> OpenPostgresInventory(const std::string& url) {
  auto inv = std::make_unique<PgInventory>(url);
  if (auto v = inv->Open(); !v) return v.error();
  return std::unique_ptr<Inventory>(std::move(inv));
}

Result<int64_t> MigratePostgresInventory(const std::string& url) {
  PgInventory inv(url);
  return inv.Open();
}

}  // namespace stepup
