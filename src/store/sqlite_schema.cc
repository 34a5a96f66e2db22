#include "store/sqlite_schema.h"

#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

namespace stepup {
namespace {

// Schema migrations, applied in order; schema_version holds how many have run.
const char* const kMigrations[] = {
    R"sql(
CREATE TABLE devices (
  id INTEGER PRIMARY KEY,
  mac TEXT UNIQUE,
  serial TEXT UNIQUE,
  model TEXT NOT NULL,
  protocol TEXT NOT NULL DEFAULT '',
  target TEXT NOT NULL DEFAULT 'latest',
  firmware TEXT NOT NULL DEFAULT '',
  hardware TEXT NOT NULL DEFAULT '',
  settings TEXT NOT NULL DEFAULT '{}',
  state TEXT NOT NULL DEFAULT 'new',
  state_detail TEXT NOT NULL DEFAULT '',
  hold INTEGER NOT NULL DEFAULT 0,
  pending_load TEXT NOT NULL DEFAULT '',
  pending_offers INTEGER NOT NULL DEFAULT 0,
  excluded TEXT NOT NULL DEFAULT '[]',
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL,
  CHECK (mac IS NOT NULL OR serial IS NOT NULL)
);
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  device_id INTEGER NOT NULL REFERENCES devices(id),
  time INTEGER NOT NULL,
  kind TEXT NOT NULL,
  detail TEXT NOT NULL,
  transport TEXT NOT NULL,
  peer TEXT NOT NULL
);
CREATE INDEX events_by_device ON events(device_id, id);
CREATE TABLE unknown_attempts (
  id INTEGER PRIMARY KEY,
  time INTEGER NOT NULL,
  kind TEXT NOT NULL,
  detail TEXT NOT NULL,
  transport TEXT NOT NULL,
  peer TEXT NOT NULL,
  claimed TEXT NOT NULL
);
)sql",
    // 2: a counter every change to devices bumps, so readers can cache devices safely even
    // when another process (the CLI) writes.
    R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO meta(key, value) VALUES('devices_version', 0);
CREATE TRIGGER devices_version_ins AFTER INSERT ON devices BEGIN
  UPDATE meta SET value = value + 1 WHERE key = 'devices_version'; END;
CREATE TRIGGER devices_version_upd AFTER UPDATE ON devices BEGIN
  UPDATE meta SET value = value + 1 WHERE key = 'devices_version'; END;
CREATE TRIGGER devices_version_del AFTER DELETE ON devices BEGIN
  UPDATE meta SET value = value + 1 WHERE key = 'devices_version'; END;
)sql",
    // 3: a phone's repeated identical requests are one event with a count (see Event).
    R"sql(
ALTER TABLE events ADD COLUMN repeats INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN last_time INTEGER NOT NULL DEFAULT 0;
)sql",
    // 4: what the server learns of a phone whose firmware nobody recorded: the loads it may
    // still be running, and where the firmware it knows came from.
    R"sql(
ALTER TABLE devices ADD COLUMN candidates TEXT NOT NULL DEFAULT '[]';
ALTER TABLE devices ADD COLUMN firmware_source TEXT NOT NULL DEFAULT '';
)sql",
    // 5: how far a device's provisioning moved to HTTPS (Device::transport).
    R"sql(
ALTER TABLE devices ADD COLUMN transport TEXT NOT NULL DEFAULT '';
)sql",
    // 6: rollout groups (core/rollout.h); a change to one changes what its devices are
    // offered, so it moves devices_version too.
    R"sql(
CREATE TABLE rollout_groups (
  name TEXT PRIMARY KEY,
  target TEXT NOT NULL DEFAULT '',
  window TEXT NOT NULL DEFAULT '',
  paused INTEGER NOT NULL DEFAULT 0,
  resync_at INTEGER NOT NULL DEFAULT 0,
  settings TEXT NOT NULL DEFAULT '{}',
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL
);
CREATE TRIGGER groups_version_ins AFTER INSERT ON rollout_groups BEGIN
  UPDATE meta SET value = value + 1 WHERE key = 'devices_version'; END;
