#include "sim/behaviour.h"

#include <cctype>

#include "core/text.h"

namespace stepup::sim {
namespace {

bool Starts(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool Ends(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

Version V(std::string_view s) { return ParseVersion(s).value(); }  // table constants only

bool Before(const Version& v, std::string_view bound) { return Compare(v, V(bound)) < 0; }

}  // namespace

Result<PhoneKind> KindOf(std::string_view model) {
  std::string m = ToLower(std::string(model));
  // domain.md "Phone families and how each asks for things"; 79xx-enterprise.md section 6.
  if (Starts(m, "cp-79") && m != "cp-7940g" && m != "cp-7960g") {
    return PhoneKind{BootStyle::kEnterprise, UaStyle::kNone, "79xx", "", "",
                     "79xx-enterprise.md section 6 (CTLSEP, ITLSEP, SEP<MAC>.cnf.xml, .loads)"};
  }
  if (Ends(m, "-3pcc")) {  // $PSN.xml: 8841-3PCC.xml (spa-ata-mpp.md, MPP DHCP opt 60 row)
    std::string psn(model.substr(3));
    return PhoneKind{BootStyle::kMpp, UaStyle::kMpp, "mpp", psn + ".xml", "Cisco",
                     "spa-ata-mpp.md section 4 (MPP User-Agent, $PSN.xml)"};
  }
  if (Starts(m, "cp-78") || Starts(m, "cp-88") || Starts(m, "cp-68")) {
    return PhoneKind{BootStyle::kEnterprise, UaStyle::kNone, "ent", "", "",
                     "domain.md: 78xx/88xx enterprise boot like 79xx"};
  }
  // ATA191/192 MPP only: the enterprise ATA190's boot and User-Agent are not in the sheets.
  if (Starts(m, "ata191") || Starts(m, "ata192")) {
    return PhoneKind{BootStyle::kFlatProfile, UaStyle::kAta191, "mpp", "", "Cisco",
                     "spa-ata-mpp.md section 4 (ATA191 User-Agent carries the serial only)"};
  }
  if (m == "pap2t") {  // domain.md: PAP2T asks /init.cfg
    return PhoneKind{BootStyle::kFlatProfile, UaStyle::kSerial, "spa", "init.cfg", "Linksys",
                     "domain.md (PAP2T /init.cfg); contract.md (ATA User-Agents carry the serial)"};
  }
  if (Starts(m, "spa")) {
    std::string psn(model.substr(3));
    bool ata = Starts(m, "spa1") || Starts(m, "spa2") || Starts(m, "spa3102");
    bool linksys = Starts(m, "spa2") || Starts(m, "spa3102");
    return PhoneKind{BootStyle::kFlatProfile, ata ? UaStyle::kSerial : UaStyle::kMacSerial, "spa",
                     "spa" + psn + ".cfg", linksys ? "Linksys" : "Cisco",
                     "seed 003 (User-Agent, /spa$PSN.cfg); contract.md (ATA User-Agents)"};
  }
  return BadInput("the simulator has no behaviour for model \"" + std::string(model) + "\"");
}

std::vector<std::string> AcceptedKeys(std::string_view group, const Version& running) {
  if (group == "79xx") {
    // Seed 001 (QSOLV1): before 8.3(3) only the old key; 8.3(3) through 8.5(2) both; 8.5(3)
    // only the new one. 8.5(2)SR1 is not covered by any source (notes section 4, U): the
    // simulated phone takes the stricter reading, new key only.
    if (Before(running, "8.3(3)")) return {"79xx-old"};
    if (Before(running, "8.5(2)SR1")) return {"79xx-old", "79xx-new"};
    return {"79xx-new"};
  }
  if (group == "spa") return {"spa"};  // no key change recorded for SPA/Linksys (spa-ata-mpp.md)
  if (group == "mpp") return {"mpp"};  // none recorded for MPP phones and ATA191
  if (group == "ent") return {"ent-78xx-88xx"};  // none recorded (78xx-88xx-enterprise.md)
  return {};
}

std::string SigningKey(std::string_view group, const Version& image) {
  if (group == "79xx")  // CRIMSON, DUDEK (seed 000): 8.5(2)SR1 and later carry the new key
    return Before(image, "8.5(2)SR1") ? "79xx-old" : "79xx-new";
  if (group == "spa") return "spa";
  if (group == "mpp") return "mpp";
  if (group == "ent") return "ent-78xx-88xx";
  return "unknown";
}

std::optional<Version> TransitionFloor(std::string_view model, const Version& image) {
  // Seed 003 and spa-ata-mpp.md section 1: SPA30x/50x below 7.5.2b must take 7.5.2b before
  // 7.5.4 and later (7.6.x included). SPA51x and SPA525G have no such hop.
  std::string m = ToLower(std::string(model));
  bool spa30x50x = (Starts(m, "spa30") || Starts(m, "spa50")) && m.size() <= 7;
  if (spa30x50x && !Before(image, "7.5.4")) return V("7.5.2b");
  return std::nullopt;
}

bool TrustsCurrentServerCa(std::string_view model, const Version& running) {
  // community.cisco.com "SPA Certificate Authority (CA) list": SPA5xx firmware 7.5.6 and newer
  // uses the "Cisco 2k Small Business CA", older firmware the older SB CA; the 7832 MPP admin
  // guide's signing portal lists "SPA5xx firmware 7.5.6 and newer" with the 3PCC phones. The
  // SPA30x runs the SPA50x images.
  std::string m = ToLower(std::string(model));
  bool spa5xx = (Starts(m, "spa30") || Starts(m, "spa50") || Starts(m, "spa51") ||
                 Starts(m, "spa52"));
  return !spa5xx || !Before(running, "7.5.6");
}

const std::vector<HardwareFloorRow>& HardwareFloors() {
  // 78xx-88xx-enterprise.md section 2 (hardware rows) and spa-ata-mpp.md section 3 (#4, #5).
  static const std::vector<HardwareFloorRow> rows = {
      {{"CP-7841"}, "V02", "10.1(1)SR1", "RN 7800 10.1(1)SR1"},
      {{"CP-7821", "CP-7861"}, "V03", "10.3(1)", "AG78-HW"},
      {{"CP-7841"}, "V04", "10.3(1)", "AG78-HW"},
      {{"CP-8811", "CP-8841", "CP-8851", "CP-8851NR"}, "V08", "11.7(1)", "RN88-1171"},
      {{"CP-8811", "CP-8841", "CP-8851", "CP-8861"}, "V15", "12.6(1)", "FN70546"},
      {{"CP-7841"}, "V18", "14.0(1)SR2", "RN78-1401SR2"},
      // FN70546 says 14.0, the 14.0(1)SR3 notes say SR3: the stricter one.
      {{"CP-7821", "CP-7841", "CP-7861"}, "V20", "14.0(1)SR3", "FN70546; RN 14.0(1)SR3"},
      {{"CP-8811-3PCC", "CP-8841-3PCC", "CP-8851-3PCC", "CP-8861-3PCC"}, "V15", "11.3(3)",
       "8800 11.3(3) RN; guide c07-742786"},
  };
  return rows;
}

std::optional<Version> HardwareFloor(std::string_view model, std::string_view revision) {
  auto rev = [](std::string_view r) -> int {
    if (r.size() < 2 || (r[0] != 'V' && r[0] != 'v')) return -1;
    int n = 0;
    for (char c : r.substr(1)) {
      if (!std::isdigit(static_cast<unsigned char>(c)) || n > 10000) return -1;
      n = n * 10 + (c - '0');
    }
    return n;
  };
  int have = rev(revision);
  if (have < 0) return std::nullopt;
  std::optional<Version> floor;
  std::string m = ToLower(std::string(model));
  for (const auto& row : HardwareFloors()) {
    bool listed = false;
    for (auto name : row.models) listed = listed || ToLower(std::string(name)) == m;
    if (!listed || have < rev(row.revision)) continue;  // "this revision and later"
    Version v = V(row.min_version);
    if (!floor || Compare(v, *floor) > 0) floor = v;
  }
  return floor;
}

Result<std::string> EvaluateUpgradeRule(std::string_view rule, const Version& running) {
  auto trim = [](std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
  };
  rule = trim(rule);
  if (rule.empty() || rule.front() != '(') return std::string(rule);
  // ( $SWVER op VALUE ) ? URL_IF_TRUE | URL_IF_FALSE   (Cisco SPA provisioning guide syntax)
  size_t close = rule.find(')'), q = rule.find('?', close == std::string_view::npos ? 0 : close);
  if (close == std::string_view::npos || q == std::string_view::npos)
    return BadInput("Upgrade_Rule \"" + std::string(rule.substr(0, 120)) + "\" is malformed");
  std::string_view cond = trim(rule.substr(1, close - 1));
  std::string_view branches = rule.substr(q + 1);
  size_t bar = branches.find('|');
  std::string_view yes = trim(branches.substr(0, bar));
  std::string_view no = bar == std::string_view::npos ? "" : trim(branches.substr(bar + 1));
  size_t sp1 = cond.find(' '), sp2 = cond.rfind(' ');
  if (sp1 == std::string_view::npos || sp1 == sp2 || cond.substr(0, sp1) != "$SWVER")
    return BadInput("Upgrade_Rule condition \"" + std::string(cond) + "\" is not understood");
  std::string_view op = trim(cond.substr(sp1, sp2 - sp1));
  std::string_view value = trim(cond.substr(sp2));
  auto v = ParseVersion(value);
  if (!v || !v->letter.empty()) {
    return BadInput("cannot evaluate \"" + std::string(cond) +
                    "\": the firmware compares versions with a letter suffix as text (seed 003)");
  }
  int c = Compare(running, *v);
  bool truth = op == "lt" ? c < 0 : op == "le" ? c <= 0 : op == "gt" ? c > 0
             : op == "ge" ? c >= 0 : op == "eq" ? c == 0 : op == "ne" ? c != 0 : false;
  if (op != "lt" && op != "le" && op != "gt" && op != "ge" && op != "eq" && op != "ne")
    return BadInput("Upgrade_Rule operator \"" + std::string(op) + "\" is not understood");
  return std::string(truth ? yes : no);
}

}  // namespace stepup::sim
