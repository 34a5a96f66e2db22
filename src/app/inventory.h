// The inventory interface the application layer owns: devices, their event history, and
// attempts by unknown devices. Implemented by the store layer (store/inventory.h: in memory for
// tests, SQLite by default).
//
// Durability (contract.md): a write that returns is durable, except AppendEvent with
// `batched = true` (phone traffic), which may be written up to 200 ms later; a crash loses at
// most that window, never an operator's write or the database's integrity.
// Visibility: this object's own writes are seen by its next read; another process's device
// writes are seen within 1 ms (readers cache devices and re-check at most once a millisecond).
// Implementations are safe to call from several threads.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/device.h"
#include "core/identify.h"
#include "core/result.h"
#include "core/rollout.h"

namespace stepup {

// Everything an inventory holds (`stepup db export|import`): devices with their ids, every
// event with its device's id in the order they were written, unknown attempts in the order
// they came, rollout groups by name.
struct InventoryDump {
  std::vector<Device> devices;
  std::vector<std::pair<int64_t, Event>> events;
  std::vector<UnknownAttempt> unknown;
  std::vector<RolloutGroup> groups;
};

// A dump an inventory can load: device ids are distinct and positive, and every event names
// one of its devices; the error names the first that is not.
inline Status CheckDump(const InventoryDump& dump) {
  std::map<int64_t, const Device*> ids;
  for (const auto& d : dump.devices) {
    if (d.id <= 0) return BadInput("device " + d.key() + " has no id");
    if (!ids.emplace(d.id, &d).second)
      return BadInput("devices " + ids[d.id]->key() + " and " + d.key() + " share id " +
                      std::to_string(d.id));
  }
  for (const auto& [id, e] : dump.events) {
    if (!ids.count(id))
      return BadInput("an event (" + e.kind + ", time " + std::to_string(e.time) +
                      ") names device id " + std::to_string(id) + ", which the dump does not hold");
  }
  return Ok{};
}

class Inventory {
 public:
  virtual ~Inventory() = default;

  // Adds a device; error naming it if its MAC or serial is already in the inventory.
  virtual Result<Device> Add(const Device& d) = 0;
  // Adds all devices or none (one transaction); the error names the first clash.
  virtual Status AddAll(const std::vector<Device>& devices) = 0;
  // Replaces a stored device (matched by id).
  virtual Status Update(const Device& d) = 0;
  // Removes a device and its history (kUnknown when there is no such id).
  virtual Status Remove(int64_t id) = 0;
  // Hop progress (contract.md): a phone's new state and the events that explain it. Seen by
  // this object's next read at once; durable when WhenDurable(ticket) calls back with true, so
  // an answer can wait for it without holding a thread. Many phones' progress shares one commit
  // and one disk sync (a boot storm otherwise waits for one sync per phone per hop). This
  // default writes at once and returns ticket 0 (already durable).
  virtual Result<uint64_t> RecordProgress(const Device& d, const std::vector<Event>& events) {
    if (auto s = Update(d); !s) return s.error();
    for (const auto& e : events) {
      if (auto s = AppendEvent(d.id, e); !s) return s.error();
    }
    return uint64_t{0};
  }
  // Calls `done` (on any thread, perhaps this one, never under a lock of the caller's) once
  // the ticket's progress is durable (true) or lost to a failed commit (false).
  virtual void WhenDurable(uint64_t /*ticket*/, std::function<void(bool durable)> done) {
    done(true);
  }
  // The newest progress ticket not yet durable, 0 if none: an answer read from what is
  // staged (another request of the same phone, answered while the first one waits) must wait
  // for it as well.
  virtual uint64_t PendingProgress() { return 0; }
  virtual Result<std::optional<Device>> FindByMac(const std::string& mac) = 0;
  virtual Result<std::optional<Device>> FindBySerial(const std::string& serial) = 0;
  virtual Result<std::optional<Device>> FindById(int64_t id) = 0;
  virtual Result<std::vector<Device>> List() = 0;

