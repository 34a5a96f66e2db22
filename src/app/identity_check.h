// Whether a request may have a known device's secrets: what it presents must agree with the
// inventory, because a MAC alone is no secret (Cisco's OUIs are public, fleets are bought in
// sequential blocks). Pure: the caller supplies what the server saw of the phone's boot.
//
// The rules (README "What plain HTTP and TFTP can protect"):
// - the file name is one the device's family asks for (SEP<MAC>.cnf.xml for enterprise
//   phones, a flat profile for SPA/ATA/MPP);
// - SPA/ATA/MPP phones over HTTP(S): the User-Agent (or the client certificate) names the
//   enrolled model and the device's MAC or serial;
// - the serial agrees: where the inventory holds one the request must carry it; where it
//   holds none, the first agreeing request that carries one teaches it;
// - enterprise phones send no User-Agent over TFTP: the server must have followed the boot
//   from that address (the phone asked for its CTLSEP/ITLSEP trust lists first), and the
//   operator can withhold TFTP secrets entirely.
#pragma once

#include <string>
#include <vector>

#include "app/request.h"
#include "core/catalog.h"
#include "core/device.h"
#include "core/identify.h"

namespace stepup {

// --tftp-secrets: when a profile with secrets may go out over TFTP.
enum class TftpSecrets {
  kFollowed,  // only to a phone whose boot the server followed from its address (default)
  kOff,       // never: TFTP profiles are rendered without secrets
  kAny,       // to any request naming the device (the old, unsafe behaviour; an opt-in)
};

// What a device's profile request is allowed.
enum class Clearance {
  kSecrets,    // the whole profile, secrets included; the hop walk goes on
  kWalkOnly,   // the profile without secrets; the hop walk goes on (enterprise over TFTP)
  kBootstrap,  // the model's bootstrap profile; the device's state is left alone
  kRefuse,     // 403; the device's state is left alone
};

struct IdentityFacts {
  const Request* request = nullptr;
  const Identity* user_agent = nullptr;  // what the User-Agent said (nullptr: none sent)
  const Identity* cert = nullptr;        // what the client certificate said (nullptr: none)
  const MergedIdentity* merged = nullptr;
  const Device* device = nullptr;
  const Model* model = nullptr;  // the device's catalog model (nullptr: unknown to the catalog)
  const Family* family = nullptr;
  bool boot_followed = false;  // this address asked for the device's trust lists just before
  TftpSecrets tftp_secrets = TftpSecrets::kFollowed;
};

struct IdentityVerdict {
  Clearance clearance = Clearance::kRefuse;
  // What disagreed, in prose ("no User-Agent", "serial X does not match the inventory's");
  // empty when everything agreed (a withheld TFTP secret by --tftp-secrets off is no
  // disagreement).
  std::vector<std::string> disagreements;
  // Whether something claimed contradicts the inventory (another model, serial or family's
  // file name): a prober's mark, counted against its address. Missing proof (no User-Agent,
  // no serial, no followed boot) is recorded but not counted: phones fresh from a factory
  // reset lack it too.
  bool contradicted = false;
  std::string learn_serial;  // a serial the inventory lacked and this request agreed on

  std::string Describe() const;  // the disagreements joined with "; "
};

IdentityVerdict CheckIdentity(const IdentityFacts& facts);

// The device setting that keeps a device's secrets for HTTPS requests with a verified client
// certificate naming it ("secrets only over mTLS"): client_cert=required.
inline constexpr const char* kClientCertSetting = "client_cert";
bool RequiresClientCert(const Device& d);

// Whether a family's phones take a flat profile (SPA, ATA, MPP) rather than SEP<MAC>.cnf.xml.
bool FlatProfileFamily(const Family* family);
// Whether a requested file name is one an enterprise phone asks for (SEP<MAC>.cnf.xml and its
// signed forms, CTLSEP/ITLSEP<MAC>.tlv, SIP<MAC>.cnf).
bool EnterpriseFileName(const std::string& name);
// Whether a file name is an enterprise phone's trust list (CTLSEP/ITLSEP<MAC>.tlv): the first
// files of its boot.
bool TrustListFileName(const std::string& name);

// Settings that are secrets (passwords, keys, tokens, PINs): never rendered for a request
// without clearance.
bool SecretSetting(const std::string& key);
Settings WithoutSecrets(const Settings& settings);

}  // namespace stepup
