// Everything a SQLite inventory holds, read in one transaction, and loaded in one (see
// sqlite_dump.h).
#include "store/sqlite_dump.h"

#include <nlohmann/json.hpp>

#include "store/sqlite_schema.h"
#include "store/sqlite_stmt.h"

namespace stepup {
namespace {

Error Failed(const std::string& what, const Stmt& st) {
  return IoError("inventory: " + what + ": " + st.error());
}

// Reads every row of `sql`, handing each to `row`.
template <typename Row>
Status ReadAll(sqlite3* db, const std::string& sql, const std::string& what, Row row) {
  Stmt st(db, sql.c_str());
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) row(st);
  if (rc != SQLITE_DONE) return Failed(what, st);
  return Ok{};
}

// Steps a statement that returns nothing; the error names `what`.
Status Done(Stmt& st, const std::string& what) {
  const int rc = st.Step();
  st.Reset();
  if (rc == SQLITE_DONE) return Ok{};
  return rc == SQLITE_CONSTRAINT ? BadInput(what + ": " + st.error()) : Failed(what, st);
}

Status LoadRows(sqlite3* db, const InventoryDump& dump) {
  {
    Stmt count(db, "SELECT COUNT(*) FROM devices");
    if (count.Step() != SQLITE_ROW) return Failed("count devices", count);
    if (const int64_t n = count.Int(0); n > 0) {
      return BadInput("the inventory already holds " + std::to_string(n) +
                      " devices; load into an empty one");
    }
  }
  Stmt dev(db,
           "INSERT INTO devices(mac, serial, model, protocol, target, firmware, hardware, "
           "settings, state, state_detail, hold, pending_load, pending_offers, excluded, created, "
           "updated, candidates, firmware_source, transport, id) "
           "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20)");
  for (const auto& d : dump.devices) {
    BindDevice(dev, d);
    dev.Bind(15, d.created);
    dev.Bind(16, d.updated);
    dev.Bind(20, d.id);
    if (auto s = Done(dev, "device " + d.key()); !s) return s;
  }
  Stmt ev(db,
          "INSERT INTO events(device_id, time, kind, detail, transport, peer, repeats, "
          "last_time) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)");
  for (const auto& [id, e] : dump.events) {
    ev.Bind(1, id);
    ev.Bind(2, e.time);
    ev.Bind(3, e.kind);
    ev.Bind(4, e.detail);
    ev.Bind(5, e.transport);
    ev.Bind(6, e.peer);
    ev.Bind(7, e.repeats);
    ev.Bind(8, e.last_time);
    if (auto s = Done(ev, "event of device id " + std::to_string(id)); !s) return s;
  }
  Stmt un(db,
          "INSERT INTO unknown_attempts(time, kind, detail, transport, peer, claimed) "
          "VALUES(?1,?2,?3,?4,?5,?6)");
  for (const auto& a : dump.unknown) {
    un.Bind(1, a.event.time);
    un.Bind(2, a.event.kind);
    un.Bind(3, a.event.detail);
    un.Bind(4, a.event.transport);
    un.Bind(5, a.event.peer);
    un.Bind(6, a.claimed);
    if (auto s = Done(un, "unknown attempt"); !s) return s;
  }
  Stmt gr(db,
          "INSERT INTO rollout_groups(name, target, window, paused, resync_at, created, updated, "
          "settings) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)");
  for (const auto& g : dump.groups) {
    gr.Bind(1, g.name);
    gr.Bind(2, g.target);
    gr.Bind(3, g.window);
    gr.Bind(4, static_cast<int64_t>(g.paused ? 1 : 0));
    gr.Bind(5, g.resync_at);
    gr.Bind(6, g.created);
    gr.Bind(7, g.updated);
    gr.Bind(8, nlohmann::json(g.settings).dump());
    if (auto s = Done(gr, "rollout group " + g.name); !s) return s;
  }
  return Ok{};
}

}  // namespace

Result<InventoryDump> DumpSqlite(sqlite3* db) {
  if (auto s = ExecSql(db, "BEGIN"); !s) return s.error();
  InventoryDump out;
  Status s = ReadAll(db, std::string("SELECT ") + kDeviceColumns + " FROM devices ORDER BY id",
                     "read devices", [&](Stmt& st) { out.devices.push_back(ReadDevice(st)); });
  if (s) {
    s = ReadAll(db,
                "SELECT device_id, time, kind, detail, transport, peer, repeats, last_time "
                "FROM events ORDER BY id",
                "read events", [&](Stmt& st) {
                  out.events.emplace_back(
                      st.Int(0), Event{st.Int(1), st.Text(2), st.Text(3), st.Text(4), st.Text(5),
                                       st.Int(6), st.Int(7)});
                });
  }
  if (s) {
    s = ReadAll(db,
                "SELECT time, kind, detail, transport, peer, claimed FROM unknown_attempts "
                "ORDER BY id",
                "read unknown attempts", [&](Stmt& st) {
                  out.unknown.push_back(
                      {{st.Int(0), st.Text(1), st.Text(2), st.Text(3), st.Text(4)}, st.Text(5)});
                });
  }
  if (s) {
    s = ReadAll(db,
                "SELECT name, target, window, paused, resync_at, created, updated, settings "
                "FROM rollout_groups ORDER BY name",
                "read rollout groups", [&](Stmt& st) {
                  RolloutGroup g{st.Text(0), st.Text(1), st.Text(2), st.Int(3) != 0,
                                 st.Int(4),  st.Int(5),  st.Int(6),  {}};
                  auto settings = nlohmann::json::parse(st.Text(7), nullptr, false);
                  if (settings.is_object()) g.settings = settings.get<Settings>();
                  out.groups.push_back(std::move(g));
                });
  }
  if (!s) return RollBackWith(db, s.error());
  if (auto c = ExecSql(db, "COMMIT"); !c) return RollBackWith(db, c.error());
  return out;
}

Status LoadSqlite(sqlite3* db, const InventoryDump& dump) {
  if (auto s = CheckDump(dump); !s) return s;
  if (auto s = ExecSql(db, "BEGIN IMMEDIATE"); !s) return s;
  if (auto s = LoadRows(db, dump); !s) return RollBackWith(db, s.error());
  if (auto s = ExecSql(db, "COMMIT"); !s) return RollBackWith(db, s.error());
  return Ok{};
}

}  // namespace stepup