  virtual Status AppendEvent(int64_t device_id, const Event& e, bool batched = false) = 0;
  // The device's history, oldest first.
  virtual Result<std::vector<Event>> Events(int64_t device_id) = 0;
  // Every device's events of one kind, with the device's id, oldest first. This default reads
  // each device's history.
  virtual Result<std::vector<std::pair<int64_t, Event>>> EventsOfKind(const std::string& kind) {
    auto devices = List();
    if (!devices) return devices.error();
    std::vector<std::pair<int64_t, Event>> out;
    for (const auto& d : *devices) {
      auto events = Events(d.id);
      if (!events) return events.error();
      for (auto& e : *events) {
        if (e.kind == kind) out.emplace_back(d.id, std::move(e));
      }
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const auto& a, const auto& b) { return a.second.time < b.second.time; });
    return out;
  }
  virtual Status RecordUnknown(const UnknownAttempt& a) = 0;
  virtual Result<std::vector<UnknownAttempt>> UnknownAttempts() = 0;
  // Writes batched events now, and waits until recorded progress is durable.
  virtual Status Flush() = 0;
  // A number that moves whenever any device is added, changed or removed: at once for this
  // object's own writes, within 1 ms for another process's (the CLI's). Cheap enough to call
  // on every request; callers use it to know that what they derived from devices still holds.
  // Negative when it cannot be read.
  virtual int64_t DevicesVersion() = 0;

  // Rollout groups (core/rollout.h), by name. Writes are an operator's: durable when they
  // return, and they move DevicesVersion (what a device is offered depends on its group).
  virtual Result<std::vector<RolloutGroup>> Groups() = 0;
  // Adds the group, or replaces the one of that name.
  virtual Status PutGroup(const RolloutGroup& g) = 0;
  // kUnknown when there is no group of that name. Its members keep their `group` setting and
  // follow their own targets.
  virtual Status RemoveGroup(const std::string& name) = 0;

  // Everything stored, batched events included. This default reads device by device (the
  // order of events across devices is then by time, not by when they were written).
  virtual Result<InventoryDump> Dump() {
    if (auto s = Flush(); !s) return s.error();
    InventoryDump out;
    auto devices = List();
    if (!devices) return devices.error();
    out.devices = std::move(devices).value();
    for (const auto& d : out.devices) {
      auto events = Events(d.id);
      if (!events) return events.error();
      for (auto& e : *events) out.events.emplace_back(d.id, std::move(e));
    }
    std::stable_sort(out.events.begin(), out.events.end(),
                     [](const auto& a, const auto& b) { return a.second.time < b.second.time; });
    auto unknown = UnknownAttempts();
    if (!unknown) return unknown.error();
    out.unknown = std::move(unknown).value();
    auto groups = Groups();
    if (!groups) return groups.error();
    out.groups = std::move(groups).value();
    return out;
  }
  // Loads a dump into this inventory, which must hold no device (kBadInput saying so).
  // Devices keep their ids where the implementation allows, else each event follows its
  // device to its new id. Events keep their times and counts. The SQL implementations load
  // it in one transaction; this default adds one piece at a time and loses events' repeat
  // counts (AppendEvent stores what it is given as a new event).
  virtual Status Load(const InventoryDump& dump) {
    if (auto s = CheckDump(dump); !s) return s;
    auto existing = List();
    if (!existing) return existing.error();
    if (!existing->empty()) {
      return BadInput("the inventory already holds " + std::to_string(existing->size()) +
                      " devices; load into an empty one");
    }
    std::map<int64_t, int64_t> ids;  // dumped id -> stored id
    for (const auto& d : dump.devices) {
      auto added = Add(d);
      if (!added) return added.error();
      ids[d.id] = added->id;
    }
    for (const auto& [id, e] : dump.events) {
      if (auto s = AppendEvent(ids[id], e); !s) return s;
    }
    for (const auto& a : dump.unknown) {
      if (auto s = RecordUnknown(a); !s) return s;
    }
    for (const auto& g : dump.groups) {
      if (auto s = PutGroup(g); !s) return s;
    }
    return Flush();
  }

  // Finds by MAC when given, else by serial.
  Result<std::optional<Device>> Find(const std::string& mac, const std::string& serial) {
    if (!mac.empty()) {
      auto d = FindByMac(mac);
      if (!d || d->has_value() || serial.empty()) return d;
    }
    return serial.empty() ? Result<std::optional<Device>>(std::optional<Device>())
                          : FindBySerial(serial);
  }
  // The device an operator names: a MAC in any common notation, else a serial; kUnknown when
  // none is enrolled (`stepup device show|set`, /api/v1/devices/{key}).
  Result<Device> FindByKey(const std::string& key) {
    const std::string mac = NormalizeMac(key);
    auto d = Find(mac, mac.empty() ? key : "");
    if (!d) return d.error();
    if (!d->has_value()) return Unknown("no device \"" + key.substr(0, 64) + "\" in the inventory");
    return **d;
  }
};

}  // namespace stepup
