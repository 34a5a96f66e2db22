// An Inventory that counts the events written through it (hops offered and completed, phones
// stuck, secrets sent, ...) in the server's Metrics, and otherwise passes everything on. The
// server hands it to the provisioner, so every event the walk records is counted, whichever
// path wrote it.
#pragma once

#include "app/inventory.h"
#include "app/metrics.h"

namespace stepup {

class MeteredInventory final : public Inventory {
 public:
  MeteredInventory(Inventory& inner, Metrics& metrics) : inner_(inner), metrics_(metrics) {}

  Result<Device> Add(const Device& d) override { return inner_.Add(d); }
  Status AddAll(const std::vector<Device>& devices) override { return inner_.AddAll(devices); }
  Status Update(const Device& d) override { return inner_.Update(d); }
  Status Remove(int64_t id) override { return inner_.Remove(id); }
  Result<uint64_t> RecordProgress(const Device& d, const std::vector<Event>& events) override {
    auto r = inner_.RecordProgress(d, events);
    if (r) {
      for (const auto& e : events) metrics_.Event(e.kind);
    }
    return r;
  }
  void WhenDurable(uint64_t ticket, std::function<void(bool)> done) override {
    inner_.WhenDurable(ticket, std::move(done));
  }
  uint64_t PendingProgress() override { return inner_.PendingProgress(); }
  Result<std::optional<Device>> FindByMac(const std::string& mac) override {
    return inner_.FindByMac(mac);
  }
  Result<std::optional<Device>> FindBySerial(const std::string& serial) override {
    return inner_.FindBySerial(serial);
  }
  Result<std::optional<Device>> FindById(int64_t id) override { return inner_.FindById(id); }
  Result<std::vector<Device>> List() override { return inner_.List(); }
  Status AppendEvent(int64_t device_id, const Event& e, bool batched = false) override {
    Status s = inner_.AppendEvent(device_id, e, batched);
    if (s) metrics_.Event(e.kind);
    return s;
  }
  Result<std::vector<Event>> Events(int64_t device_id) override {
    return inner_.Events(device_id);
  }
  Result<std::vector<std::pair<int64_t, Event>>> EventsOfKind(const std::string& kind) override {
    return inner_.EventsOfKind(kind);
  }
  Status RecordUnknown(const UnknownAttempt& a) override { return inner_.RecordUnknown(a); }
  Result<std::vector<UnknownAttempt>> UnknownAttempts() override {
    return inner_.UnknownAttempts();
  }
  Status Flush() override { return inner_.Flush(); }
  int64_t DevicesVersion() override { return inner_.DevicesVersion(); }
  Result<std::vector<RolloutGroup>> Groups() override { return inner_.Groups(); }
  Status PutGroup(const RolloutGroup& g) override { return inner_.PutGroup(g); }
  Status RemoveGroup(const std::string& name) override { return inner_.RemoveGroup(name); }
  Result<InventoryDump> Dump() override { return inner_.Dump(); }
  Status Load(const InventoryDump& dump) override { return inner_.Load(dump); }

 private:
  Inventory& inner_;
  Metrics& metrics_;
};

}  // namespace stepup
