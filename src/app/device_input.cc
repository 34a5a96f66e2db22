#include "app/device_input.h"

#include <algorithm>
#include <random>
#include <set>

#include "app/device_profile.h"
#include "core/csv.h"
#include "core/hardening.h"
#include "core/profile_cipher.h"
#include "core/identify.h"
#include "core/text.h"
#include "core/version.h"

namespace stepup {
namespace {

bool SerialOk(const std::string& s) {
  return s.size() >= 4 && s.size() <= 32 && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
         });
}

std::string Field(const std::string& where, const std::string& flag) {
  return where.empty() ? flag : where + ", column \"" + flag.substr(flag.rfind('-') + 1) + "\"";
}

}  // namespace

Result<std::vector<std::string>> ApplyDeviceChanges(
    const Catalog& cat, Device& device, const DeviceChanges& c,
    const std::function<std::string(std::string_view)>& prefix) {
  const Model* m = cat.FindModel(device.model);
  if (!m) return Unknown("device " + device.key() + ": its model " + device.model + " is not in the catalog");
  Device d = device;  // written back only when every value is good
  std::vector<std::string> changes;
  if (c.hold) {
    d.hold = *c.hold;
    changes.push_back(*c.hold ? "hold" : "release");
  }
  if (c.target) {
    if (auto s = CheckTarget(cat, *m, *c.target); !s)
      return BadInput(prefix("target") + s.error().message);
    d.target = *c.target;
    d.excluded.clear();
    changes.push_back("target=" + *c.target);
  }
  if (c.firmware) {
    if (c.firmware->empty()) {
      d.firmware.clear();
      d.firmware_source.clear();
    } else {
      if (auto s = CheckFirmware(cat, *m, *c.firmware); !s)
        return BadInput(prefix("firmware") + s.error().message);
      d.firmware = *c.firmware;
      d.firmware_source = "operator";
      d.candidates.clear();
      if (d.state == kStateUnknownFirmware || d.state == kStateProbing) d.state = kStateNew;
    }
    changes.push_back("firmware=" + *c.firmware);
  }
  if (c.protocol) {
    if (c.protocol->empty()) {
      d.protocol.clear();
    } else {
      auto p = ParseProtocol(*c.protocol);
      if (!p)
        return BadInput(prefix("protocol") + "protocol \"" + *c.protocol +
                        "\" is not sip, sccp or mpp");
      d.protocol = std::string(ProtocolName(*p));
    }
    changes.push_back("protocol=" + d.protocol);
  }
  if (c.hardware) {
    if (!c.hardware->empty() && !ParseHardwareRevision(*c.hardware))
      return BadInput(prefix("hardware") + "hardware \"" + *c.hardware +
                      "\" is not a revision like V15");
    d.hardware = *c.hardware;
    changes.push_back("hardware=" + *c.hardware);
  }
  for (const auto& [k, v] : c.set) d.settings[k] = v, changes.push_back("set " + k);
  for (const auto& k : c.unset) d.settings.erase(k), changes.push_back("unset " + k);
  // A device enrolled before profile keys existed gets one when its profiles are encrypted.
  auto enc = d.settings.find("profile_encryption");
  if (enc != d.settings.end() && ToLower(enc->second) == "aes" &&
      d.settings[kProfileKeySetting].empty()) {
    d.settings[kProfileKeySetting] = GenerateSecret();
    std::string what = "set ";  // (appended: GCC 12's -O2 -Warray-bounds misfires on a + chain)
    what += kProfileKeySetting;
    what += " (generated)";
    changes.push_back(std::move(what));
  }
  device = std::move(d);
  return changes;
}

std::string GenerateSecret() {
  static constexpr char kAlphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  std::random_device rd;
  std::uniform_int_distribution<size_t> pick(0, sizeof(kAlphabet) - 2);
  std::string out;
  for (int i = 0; i < 16; ++i) out.push_back(kAlphabet[pick(rd)]);
  return out;
}

Status CheckSetting(const std::string& key, const std::string& value) {
  if (key.empty() || key.size() > 64 || !std::all_of(key.begin(), key.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
      })) {
    return BadInput("setting name \"" + key + "\" must be 1-64 letters, digits, '_', '-' or '.'");
  }
  if (value.size() > 65536) return BadInput("setting " + key + " is longer than 65536 bytes");
  for (char c : value) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 && c != '\t' && c != '\n' && c != '\r') {
      return BadInput("setting " + key + " contains a control character");
    }
  }
  return CheckHardenedSetting(key, value);
}

Status CheckTarget(const Catalog& cat, const Model& model, const std::string& target) {
  if (target == "latest") return Ok{};
  if (cat.FindLoad(model.family, target)) return Ok{};
  auto v = ParseVersion(target);
  if (!v) return BadInput("target: " + v.error().message);
  for (const Load* l : cat.LoadsOf(model.family)) {
    if (LoadMatches(*l, *v)) return Ok{};
  }
  return BadInput("target \"" + target + "\" is not a catalogued release of " + model.name);
}

