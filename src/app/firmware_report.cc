#include "app/firmware_report.h"

#include <algorithm>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/device_profile.h"
#include "core/planner.h"
#include "core/text.h"

namespace stepup {
namespace {

nlohmann::json LoadJson(const LoadState& s, const char* files_key) {
  return {{"family", s.load->family},
          {"load", s.load->load},
          {"version", s.load->version_label},
          {"protocol", std::string(ProtocolName(s.load->protocol))},
          {files_key, s.missing}};
}

}  // namespace

std::vector<DeviceNeed> DeviceNeeds(const FirmwareReportInput& in,
                                    const std::vector<Device>& devices) {
  const Catalog& cat = *in.catalog;
  std::unordered_set<const Load*> available;
  for (const auto& l : cat.loads) {
    if (LoadAvailable(l, *in.on_hand)) available.insert(&l);
  }
  // The server's own planning policy (app/device_profile.h), so the answer is the one a phone
  // of this device would get.
  ProfileSetup setup;
  setup.catalog = &cat;
  setup.available = &available;
  setup.now = in.now;
  std::vector<DeviceNeed> out;
  for (const auto& d : devices) {
    DeviceNeed n{d.key(), d.model, d.firmware, d.target.empty() ? "latest" : d.target, "", {}, ""};
    auto plan = PlanForDevice(setup, d, "");
    if (!plan) {
      n.status = "unplanned";
      n.reason = plan.error().message;
    } else if (plan->status == PlanStatus::kCurrent) {
      n.status = "current";
    } else if (plan->status == PlanStatus::kOk) {
      n.status = "ok";
    } else {
      for (const auto& m : plan->missing)
        n.missing.push_back({StateOf(*m.load, *in.on_hand), m.why});
      n.status = n.missing.empty() ? "no-path" : "blocked";
      n.reason = plan->reason;
    }
    out.push_back(std::move(n));
  }
  return out;
}

std::string FirmwareListJson(const FirmwareReportInput& in,
                             const std::vector<FamilyState>& families,
                             const std::vector<DeviceNeed>& needs) {
  nlohmann::json fams = nlohmann::json::array();
  for (const auto& f : families) {
    nlohmann::json loads = nlohmann::json::array();
    for (const auto& s : f.loads) {
      nlohmann::json j = LoadJson(s, "missing");
      j["complete"] = s.complete;
      loads.push_back(std::move(j));
    }
    fams.push_back({{"family", f.family},
                    {"complete", f.complete},
                    {"total", static_cast<int>(f.loads.size())},
                    {"loads", std::move(loads)}});
  }
  nlohmann::json devs = nlohmann::json::array();
  for (const auto& n : needs) {
    nlohmann::json missing = nlohmann::json::array();
    for (const auto& m : n.missing) {
      nlohmann::json j = LoadJson(m.state, "files");
      j["why"] = m.why;
      missing.push_back(std::move(j));
    }
    devs.push_back({{"device", n.key},
                    {"model", n.model},
                    {"firmware", n.firmware},
                    {"target", n.target},
                    {"status", n.status},
                    {"reason", n.reason},
                    {"missing", std::move(missing)}});
  }
  nlohmann::json rejected = nlohmann::json::array();
  for (const auto& [file, why] : in.rejected) rejected.push_back({{"file", file}, {"why", why}});
  return nlohmann::json{{"families", std::move(fams)},
                        {"devices", std::move(devs)},
                        {"rejected", std::move(rejected)}}
             .dump(2) +
         "\n";
}

std::string FirmwareListText(const FirmwareReportInput& in,
                             const std::vector<FamilyState>& families,
                             const std::vector<DeviceNeed>& needs) {
  std::ostringstream out;
  for (const auto& f : families) {
    out << f.family << ": " << f.complete << " of " << f.loads.size() << " loads complete\n";
    for (const auto& s : f.loads) {
      out << (s.complete ? "  complete  " : "  missing   ") << s.load->load << " ("
          << s.load->version_label << ")";
      if (!s.complete) out << ": " << Join(s.missing);
      out << "\n";
    }
  }
  int blocked = 0;
  for (const auto& n : needs) blocked += n.status == "blocked";
  out << "\ndevices: " << needs.size() << ", blocked by a missing image: " << blocked << "\n";
  for (const auto& n : needs) {
    if (n.status != "blocked" && n.status != "no-path" && n.status != "unplanned") continue;
    out << "  " << n.key << " " << n.model << " " << (n.firmware.empty() ? "?" : n.firmware)
        << " -> " << n.target << ": " << n.status;
    if (n.status == "blocked") {
      out << ", needs:";
      for (const auto& m : n.missing) {
        out << "\n    " << m.state.load->load << " (" << m.state.load->version_label << "): fetch "
            << Join(m.state.missing);
      }
    } else {
      out << ": " << n.reason;
    }
    out << "\n";
  }
  if (!in.rejected.empty()) {
    out << "\nfiles refused (not what the catalog says):\n";
    for (const auto& [file, why] : in.rejected) out << "  " << file << " " << why << "\n";
  }
  return out.str();
}

namespace {

struct Needed {
  std::string model, load, version, why;
  std::vector<std::string> files, unblocks;
};

std::vector<Needed> Aggregate(const std::vector<DeviceNeed>& needs) {
  std::vector<Needed> out;
  for (const auto& d : needs) {
    for (const auto& m : d.missing) {
      if (!m.state.load) continue;
      auto it = std::find_if(out.begin(), out.end(), [&](const Needed& n) {
        return n.model == d.model && n.load == m.state.load->load;
      });
      if (it == out.end()) {
        out.push_back({d.model, m.state.load->load, m.state.load->version_label, m.why,
                       m.state.missing, {}});
        it = std::prev(out.end());
      }
      it->unblocks.push_back(d.key);
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Needed& a, const Needed& b) { return a.model < b.model; });
  return out;
}

}  // namespace

std::string FirmwareNeededJson(const std::vector<DeviceNeed>& needs) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& n : Aggregate(needs)) {
    out.push_back({{"model", n.model},
                   {"load", n.load},
                   {"version", n.version},
                   {"files", n.files},
                   {"unblocks", n.unblocks},
                   {"why", n.why}});
  }
  return out.dump(2) + "\n";
}

std::string FirmwareNeededText(const std::vector<DeviceNeed>& needs) {
  const auto all = Aggregate(needs);
  if (all.empty()) return "nothing needed: every device's chain is on hand (or has no path)\n";
  std::string out, model;
  for (const auto& n : all) {
    if (n.model != model) out += (model.empty() ? "" : "\n") + (model = n.model) + "\n";
    out += "  " + n.load + " (" + n.version + "): fetch";
    for (const auto& f : n.files) out += " " + f;
    out += "; unblocks " + std::to_string(n.unblocks.size()) + ":";
    for (size_t i = 0; i < n.unblocks.size() && i < 8; ++i) out += " " + n.unblocks[i];
    if (n.unblocks.size() > 8) out += " ...";
    out += "\n";
  }
  return out;
}

}  // namespace stepup
