#include "core/identify.h"

#include <algorithm>
#include <cctype>

#include "core/text.h"

namespace stepup {
namespace {

using sv = std::string_view;

char Low(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }
char Up(char c) { return static_cast<char>(std::toupper(static_cast<unsigned char>(c))); }
bool Digit(char c) { return c >= '0' && c <= '9'; }
bool Hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
bool Space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string Upper(sv s) {
  std::string o(s);
  std::transform(o.begin(), o.end(), o.begin(), Up);
  return o;
}
sv Trim(sv s) {
  while (!s.empty() && (Space(s.front()) || s.front() == '\0')) s.remove_prefix(1);
  while (!s.empty() && (Space(s.back()) || s.back() == '\0')) s.remove_suffix(1);
  return s;
}
bool StartsWithI(sv s, sv p) {
  return s.size() >= p.size() && ToLower(s.substr(0, p.size())) == ToLower(p);
}
bool EndsWithI(sv s, sv p) {
  return s.size() >= p.size() && ToLower(s.substr(s.size() - p.size())) == ToLower(p);
}
bool AllHex(sv s) { return !s.empty() && std::all_of(s.begin(), s.end(), Hex); }

bool PlausibleSerial(sv s) {
  return s.size() >= 6 && s.size() <= 20 && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c));
         });
}

std::string Canonical(sv model, const Catalog* cat) {
  if (model.empty()) return {};
  if (cat) {
    if (const Model* m = cat->FindModel(model)) return m->name;
  }
  return std::string(model);
}

// The line of a catalogued model ("ata", "spa", "mpp"...), "" if unknown.
std::string LineOf(const std::string& model, const Catalog* cat) {
  if (!cat) return {};
  const Model* m = cat->FindModel(model);
  if (!m) return {};
  const Family* f = cat->FindFamily(m->family);
  return f ? f->line : std::string();
}

// Splits "SPA-942-6.1.5(a)" into model and version at the '-' that starts a version
// (N.N... or N-N-N...). Returns false if there is none.
bool SplitModelVersion(sv token, sv* model, sv* version) {
  for (size_t i = 1; i + 1 < token.size(); ++i) {
    if (token[i] != '-' || !Digit(token[i + 1])) continue;
    size_t j = i + 1;
    while (j < token.size() && Digit(token[j])) ++j;
    bool dotted = j + 1 < token.size() && token[j] == '.' && Digit(token[j + 1]);
    bool dashed = false;
    if (j + 1 < token.size() && token[j] == '-' && Digit(token[j + 1])) {
      size_t k = j + 1;
      while (k < token.size() && Digit(token[k])) ++k;
      dashed = k + 1 < token.size() && token[k] == '-' && Digit(token[k + 1]);
    }
    if (dotted || dashed) {
      *model = token.substr(0, i);
      *version = token.substr(i + 1);
      return true;
    }
  }
  return false;
}

// "(A)(B) (C)" -> {A, B, C}; stops at the first thing that is not a group.
std::vector<sv> ParenGroups(sv s) {
  std::vector<sv> out;
  for (;;) {
    while (!s.empty() && Space(s.front())) s.remove_prefix(1);
    if (s.empty() || s.front() != '(') break;
    size_t close = s.find(')');
    if (close == sv::npos) break;
    out.push_back(Trim(s.substr(1, close - 1)));
    s.remove_prefix(close + 1);
  }
  return out;
}

void MacOrSerial(sv value, bool serial_only, Identity& id) {
  std::string mac = serial_only ? std::string() : NormalizeMac(value);
  if (!mac.empty() && value.size() == 12) {
    id.mac = mac;
  } else if (PlausibleSerial(value)) {
    id.serial = std::string(value);
  }
}

