// The provisioner's file side: which device a request from an address belongs to, images and
// operator files served by name, what each device downloaded of its pending hop (app/
// download_ledger.h), and syslog evidence.
#include <algorithm>

#include "app/provisioner.h"
#include "core/phone_report.h"
#include "core/text.h"

namespace stepup {

std::optional<Device> Provisioner::DeviceAt(const std::string& ip) {
  auto id = seen_.Last(ip, cfg_.now_ms());
  if (!id) return std::nullopt;
  auto d = cfg_.inventory->FindById(*id);
  return d ? *d : std::nullopt;
}

std::optional<Device> Provisioner::SoleDeviceAt(const std::string& ip) {
  auto id = seen_.Sole(ip, cfg_.now_ms());
  if (!id) return std::nullopt;
  auto d = cfg_.inventory->FindById(*id);
  return d ? *d : std::nullopt;
}

void Provisioner::Track(const Device& d, const Request& req) {
  const Load* l = d.pending_load.empty() ? nullptr : FindLoadOf(d, d.pending_load);
  if (!l) {
    ledger_.Settled(d.id);
    return;
  }
  ledger_.Offered(d.id, req.peer_ip, d.pending_load,
                  l->files.empty() ? std::set<std::string>{} : FilesOfHop(*l));
}

Response Provisioner::ServeFile(const Result<std::string>& path, const std::string& name,
                                const Request& req, bool firmware) {
  if (!path) {
    if (path.error().kind == ErrorKind::kBadInput) return TextResponse(400, path.error().message);
    return TextResponse(404, "not found");
  }
  Response r;
  r.file = *path;
  r.content_type = "application/octet-stream";
  r.firmware = firmware;
  if (firmware) {
    // Image requests name no device: the one at this address that awaits this file, else the
    // only one seen there lately (app/download_ledger.h).
    AddressScope scope(*this, req.peer_ip);
    if (!scope.ok()) return Unavailable();
    auto sole = seen_.Sole(req.peer_ip, cfg_.now_ms());
    if (auto id = ledger_.Started(req.peer_ip, req.peer, ToLower(name), sole)) {
      if (auto d = cfg_.inventory->FindById(*id); d && d->has_value()) r.device = (*d)->key();
      RefreshSlot(*id, cfg_.now_ms());  // downloading: its slot does not expire under it
    }
  }
  return r;
}

void Provisioner::TransferDone(const Request& req, const std::string& file, bool complete) {
  ReloadGate::Pin pin(gate_);
  std::string name = ToLower(file.substr(file.find_last_of('/') + 1));
  AddressScope scope(*this, req.peer_ip);
  if (!scope.ok()) return;
  auto owner = ledger_.Finished(req.peer, name, complete);
  if (!owner) owner = seen_.Sole(req.peer_ip, cfg_.now_ms());  // an operator file
  if (!owner) return;
  RefreshSlot(*owner, cfg_.now_ms());  // the slot outlasts the download by hold_ms
  (void)cfg_.inventory->AppendEvent(
      *owner, MakeEvent(req, complete ? "download" : "download-failed", name), /*batched=*/true);
}

void Provisioner::Evidence(const std::string& peer_ip, const std::string& message) {
  ReloadGate::Pin pin(gate_);
  Request req;
  req.transport = "syslog";
  req.peer = req.peer_ip = peer_ip;
  AddressScope scope(*this, peer_ip);
  if (!scope.ok()) return;
  // A line from an address many phones share (a site behind NAT) names no one phone.
  if (auto d = SoleDeviceAt(peer_ip)) {
    (void)cfg_.inventory->AppendEvent(d->id, MakeEvent(req, "evidence", message.substr(0, 1024)),
                                      true);
    // "Load=SIP70.8-4-2-30S" in a phone's alarm line: what it runs (a load of its family).
    const Model* m = cfg_.catalog->FindModel(d->model);
    std::string named = m ? FirmwareName(*m, LoadNamedInLog(message)) : "";
    if (!named.empty() && Enterprise(*cfg_.catalog, *d))
      LearnFirmware(d->id, named, "syslog", "\"" + message.substr(0, 200) + "\"", req);
  }
}

const Load* Provisioner::FindLoadOf(const Device& d, const std::string& name) const {
  const Model* m = cfg_.catalog->FindModel(d.model);
  return m ? cfg_.catalog->FindLoad(m->family, name) : nullptr;
}

std::set<std::string> Provisioner::FilesOfHop(const Load& l) {
  {
    std::lock_guard lock(seen_mu_);
    if (auto it = hop_files_.find(l.load); it != hop_files_.end()) return it->second;
  }
  std::set<std::string> files;
  for (const auto& f : l.files) {
    files.insert(ToLower(f));
    if (ToLower(f).ends_with(".loads")) {
      if (auto path = cfg_.firmware.Resolve(f)) {
        for (auto& image : cfg_.firmware.ManifestImages(*path)) files.insert(std::move(image));
      }
    }
  }
  std::lock_guard lock(seen_mu_);
  hop_files_[l.load] = files;
  return files;
}

DownloadLedger::Credit Provisioner::HopCompletedByDownloads(const Device& d,
                                                            const std::string& ip) {
  const Load* l = FindLoadOf(d, d.pending_load);
  if (!l || l->files.empty()) return DownloadLedger::Credit::kNo;
  // Behind an address other phones share, its own manifest and one image of a hop short of its
  // target are taken as the hop: were it wrong, the next hop stalls and the credit is doubted
  // (DoubtSiteCredit); taken wrongly for the target, nothing would ever say so.
  bool partial = false;
  if (seen_.Sole(ip, cfg_.now_ms()) != d.id) {
    std::shared_ptr<const std::unordered_set<const Load*>> keep;
    auto beyond = PlanForDevice(Setup(keep), Planned(d), d.pending_load);
    partial = beyond && beyond->status == PlanStatus::kOk;  // a hop short of its target
  }
  return ledger_.Completes(d.id, ip, d.pending_load, FilesOfHop(*l), partial);
}

bool Provisioner::ManifestOnly(const Downloads& dl) {
  return !dl.completed.empty() &&
         std::all_of(dl.completed.begin(), dl.completed.end(),
                     [](const std::string& f) { return f.size() > 6 && f.ends_with(".loads"); });
}

}  // namespace stepup