CREATE TRIGGER groups_version_upd AFTER UPDATE ON rollout_groups BEGIN
  UPDATE meta SET value = value + 1 WHERE key = 'devices_version'; END;
CREATE TRIGGER groups_version_del AFTER DELETE ON rollout_groups BEGIN
  UPDATE meta SET value = value + 1 WHERE key = 'devices_version'; END;
)sql",
};

}  // namespace

const char* const kDeviceColumns =
    "id, mac, serial, model, protocol, target, firmware, hardware, settings, state, state_detail, "
    "hold, pending_load, pending_offers, excluded, created, updated, candidates, firmware_source, "
    "transport";

Status MigrateSchema(sqlite3* db_) {
  // Every use of a connection is under its own mutex, so SQLite's are not needed (NOMUTEX).
  if (auto s = ExecSql(db_, "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)");
      !s)
    return s;
  int64_t version = 0;
  {
    Stmt st(db_, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
    const int rc = st.Step();
    if (rc != SQLITE_ROW) return IoError("schema version: " + st.error());
    version = st.Int(0);
  }
  const int64_t latest = static_cast<int64_t>(std::size(kMigrations));
  if (version > latest) {
    return BadInput("schema version " + std::to_string(version) + " is newer than this stepup (" +
                    std::to_string(latest) + ")");
  }
  for (int64_t v = version; v < latest; ++v) {
    if (auto s = ExecSql(db_, "BEGIN IMMEDIATE"); !s) return s;
    auto s = ExecSql(db_, kMigrations[v]);
    if (s)
      s = ExecSql(db_, "INSERT INTO schema_version(version) VALUES(" + std::to_string(v + 1) + ")");
    if (!s)
      return RollBackWith(db_,
                          IoError("migration " + std::to_string(v + 1) + ": " + s.error().message));
    if (auto c = ExecSql(db_, "COMMIT"); !c) return RollBackWith(db_, c.error());
  }
  return Ok{};
}

void BindDevice(Stmt& st, const Device& d) {
  st.Bind(1, d.mac, true);
  st.Bind(2, d.serial, true);
  st.Bind(3, d.model);
  st.Bind(4, d.protocol);
  st.Bind(5, d.target);
  st.Bind(6, d.firmware);
  st.Bind(7, d.hardware);
  st.Bind(8, nlohmann::json(d.settings).dump());
  st.Bind(9, d.state);
  st.Bind(10, d.state_detail);
  st.Bind(11, static_cast<int64_t>(d.hold ? 1 : 0));
  st.Bind(12, d.pending_load);
  st.Bind(13, static_cast<int64_t>(d.pending_offers));
  st.Bind(14, nlohmann::json(d.excluded).dump());
  st.Bind(17, nlohmann::json(d.candidates).dump());
  st.Bind(18, d.firmware_source);
  st.Bind(19, d.transport);
}

Device ReadDevice(Stmt& st) {
  Device d;
  d.id = st.Int(0);
  d.mac = st.Text(1);
  d.serial = st.Text(2);
  d.model = st.Text(3);
  d.protocol = st.Text(4);
  d.target = st.Text(5);
  d.firmware = st.Text(6);
  d.hardware = st.Text(7);
  auto settings = nlohmann::json::parse(st.Text(8), nullptr, false);
  if (settings.is_object()) d.settings = settings.get<Settings>();
  d.state = st.Text(9);
  d.state_detail = st.Text(10);
  d.hold = st.Int(11) != 0;
  d.pending_load = st.Text(12);
  d.pending_offers = static_cast<int>(st.Int(13));
  auto excluded = nlohmann::json::parse(st.Text(14), nullptr, false);
  if (excluded.is_array()) d.excluded = excluded.get<std::vector<std::string>>();
  d.created = st.Int(15);
  d.updated = st.Int(16);
  auto candidates = nlohmann::json::parse(st.Text(17), nullptr, false);
  if (candidates.is_array()) d.candidates = candidates.get<std::vector<std::string>>();
  d.firmware_source = st.Text(18);
  d.transport = st.Text(19);
  return d;
}

}  // namespace stepup
