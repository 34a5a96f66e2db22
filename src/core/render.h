// Configuration rendering: operator-editable Mustache templates (templates/*.mustache, each
// overridable from the data directory) filled with a device's settings over operator defaults
// and the upgrade elements of the planner's next hop. Every value is XML-escaped; characters
// XML 1.0 forbids are dropped. A render larger than the model's profile limit is an error.
//
// A Renderer is immutable once created; several threads may render with one at once (the
// engine keeps its render state per call).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/catalog.h"
#include "core/device.h"
#include "core/embedded_files.h"
#include "core/planner.h"
#include "core/result.h"

namespace stepup {

// What the renderer needs to know to render one device's personal configuration.
struct RenderInput {
  const Model* model = nullptr;
  const Family* family = nullptr;
  std::string mac, serial;       // identity of the device (mac: 12 lower-case hex)
  Settings settings;             // the device's own settings (may hold secrets)
  Settings defaults;             // operator defaults, overridden by settings
  std::string base_url;          // e.g. "http://127.0.0.1:8069" (no trailing '/')
  std::string running;           // what the phone runs (as reported or recorded), may be ""
  const Load* next = nullptr;    // the planner's next hop; nullptr at target or without a plan
  const Load* target = nullptr;  // the target load, for enterprise loadInformation at target
  int attempt = 0;               // how many times this hop was offered before (distinct URLs)
  // Moving a flat-profile phone to HTTPS (the provisioner's transport escalation): the base of
  // Profile_Rule when it differs from base_url ("" : base_url, which the Upgrade_Rule keeps);
  // when `transport_managed`, Profile_Rule_B is rendered with `profile_rule_b` ("" clears a
  // rule left from before); `custom_ca_rule` is the URL of the CA that verifies the server
  // (Custom_CA_Rule where the family has it: MPP; a custom_ca_rule setting wins; "" : none).
  std::string profile_base_url;
  bool transport_managed = false;
  std::string profile_rule_b;
  std::string custom_ca_rule;
  // Release features (core/capability.h) the running release is known to lack: the settings
  // that need them are not sent ("custom-ca": no Custom_CA_Rule; "srtp": no SRTP settings;
  // "sip-tls": SIP_Transport only when it is not TLS).
  std::vector<std::string> lacking;
  // No hop offered this time though one is pending (the download cap): the phone is asked to
  // resync as soon as while upgrading, to be offered it then.
  bool come_back_soon = false;
  // The bench's hand-off (SPA/ATA/MPP): the production provisioning URL its Profile_Rule
  // points at from now on, with no Profile_Rule_B ("" : this server's rule).
  std::string handoff_url;
};

struct Rendered {
  std::string file;          // template used, e.g. "spa.xml"
  std::string content_type;  // "application/xml" or "text/xml"
  std::string body;
};

// One model's entry in XMLDefault.cnf.xml.
struct DefaultLoad {
  int device_type = 0;
  std::string model_label;  // "IP Phone 7970"
  std::string load;
};

class Renderer {
 public:
  // Compiles the shipped templates, replaced by any override of the same name
  // ("spa.xml.mustache"). Errors name the template and what is wrong.
  static Result<Renderer> Create(const std::vector<EmbeddedFile>& shipped,
                                 const std::vector<EmbeddedFile>& overrides = {});

  // The device's personal profile: flat profile (SPA/ATA, MPP) or SEP<MAC>.cnf.xml (enterprise).
  Result<Rendered> Profile(const RenderInput& in) const;
  // A model-only bootstrap profile: no secrets, just a Profile_Rule that brings the phone back
  // with its identity ($MA, $SN, $SWVER in the URL).
  Result<Rendered> Bootstrap(const Model& model, const std::string& base_url) const;
  // XMLDefault.cnf.xml for enterprise phones that asked without identity.
  Result<Rendered> XmlDefault(const std::vector<DefaultLoad>& loads,
                              const Settings& defaults) const;

  // The URL of a firmware file, distinct per attempt (SPA phones do not retry an unchanged
  // Upgrade_Rule for an hour): base/firmware/<file> for the first offer,
  // base/firmware/retry<N>/<file> after.
  static std::string FirmwareUrl(const std::string& base_url, const std::string& file, int attempt);
  // The personal Profile_Rule URL with the phone's own macros.
  static std::string ProfileRule(const std::string& base_url);

 private:
  struct Compiled;
  std::map<std::string, std::shared_ptr<Compiled>> templates_;
  const Compiled* Find(const std::string& name) const;
};

// Escapes a value for XML text and attributes; drops characters XML 1.0 forbids and replaces
// malformed UTF-8 with U+FFFD.
std::string XmlEscape(const std::string& s);

}  // namespace stepup