// Cisco/SPA504G-7.4.3a (MAC)(SERIAL), Linksys/SPA-942-6.1.5(a) (SERIAL), Cisco/ATA191-MPP-...
Identity SpaUserAgent(sv vendor, sv body, const Catalog* cat) {
  Identity id;
  id.vendor = ToLower(vendor);
  size_t sp = 0;
  while (sp < body.size() && !Space(body[sp])) ++sp;
  sv token = body.substr(0, sp);
  // A version may carry its own "(...)" ("6.1.5(a)"); groups after whitespace are MAC/serial.
  size_t glued = token.find(")(");
  sv rest = body.substr(sp);
  if (glued != sv::npos) {  // "7.3.7(MAC)(SN)" without a space
    rest = body.substr(glued + 1);
    token = token.substr(0, glued + 1);
  }
  sv model, version;
  if (!SplitModelVersion(token, &model, &version)) return id;
  id.model = Canonical(model, cat);
  id.firmware = std::string(version);
  std::string line = LineOf(id.model, cat);
  const bool serial_only = line == "ata" || StartsWithI(id.model, "SPA-9") ||
                           StartsWithI(id.model, "SPA525") || StartsWithI(id.model, "ATA19");
  id.protocol = StartsWithI(id.model, "ATA19") ? Protocol::kMpp : Protocol::kSip;
  std::vector<sv> groups = ParenGroups(rest);
  if (groups.size() >= 2) {
    MacOrSerial(groups[0], false, id);
    if (PlausibleSerial(groups[1])) id.serial = std::string(groups[1]);
  } else if (groups.size() == 1) {
    MacOrSerial(groups[0], serial_only, id);
  }
  return id;
}

// Cisco-CP-8841-3PCC/11.0 (00562b043615) and enterprise Cisco-CP8851/12.1.1.
Identity CiscoCpUserAgent(sv body, const Catalog* cat) {
  Identity id;
  id.vendor = "cisco";
  size_t slash = body.find('/');
  if (slash == sv::npos) return id;
  sv model = body.substr(0, slash);  // "CP-8841-3PCC" or "CP8851"
  sv rest = body.substr(slash + 1);
  size_t sp = 0;
  while (sp < rest.size() && !Space(rest[sp])) ++sp;
  id.firmware = std::string(rest.substr(0, sp));
  std::string m(model);
  if (EndsWithI(m, "-3PCC")) {
    id.protocol = Protocol::kMpp;
  } else {
    id.protocol = Protocol::kSip;
    if (StartsWithI(m, "CP") && m.size() > 2 && m[2] != '-') m = "CP-" + m.substr(2);
  }
  id.model = Canonical(m, cat);
  std::vector<sv> groups = ParenGroups(rest.substr(sp));
  if (!groups.empty()) MacOrSerial(groups[0], false, id);
  return id;
}

std::vector<sv> Words(sv s) {
  std::vector<sv> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && Space(s[i])) ++i;
    size_t j = i;
    while (j < s.size() && !Space(s[j])) ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

// Yealink OUIs (wazo-provd-plugins dhcpd configs), for DECT/video models that omit the vendor.
bool YealinkMac(const std::string& mac) {
  for (const char* oui : {"001565", "e434d7", "805ec0", "805e0c", "249ad8", "44dbd2", "644f56",
                          "ec1da9", "3497d7", "b061a9", "c4fc22", "f01653"}) {
    if (mac.rfind(oui, 0) == 0) return true;
  }
  return false;
}

// Yealink SIP-T20P 9.72.0.30 00:15:65:5e:16:7c | yealink SIP VP-T49G ... | W52P 25.30.0.2 <mac>
// | Yealink-T46G 28.71.0.81 28.1.0.128.0.0.0
Identity YealinkUserAgent(const std::vector<sv>& w) {
  Identity id;
  id.vendor = "yealink";
  id.protocol = Protocol::kSip;
  size_t first = 0, last = w.size();
  if (StartsWithI(w[0], "Yealink-")) {
    id.model = std::string(w[0].substr(8));
    if (w.size() > 1) id.firmware = std::string(w[1]);
    return id;
  }
  if (StartsWithI(w[0], "Yealink")) first = 1;
  if (last > first && !NormalizeMac(w[last - 1]).empty()) id.mac = NormalizeMac(w[--last]);
  if (last > first + 1) id.firmware = std::string(w[--last]);
  for (size_t i = first; i < last; ++i) id.model += (i > first ? " " : "") + std::string(w[i]);
  return id;
}

