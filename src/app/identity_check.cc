#include "app/identity_check.h"

#include "core/text.h"

namespace stepup {
namespace {

bool Has(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

// Something the request claims contradicts the inventory (a prober's mark), as opposed to
// proof it does not carry (a factory-reset phone's first request may lack a serial).
void Contradicts(IdentityVerdict& v, std::string what) {
  v.disagreements.push_back(std::move(what));
  v.contradicted = true;
}
void Lacks(IdentityVerdict& v, std::string what) { v.disagreements.push_back(std::move(what)); }

// The HTTP(S) rules for SPA/ATA/MPP phones: the User-Agent, or a client certificate, names
// the enrolled model and the device's MAC or serial.
void CheckAnnounced(const IdentityFacts& f, IdentityVerdict& v) {
  const Device& d = *f.device;
  const Identity* who = f.cert && !f.cert->empty() ? f.cert : f.user_agent;
  const char* what = who == f.cert ? "client certificate" : "User-Agent";
  if (!who || who->empty()) {
    Lacks(v, f.request->transport == "tftp"
                 ? "no User-Agent (TFTP carries none; a flat profile's secrets go over HTTP)"
                 : "no User-Agent naming the phone");
    return;
  }
  if (who->model.empty()) {
    Lacks(v, std::string(what) + " names no phone model");
  } else if (who->model != d.model) {
    Contradicts(v, std::string(what) + " names model " + who->model.substr(0, 40) + ", not " +
                       d.model);
  }
  if (!who->mac.empty() && !d.mac.empty() && who->mac != d.mac) {
    Contradicts(v, std::string(what) + " names MAC " + who->mac + ", not the device's");
  }
  // A serial-only User-Agent (ATA, SPA525G) is checked by the serial rule below.
  if (who->mac.empty() && who->serial.empty())
    Lacks(v, std::string(what) + " names neither a MAC nor a serial");
}

// Where the inventory holds a serial the request must carry it; where it holds none, the
// first request that carries one (and otherwise agrees) teaches it.
void CheckSerial(const IdentityFacts& f, IdentityVerdict& v) {
  const std::string& recorded = f.device->serial;
  const std::string& claimed = f.merged->identity.serial;
  if (!recorded.empty() && claimed.empty()) {
    Lacks(v, "no serial (the inventory holds one for this device)");
  } else if (!recorded.empty() && claimed != recorded) {
    Contradicts(v, "serial " + claimed.substr(0, 40) + " does not match the inventory's");
  } else if (recorded.empty() && !claimed.empty()) {
    v.learn_serial = claimed;
  }
}

// A verified client certificate (HTTPS) that names this device's MAC.
bool CertNamesDevice(const IdentityFacts& f) {
  return f.cert && !f.cert->mac.empty() && f.cert->mac == f.device->mac;
}

}  // namespace

bool FlatProfileFamily(const Family* family) {
  return family && (family->line == "spa" || family->line == "ata" || family->line == "mpp");
}

bool TrustListFileName(const std::string& name) {
  std::string l = ToLower(name);
  return (l.rfind("ctlsep", 0) == 0 || l.rfind("itlsep", 0) == 0) && l.ends_with(".tlv");
}

bool EnterpriseFileName(const std::string& name) {
  std::string l = ToLower(name);
  if (TrustListFileName(l)) return true;
  if (l.rfind("sep", 0) == 0 && Has(l, ".cnf.xml")) return true;
  return l.rfind("sip", 0) == 0 && l.ends_with(".cnf");
}

bool SecretSetting(const std::string& key) {
  std::string k = ToLower(key);
  return Has(k, "password") || Has(k, "passwd") || Has(k, "secret") || Has(k, "token") ||
         k == "pin" || k.ends_with("_pin") || k.ends_with("_key") || k == "key";
}

Settings WithoutSecrets(const Settings& settings) {
  Settings out;
  for (const auto& [k, v] : settings) {
    if (!SecretSetting(k)) out.emplace(k, v);
  }
  return out;
}

std::string IdentityVerdict::Describe() const {
  std::string out;
  for (const auto& d : disagreements) out += (out.empty() ? "" : "; ") + d;
  return out;
}

namespace {

// Everything but the device's client_cert setting.
IdentityVerdict Screen(const IdentityFacts& f) {
  IdentityVerdict v;
  const Device& d = *f.device;
  const std::string name = f.request->target.substr(0, f.request->target.find('?'));
  const std::string file = name.substr(name.rfind('/') + 1);
  const bool flat = FlatProfileFamily(f.family);
  const bool enterprise_name = EnterpriseFileName(file);
  if (flat && enterprise_name) {
    Contradicts(v, "file name " + file.substr(0, 80) + " is not one a " + d.model +
                       " asks for (it takes a flat profile)");
  } else if (!flat && !enterprise_name) {
    Contradicts(v, "file name " + file.substr(0, 80) + " is not one a " + d.model +
                       " asks for (it takes SEP<MAC>.cnf.xml)");
  }
  if (flat) {
    CheckAnnounced(f, v);
    CheckSerial(f, v);
    v.clearance = v.disagreements.empty() ? Clearance::kSecrets : Clearance::kBootstrap;
    if (!v.disagreements.empty()) v.learn_serial.clear();
    return v;
  }
  // Enterprise phones: no User-Agent over TFTP; one that is sent must not name another phone.
  if (f.user_agent && !f.user_agent->model.empty() && f.user_agent->model != d.model)
    Contradicts(v, "User-Agent names model " + f.user_agent->model.substr(0, 40) + ", not " +
                       d.model);
  if (!f.merged->identity.serial.empty() && !d.serial.empty() &&
      f.merged->identity.serial != d.serial)
    Contradicts(v, "serial does not match the inventory's");
  const bool tftp = f.request->transport == "tftp";
  if (!v.disagreements.empty()) {
    v.clearance = Clearance::kRefuse;
    return v;
  }
  if (tftp && f.tftp_secrets == TftpSecrets::kAny) {
    v.clearance = Clearance::kSecrets;
  } else if (CertNamesDevice(f)) {  // HTTPS with the phone's own verified certificate
    v.clearance = Clearance::kSecrets;
  } else if (tftp && f.tftp_secrets == TftpSecrets::kOff) {
    v.clearance = Clearance::kWalkOnly;  // policy, not a disagreement
  } else if (f.boot_followed) {
    v.clearance = Clearance::kSecrets;
  } else {
    Lacks(v, "no boot followed from this address (it did not ask for its CTLSEP/ITLSEP trust "
             "lists first)");
    // Over TFTP the walk goes on without secrets (a phone cannot prove more there); over
    // HTTP an enterprise phone's config request comes after its TFTP boot, so none is refused.
    v.clearance = tftp ? Clearance::kWalkOnly : Clearance::kRefuse;
  }
  return v;
}

}  // namespace

bool RequiresClientCert(const Device& d) {
  auto it = d.settings.find(kClientCertSetting);
  return it != d.settings.end() && ToLower(it->second) == "required";
}

// Secrets only over mTLS: the operator's device setting client_cert=required withholds a
// device's secrets from any request without a verified certificate naming it; its walk goes
// on (policy, not a disagreement).
IdentityVerdict CheckIdentity(const IdentityFacts& f) {
  IdentityVerdict v = Screen(f);
  if (v.clearance == Clearance::kSecrets && RequiresClientCert(*f.device) && !CertNamesDevice(f))
    v.clearance = Clearance::kWalkOnly;
  return v;
}

}  // namespace stepup
