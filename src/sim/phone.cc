#include "sim/phone.h"

#include <cstdlib>

#include <pugixml.hpp>
#include <set>
#include <sstream>

#include "core/csv.h"
#include "core/identify.h"
#include "core/planner.h"
#include "core/text.h"

namespace stepup::sim {
namespace {

// `latest` as the server means it (planner.h): the newest confirmed load.
const Load* NewestLoad(const Catalog& cat, const std::string& family, Protocol p) {
  return LatestConfirmed(cat, family, p);
}

}  // namespace

Result<std::vector<PhoneSpec>> FleetFromCsv(const Catalog& cat, std::string_view csv,
                                            const std::string& file_name) {
  auto t = ParseCsv(csv);
  if (!t) return BadInput(file_name + ": " + t.error().message);
  auto col = [&](const std::string& name) -> int {
    for (size_t i = 0; i < t->header.size(); ++i) {
      if (t->header[i] == name) return static_cast<int>(i);
    }
    return -1;
  };
  for (const char* need : {"model", "firmware"}) {
    if (col(need) < 0) return BadInput(file_name + ": the header needs a \"" + need + "\" column");
  }
  if (col("mac") < 0 && col("serial") < 0)
    return BadInput(file_name + ": the header needs a \"mac\" or \"serial\" column");
  std::vector<PhoneSpec> out;
  std::set<std::string> seen;
  for (size_t r = 0; r < t->rows.size(); ++r) {
    const auto& row = t->rows[r];
    auto get = [&](const char* name) { return col(name) < 0 ? std::string() : row[col(name)]; };
    PhoneSpec s;
    s.where = file_name + " row " + std::to_string(r + 1) + " (line " +
              std::to_string(t->row_lines[r]) + ")";
    auto bad = [&](const char* column, const std::string& why) {
      return BadInput(s.where + ", column \"" + column + "\": " + why);
    };
    if (std::string mac = get("mac"); !mac.empty()) {
      s.mac = NormalizeMac(mac);
      if (s.mac.empty()) return bad("mac", "\"" + mac + "\" is not a MAC address");
    }
    s.serial = get("serial");
    if (s.mac.empty() && s.serial.empty()) return bad("mac", "a phone needs a MAC or a serial");
    const Model* m = cat.FindModel(get("model"));
    if (!m) return bad("model", "unknown model \"" + get("model") + "\"");
    if (m->family.empty()) return bad("model", m->name + " has no loads in the catalog");
    s.model = m->name;
    if (auto k = KindOf(s.model); !k) return bad("model", k.error().message);
    s.firmware = get("firmware");
    auto v = ParseVersion(s.firmware);
    if (!v) return bad("firmware", v.error().message);
    s.protocol = ToLower(get("protocol"));
    if (s.protocol.empty()) {
      Protocol p = v->protocol;
      if (p == Protocol::kNone) {
        const Family* f = cat.FindFamily(m->family);
        p = f ? f->default_protocol : Protocol::kNone;
      }
      s.protocol = std::string(ProtocolName(p));
    } else if (!ParseProtocol(s.protocol)) {
      return bad("protocol", "\"" + s.protocol + "\" is not sip, sccp or mpp");
    }
    s.hardware = get("hardware");
    if (!s.hardware.empty() && !ParseHardwareRevision(s.hardware))
      return bad("hardware", "\"" + s.hardware + "\" is not a revision like V15");
    if (col("keys") >= 0 && !get("keys").empty()) {
      std::vector<std::string> keys;
      std::string k = get("keys");
      for (char& c : k) c = c == ';' ? ' ' : c;
      std::istringstream in(k);
      for (std::string w; in >> w;) keys.push_back(w);
      s.keys = keys;
    }
    s.target = get("target").empty() ? "latest" : get("target");
    s.target_given = !get("target").empty();
    if (s.target != "latest") {
      if (auto tv = ParseVersion(s.target); !tv) return bad("target", tv.error().message);
    }
    for (const std::string& key : {s.mac, s.serial}) {
      if (!key.empty() && !seen.insert(key).second)
        return BadInput(s.where + ": " + key + " appears twice in the file");
    }
    out.push_back(std::move(s));
  }
  return out;
}

Result<PhoneState> StartPhone(const Catalog& cat, const PhoneSpec& spec) {
  PhoneState p;
  p.spec = spec;
  auto kind = KindOf(spec.model);
  if (!kind) return kind.error();
  p.kind = *kind;
  const Model* m = cat.FindModel(spec.model);
  if (!m) return Unknown("unknown model \"" + spec.model + "\"");
  p.family = m->family;
  p.device_type = m->device_type;
  auto v = ParseVersion(spec.firmware);
  if (!v) return v.error();
  p.running = p.start = spec.firmware;
  p.running_v = *v;
  // The protocol column is where the phone should end up (as in `device import`); what it
  // runs now is in the load name when that says.
  const Protocol wanted = ParseProtocol(spec.protocol).value_or(Protocol::kNone);
  p.protocol = v->protocol != Protocol::kNone ? v->protocol : wanted;
  if (spec.target == "latest") {
    const Load* l = NewestLoad(cat, p.family, wanted);
    if (!l) return BadInput(spec.where + ": no " + spec.protocol + " load of " + m->name);
    p.target_v = l->load_version;
    if (p.target_v.protocol == Protocol::kNone) p.target_v.protocol = l->protocol;
  } else {
    p.target_v = ParseVersion(spec.target).value();
    if (p.target_v.protocol == Protocol::kNone) p.target_v.protocol = wanted;
  }
  return p;
}

std::string UserAgent(const PhoneState& p) {
  const std::string& model = p.spec.model;
  switch (p.kind.ua) {
    case UaStyle::kMacSerial:
      return p.kind.ua_vendor + "/" + model + "-" + p.running + " (" + ToUpper(p.spec.mac) + ")" +
             (p.spec.serial.empty() ? "" : "(" + p.spec.serial + ")");
    case UaStyle::kSerial:
      return p.kind.ua_vendor + "/" + model + "-" + p.running + " (" + p.spec.serial + ")";
    case UaStyle::kAta191: {
      std::string v = p.running.substr(p.running.find('.') + 1);  // ATA19x.11-1-0MPP0401-002
      return "Cisco/" + model + "-" + v + " (" + p.spec.serial + ")";
    }
    case UaStyle::kMpp: {  // the short version: "11.0" (domain.md pitfalls)
      const auto& r = p.running_v.release;
      std::string short_v = std::to_string(r.empty() ? 0 : r[0]) + "." +
                            std::to_string(r.size() > 1 ? r[1] : 0);
      return "Cisco-" + model + "/" + short_v + " (" + p.spec.mac + ")";
    }
    case UaStyle::kNone:
      break;
  }
  return "";
}

std::string ExpandMacros(std::string_view url, const PhoneState& p) {
  std::string out;
  for (size_t i = 0; i < url.size(); ++i) {
    if (url[i] != '$') {
      out += url[i];
      continue;
    }
    std::string_view rest = url.substr(i + 1);
    auto take = [&](std::string_view name, const std::string& value) {
      if (rest.substr(0, name.size()) != name) return false;
      out += value;
      i += name.size();
      return true;
    };
    std::string psn = p.kind.factory_file.substr(0, p.kind.factory_file.rfind('.'));
    if (psn.rfind("spa", 0) == 0) psn = psn.substr(3);
    // Longest names first: $MAU before $MA, $SWVER before $SN.
    if (take("MAU", ToUpper(p.spec.mac)) || take("MA", p.spec.mac) ||
        take("SWVER", p.running) || take("SN", p.spec.serial) || take("PSN", psn) ||
        take("PN", p.spec.model) || take("P", p.gpp_p)) {
      continue;
    }
    out += '$';
  }
  return out;
}

Result<FlatProfile> ParseFlatProfile(std::string_view xml) {
  pugi::xml_document doc;
  auto r = doc.load_buffer(xml.data(), xml.size());
  if (!r) return BadInput(std::string("profile is not XML: ") + r.description());
  pugi::xml_node root = doc.child("flat-profile");
  if (!root) return BadInput("profile has no <flat-profile> element");
  FlatProfile f;
  f.profile_rule = root.child_value("Profile_Rule");
  f.upgrade_enable = root.child_value("Upgrade_Enable");
  f.upgrade_rule = root.child_value("Upgrade_Rule");
  f.gpp_p = root.child_value("GPP_P");
  f.resync_periodic = std::atoi(root.child_value("Resync_Periodic"));
  if (pugi::xml_node b = root.child("Profile_Rule_B")) f.profile_rule_b = b.child_value();
  f.custom_ca_rule = root.child_value("Custom_CA_Rule");
  for (const char* name : {"Admin_Passwd", "Admin_Password"}) {  // SPA, MPP
    if (pugi::xml_node a = root.child(name)) f.admin_password = a.child_value();
  }
  return f;
}

Result<std::string> ParseLoadInformation(std::string_view xml, int device_type) {
  pugi::xml_document doc;
  auto r = doc.load_buffer(xml.data(), xml.size());
  if (!r) return BadInput(std::string("configuration is not XML: ") + r.description());
  if (pugi::xml_node dev = doc.child("device")) return std::string(dev.child_value("loadInformation"));
  if (pugi::xml_node def = doc.child("Default")) {
    std::string name = "loadInformation" + std::to_string(device_type);
    return std::string(def.child_value(name.c_str()));
  }
  return BadInput("configuration has neither <device> nor <Default>");
}

bool Runs(const PhoneState& p, std::string_view load) {
  auto v = ParseVersion(load);
  if (!v) return false;
  if (!SameRelease(*v, p.running_v)) return false;
  return v->protocol == Protocol::kNone || p.protocol == Protocol::kNone ||
         v->protocol == p.protocol;
}

bool AtTarget(const PhoneState& p) {
  if (!SameRelease(p.target_v, p.running_v)) return false;
  return p.target_v.protocol == Protocol::kNone || p.protocol == Protocol::kNone ||
         p.target_v.protocol == p.protocol;
}

std::string InstallRefusal(const PhoneState& p, const FakeImage& img) {
  if (ToLower(img.family) != ToLower(p.family))
    return "image " + img.file + " is for family " + img.family + ", not " + p.family;
  auto iv = ParseVersion(img.version);
  if (!iv) return "image " + img.file + " has a malformed version: " + iv.error().message;
  std::vector<std::string> keys = p.spec.keys ? *p.spec.keys : AcceptedKeys(p.kind.key_group, p.running_v);
  if (std::find(keys.begin(), keys.end(), img.signed_with) == keys.end()) {
    std::string list;
    for (const auto& k : keys) list += (list.empty() ? "" : ", ") + k;
    return "AUTH FAIL: " + img.file + " is signed with " + img.signed_with + "; " + p.running +
           " accepts " + (list.empty() ? "no key" : list);
  }
  if (auto floor = TransitionFloor(p.spec.model, *iv); floor && Compare(p.running_v, *floor) < 0) {
    return "cannot install " + img.version + " from " + p.running + ": it installs only from " +
           floor->input + " or later";
  }
  if (auto hw = HardwareFloor(p.spec.model, p.spec.hardware); hw && Compare(*iv, *hw) < 0) {
    return "hardware " + p.spec.hardware + " cannot run " + img.version + " (needs " + hw->input +
           " or later)";
  }
  return "";
}

void Install(PhoneState& p, const FakeImage& img) {
  p.running = img.load;
  auto v = ParseVersion(img.load);
  p.running_v = v ? *v : ParseVersion(img.version).value();
  if (auto pr = ParseProtocol(img.protocol)) p.protocol = *pr;
  p.hops.push_back({img.load, img.version});
}

}  // namespace stepup::sim