// Grandstream Model HW GXP2200 V2.2A SW 1.0.1.33 DevId 000b82462d97 | Grandstream HT287 1.1.0.31
// | Grandstream GXP2000 (gxp2000e.bin:1.2.5.3/boot55e.bin:1.1.6.9) DevId 000b822726c8
Identity GrandstreamUserAgent(const std::vector<sv>& w) {
  Identity id;
  id.vendor = "grandstream";
  id.protocol = Protocol::kSip;
  for (size_t i = 1; i + 1 < w.size(); ++i) {
    if (w[i] == "HW") id.model = std::string(w[i + 1]);
    if (w[i] == "SW") id.firmware = std::string(w[i + 1]);
    if (w[i] == "DevId") id.mac = NormalizeMac(w[i + 1]);
  }
  if (id.model.empty() && w.size() > 2 && w[1] != "Model") {
    id.model = std::string(w[1]);
    sv fw = w[2];
    if (!fw.empty() && fw.front() == '(') {  // (app.bin:VERSION/boot.bin:VERSION): the app's
      size_t colon = fw.find(':');
      size_t end = fw.find_first_of("/)", colon);
      fw = colon == sv::npos ? sv() : fw.substr(colon + 1, end - colon - 1);
    }
    id.firmware = std::string(fw);
  }
  return id;
}

// FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 Type/Application, optionally with
// "(SN:<mac>)"; newer Poly devices say PolyEdge-Edge_E450 or PolyCCX-CCX_500. The model drops
// the underscore (VVX400), as provisioning projects do.
Identity PolyUserAgent(sv ua, size_t at) {
  Identity id;
  id.vendor = "polycom";
  id.protocol = Protocol::kSip;
  sv rest = ua.substr(at);
  size_t ua_at = rest.find("-UA/");
  size_t dash = rest.find('-');
  if (ua_at == sv::npos || dash >= ua_at) return id;
  for (char c : rest.substr(dash + 1, ua_at - dash - 1)) {
    if (c != '_') id.model.push_back(c);
  }
  sv fw = rest.substr(ua_at + 4);
  size_t sp = 0;
  while (sp < fw.size() && !Space(fw[sp])) ++sp;
  id.firmware = std::string(fw.substr(0, sp));
  size_t sn = ua.find("(SN:");
  if (sn != sv::npos) {
    sv v = ua.substr(sn + 4, ua.find(')', sn) - sn - 4);
    id.mac = NormalizeMac(v);  // Polycom's serial number is its MAC
    if (PlausibleSerial(v)) id.serial = std::string(v);
  }
  return id;
}

Identity OtherUserAgent(sv ua) {
  std::vector<sv> w = Words(ua);
  if (w.empty()) return {};
  if (StartsWithI(w[0], "Yealink")) return YealinkUserAgent(w);
  if (StartsWithI(w[0], "Grandstream")) return GrandstreamUserAgent(w);
  for (sv p : {sv("FileTransport Poly"), sv("Microbrowser/1.1 Poly")}) {
    if (StartsWithI(ua, p)) return PolyUserAgent(ua, p.size() - 4);
  }
  if (w.size() == 3 && YealinkMac(NormalizeMac(w[2]))) return YealinkUserAgent(w);
  return {};
}

// "8851-3PCC" (a $PSN) -> "CP-8851-3PCC"
bool IsMppPsn(sv s) {
  return s.size() >= 9 && Digit(s[0]) && Digit(s[1]) && Digit(s[2]) && Digit(s[3]) &&
         EndsWithI(s, "-3PCC");
}

}  // namespace

std::string NormalizeMac(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == ':' || c == '-' || c == '.') continue;
    if (!Hex(c)) return {};
    out.push_back(Low(c));
  }
  return out.size() == 12 ? out : std::string();
}

Identity IdentifyUserAgent(std::string_view ua, const Catalog* cat) {
  ua = Trim(ua);
  if (StartsWithI(ua, "Cisco-CP")) return CiscoCpUserAgent(ua.substr(6), cat);
  for (sv vendor : {sv("Cisco"), sv("Linksys"), sv("Sipura")}) {
    if (StartsWithI(ua, vendor) && ua.size() > vendor.size() && ua[vendor.size()] == '/') {
      return SpaUserAgent(vendor, ua.substr(vendor.size() + 1), cat);
    }
  }
  return OtherUserAgent(ua);
}