Status CheckFirmware(const Catalog& cat, const Model& model, const std::string& firmware) {
  if (cat.FindLoad(model.family, firmware)) return Ok{};
  auto v = ParseVersion(firmware);
  if (!v) return BadInput("firmware: " + v.error().message);
  const Family* fam = cat.FindFamily(model.family);
  if (v->is_load() && fam && v->model_code != fam->load_code) {
    return BadInput("firmware \"" + firmware + "\" is a load for model code '" + v->model_code +
                    "', not " + model.name);
  }
  return Ok{};
}

Result<Device> MakeDevice(const Catalog& cat, const DeviceFields& f, int64_t now,
                          const std::string& where) {
  auto bad = [&](const std::string& flag, const std::string& msg) {
    return BadInput((where.empty() ? flag + ": " : Field(where, flag) + ": ") + msg);
  };
  Device d;
  if (f.mac.empty() && f.serial.empty()) return bad("--mac", "a device needs a MAC or a serial");
  if (!f.mac.empty()) {
    d.mac = NormalizeMac(f.mac);
    if (d.mac.empty()) return bad("--mac", "\"" + f.mac + "\" is not a MAC address");
  }
  if (!f.serial.empty() && !SerialOk(f.serial)) {
    return bad("--serial",
               "\"" + f.serial + "\" is not a serial number (4-32 letters, digits, '-')");
  }
  d.serial = f.serial;
  if (f.model.empty()) return bad("--model", "a device needs a model");
  const Model* m = cat.FindModel(f.model);
  if (!m) {
    Error e = bad("--model", "unknown model \"" + f.model + "\"");
    if (where.empty()) e.kind = ErrorKind::kUnknown;
    return e;
  }
  d.model = m->name;
  const Family* fam = cat.FindFamily(m->family);
  if (!f.protocol.empty()) {
    auto p = ParseProtocol(f.protocol);
    if (!p || !fam ||
        std::find(fam->protocols.begin(), fam->protocols.end(), *p) == fam->protocols.end()) {
      return bad("--protocol", "\"" + f.protocol + "\" is not a protocol of " + m->name);
    }
    d.protocol = std::string(ProtocolName(*p));
  }
  d.target = f.target.empty() ? "latest" : f.target;
  if (fam) {
    if (auto s = CheckTarget(cat, *m, d.target); !s) return bad("--target", s.error().message);
    if (!f.firmware.empty()) {
      if (auto s = CheckFirmware(cat, *m, f.firmware); !s)
        return bad("--firmware", s.error().message);
    }
  }
  d.firmware = f.firmware;
  if (!d.firmware.empty()) d.firmware_source = "operator";
  if (!f.hardware.empty() && !ParseHardwareRevision(f.hardware)) {
    return bad("--hardware", "\"" + f.hardware + "\" is not a revision like V15");
  }
  d.hardware = f.hardware;
  for (const auto& [k, v] : f.settings) {
    if (auto s = CheckSetting(k, v); !s) return bad("--set", s.error().message);
  }
  d.settings = f.settings;
  if (auto r = RequiredCapabilities(cat, d); !r) return bad("--set", r.error().message);
  if (!d.settings.count("admin_password")) d.settings["admin_password"] = GenerateSecret();
  if (!d.settings.count(kProfileKeySetting)) d.settings[kProfileKeySetting] = GenerateSecret();
  d.created = d.updated = now;
  return d;
}

Result<std::vector<Device>> DevicesFromCsv(const Catalog& cat, std::string_view csv, int64_t now,
                                           const std::string& file_name) {
  auto t = ParseCsv(csv);
  if (!t) return BadInput(file_name + ": " + t.error().message);
  std::set<std::string> seen_cols;
  for (const auto& h : t->header) {
    if (!seen_cols.insert(h).second)
      return BadInput(file_name + ": column \"" + h + "\" appears twice");
  }
  if (!seen_cols.count("model"))
    return BadInput(file_name + ": the header needs a \"model\" column");
  if (!seen_cols.count("mac") && !seen_cols.count("serial")) {
    return BadInput(file_name + ": the header needs a \"mac\" or \"serial\" column");
  }
  std::vector<Device> out;
  std::set<std::string> keys;
  for (size_t r = 0; r < t->rows.size(); ++r) {
    DeviceFields f;
    for (size_t c = 0; c < t->header.size(); ++c) {
      const std::string& h = t->header[c];
      const std::string& v = t->rows[r][c];
      if (h == "mac")
        f.mac = v;
      else if (h == "serial")
        f.serial = v;
      else if (h == "model")
        f.model = v;
      else if (h == "target")
        f.target = v;
      else if (h == "protocol")
        f.protocol = v;
      else if (h == "firmware")
        f.firmware = v;
      else if (h == "hardware")
        f.hardware = v;
      else if (h == "keys")  // simulator-only (`stepup simulate` fleets): not a device setting
        continue;
      else if (!v.empty())
        f.settings[h] = v;
    }
    std::string where = file_name + " row " + std::to_string(r + 1) + " (line " +
                        std::to_string(t->row_lines[r]) + ")";
    auto d = MakeDevice(cat, f, now, where);
    if (!d) return BadInput(d.error().message);
    for (const std::string& k : {d->mac, d->serial}) {
      if (!k.empty() && !keys.insert(k).second) {
        return BadInput(where + ": " + k + " appears twice in the file");
      }
    }
    out.push_back(std::move(d).value());
  }
  return out;
}

}  // namespace stepup