Identity IdentifyPath(std::string_view path, const Catalog* cat) {
  Identity id;
  sv query;
  if (size_t q = path.find('?'); q != sv::npos) {
    query = path.substr(q + 1);
    path = path.substr(0, q);
  }
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  size_t slash = path.rfind('/');
  sv name = slash == sv::npos ? path : path.substr(slash + 1);
  sv dirs = slash == sv::npos ? sv() : path.substr(0, slash);
  std::string lower = ToLower(name);
  auto mac_between = [&](size_t prefix, size_t suffix) {
    if (lower.size() != prefix + 12 + suffix) return std::string();
    sv mid = name.substr(prefix, 12);
    return AllHex(mid) ? NormalizeMac(mid) : std::string();
  };
  auto ends = [&](sv s) { return EndsWithI(lower, s); };
  if (StartsWithI(lower, "ctlsep") || StartsWithI(lower, "itlsep")) {
    if (ends(".tlv")) id.mac = mac_between(6, 4);
    id.vendor = "cisco";
  } else if (StartsWithI(lower, "sep")) {
    for (sv suffix : {sv(".cnf.xml"), sv(".cnf.xml.sgn"), sv(".cnf.xml.enc.sgn")}) {
      if (ends(suffix)) id.mac = mac_between(3, suffix.size());
    }
    id.vendor = "cisco";
  } else if ((StartsWithI(lower, "sip") || StartsWithI(lower, "mgc")) && ends(".cnf")) {
    // SIP<MAC>.cnf, MGC<MAC>.cnf: a 7940/7960 (79xx sheet section 6, JHEAD tftplog)
    id.mac = mac_between(3, 4);
    id.vendor = "cisco";
    if (!id.mac.empty() && lower[0] == 's') id.protocol = Protocol::kSip;
  } else if (StartsWithI(lower, "ata") && ends(".cnf.xml")) {
    id.mac = mac_between(3, 8);
    id.vendor = "cisco";
  } else if (StartsWithI(lower, "spa") && ends(".cfg")) {
    id.vendor = "cisco";
    id.mac = mac_between(3, 4);
    if (id.mac.empty() && lower.size() > 7) {  // spa$PSN.cfg: spa504G.cfg -> SPA504G
      id.model = Canonical("SPA" + Upper(name.substr(3, name.size() - 7)), cat);
      id.protocol = Protocol::kSip;
    }
  } else if (lower == "init.cfg") {
    id.vendor = "linksys";
    id.model = Canonical("PAP2T", cat);
    id.protocol = Protocol::kSip;
  } else if (lower == "xmldefault.cnf.xml" || lower == "os79xx.txt") {
    id.vendor = "cisco";
  } else if (ends(".xml") || ends(".cfg")) {
    sv stem = name.substr(0, name.size() - 4);
    if (stem.size() == 12 && AllHex(stem)) {
      id.mac = NormalizeMac(stem);
    } else if (IsMppPsn(stem)) {  // $PSN.xml: 8851-3PCC.xml
      id.vendor = "cisco";
      id.model = Canonical("CP-" + Upper(stem), cat);
      id.protocol = Protocol::kMpp;
    }
    // /Cisco/CP-8851-3PCC/$MA.cfg
    size_t last = dirs.rfind('/');
    sv parent = last == sv::npos ? dirs : dirs.substr(last + 1);
    if (StartsWithI(parent, "CP-") && EndsWithI(parent, "-3PCC")) {
      id.vendor = "cisco";
      id.model = Canonical(Upper(parent), cat);
      id.protocol = Protocol::kMpp;
    }
  }
  if (!query.empty()) {
    if (std::string m = NormalizeMac(QueryParam(query, "mac")); !m.empty()) id.mac = m;
    if (std::string s = QueryParam(query, "sn"); PlausibleSerial(s)) id.serial = s;
    if (std::string v = QueryParam(query, "sw"); !v.empty() && v.size() <= 64) id.firmware = v;
  }
  return id;
}

Identity IdentifyVendorClass(std::string_view vc, const Catalog* cat) {
  Identity id;
  vc = Trim(vc);
  sv model = vc;
  for (sv prefix : {sv("Cisco Systems, Inc. IP Phone "), sv("Cisco Systems Inc. IP Phone "),
                    sv("Cisco "), sv("Linksys ")}) {
    if (StartsWithI(vc, prefix)) {
      id.vendor = StartsWithI(prefix, "Linksys") ? "linksys" : "cisco";
      model = Trim(vc.substr(prefix.size()));
      break;
    }
  }
  if (id.vendor.empty()) {
    if (StartsWithI(vc, "CP-") || StartsWithI(vc, "SPA") || StartsWithI(vc, "ATA")) {
      id.vendor = "cisco";
    } else if (StartsWithI(vc, "yealink")) {
      id.vendor = "yealink";
      return id;
    } else {
      return id;
    }
  }
  if (model.empty() || model.find(' ') != sv::npos || model.size() > 32) return id;
  id.model = Canonical(model, cat);
  if (cat && !cat->FindModel(model)) id.model = Upper(model);  // as announced, upper-case
  id.protocol = EndsWithI(id.model, "-3PCC") || EndsWithI(id.model, "-MPP") ? Protocol::kMpp
                                                                            : Protocol::kNone;
  return id;
}

Identity IdentifyCertSubject(std::string_view subject, const Catalog* cat) {
  Identity id;
  sv s = Trim(subject);
  while (!s.empty()) {
    size_t end = s.find_first_of(",/");
    sv part = Trim(s.substr(0, end));
    s = end == sv::npos ? sv() : s.substr(end + 1);
    size_t eq = part.find('=');
    if (eq == sv::npos) continue;
    std::string key = Upper(Trim(part.substr(0, eq)));
    sv value = Trim(part.substr(eq + 1));
    if (key == "OU" &&
        (StartsWithI(value, "CP-") || StartsWithI(value, "SPA") || StartsWithI(value, "ATA"))) {
      id.model = Canonical(value, cat);
    } else if (key == "L" && PlausibleSerial(value)) {
      id.serial = std::string(value);
    } else if (key == "S") {
      id.mac = NormalizeMac(value);
    } else if (key == "SERIALNUMBER") {  // PID:CP-8861 SN:FCH18198CNQ
      for (sv w : Words(value)) {
        if (StartsWithI(w, "PID:")) id.model = Canonical(w.substr(4), cat);
        if (StartsWithI(w, "SN:") && PlausibleSerial(w.substr(3)))
          id.serial = std::string(w.substr(3));
      }
    } else if (key == "CN") {  // CP-8861-SEP001122334455 or SEP001122334455
      size_t sep = Upper(value).rfind("SEP");
      if (sep != sv::npos && value.size() == sep + 15) {
        id.mac = NormalizeMac(value.substr(sep + 3));
        if (sep > 1 && id.model.empty()) id.model = Canonical(value.substr(0, sep - 1), cat);
      }
    }
  }
  if (!id.empty()) id.vendor = "cisco";
  if (EndsWithI(id.model, "-3PCC")) id.protocol = Protocol::kMpp;
  return id;
}

std::string Conflict::Describe() const {
  std::string out = field + " disagrees:";
  for (const auto& [source, value] : claims) out += " " + source + " says \"" + value + "\";";
  out.pop_back();
  return out;
}

MergedIdentity MergeIdentities(const std::vector<Observation>& obs) {
  MergedIdentity out;
  // Fields that identify a device must agree; vendor and firmware go by precedence (a path's
  // $SWVER is more precise than an MPP User-Agent's short version).
  auto agree = [&](const char* field, auto get, bool ci) {
    std::vector<std::pair<std::string, std::string>> claims;
    std::string value;
    bool conflict = false;
    for (const auto& o : obs) {
      std::string v = get(o.identity);
      if (v.empty()) continue;
      claims.emplace_back(o.source, v);
      if (value.empty()) {
        value = v;
      } else if (ci ? ToLower(value) != ToLower(v) : value != v) {
        conflict = true;
      }
    }
    if (conflict) {
      out.conflicts.push_back({field, claims});
      return std::string();
    }
    return value;
  };
  Identity& id = out.identity;
  id.model = agree(
      "model", [](const Identity& i) { return i.model; }, true);
  id.mac = agree(
      "mac", [](const Identity& i) { return i.mac; }, true);
  id.serial = agree(
      "serial", [](const Identity& i) { return i.serial; }, true);
  std::string proto = agree(
      "protocol", [](const Identity& i) { return std::string(ProtocolName(i.protocol)); }, false);
  id.protocol = ParseProtocol(proto).value_or(Protocol::kNone);
  for (const auto& o : obs) {
    if (id.vendor.empty()) id.vendor = o.identity.vendor;
  }
  for (const char* pref : {"path", "user-agent", "cert", "vendor-class"}) {
    for (const auto& o : obs) {
      if (id.firmware.empty() && o.source == pref) id.firmware = o.identity.firmware;
    }
  }
  return out;
}

}  // namespace stepup
