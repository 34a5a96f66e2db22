// Transport escalation (issue 17; seed 003's bootstrap problem): a factory-fresh SPA/ATA/MPP
// phone can only be reached over HTTP or TFTP at first. Once the server has an HTTPS listener,
// such a phone's plain answers carry no secrets, only its walk and what moves it to HTTPS:
// the CA that verifies the server (Custom_CA_Rule) and Profile_Rule_B pointing at HTTPS. The
// phone evaluates Profile_Rule then Profile_Rule_B at every resync (the MPP admin guide,
// "Profile_Rule*"), so the plain rule keeps working while the HTTPS one is tried; a failure of
// the second leaves the first one's profile applied. Only when the phone has asked over
// HTTPS are Profile_Rule and Upgrade_Rule themselves moved there: a phone that cannot verify
// the server is never cut off. A release the catalog knows lacks HTTPS provisioning (the
// "https" feature) is first walked to one that has it. The state is the device's
// `transport`; each step an event.
#include "app/provisioner.h"
#include "core/capability.h"
#include "core/text.h"

namespace stepup {

Provisioner::TransportPlan Provisioner::Escalate(Device& d, const Family* family,
                                                 const Request& req, std::vector<Event>& events) {
  TransportPlan t;
  auto opt_out = d.settings.find("transport");
  if (cfg_.https_base_url.empty() || !FlatProfileFamily(family) ||
      (opt_out != d.settings.end() && ToLower(opt_out->second) == "plain"))
    return t;
  t.managed = true;
  const std::string https_rule = Renderer::ProfileRule(cfg_.https_base_url);
  if (req.transport == "https") {
    if (d.transport != kTransportHttps) {
      d.transport = kTransportHttps;
      events.push_back(MakeEvent(
          req, "transport-https",
          "asked over HTTPS (" + req.tls_version + "): Profile_Rule and Upgrade_Rule now point at " +
              cfg_.https_base_url + "; its secrets go out over HTTPS only"));
    }
    t.profile_base = t.upgrade_base = cfg_.https_base_url;
    return t;
  }
  t.withhold = true;  // plain HTTP or TFTP: the walk, never the secrets
  if (d.transport == kTransportHttps) {  // it reached HTTPS before: its rules stay there
    t.profile_base = t.upgrade_base = cfg_.https_base_url;
    return t;
  }
  // A release that cannot provision over HTTPS is walked first: the plan's hops come over
  // plain HTTP, and the move waits for a release that has it.
  if (auto running = ParseVersion(d.firmware)) {
    FeatureVerdict v = ReleaseHasFeature(*cfg_.catalog, family->id, *running, "https");
    if (v.judged && !v.has) {
      if (d.transport != kTransportDeferred) {
        d.transport = kTransportDeferred;
        events.push_back(MakeEvent(
            req, "transport-deferred",
            d.firmware + " lacks " + v.why +
                ": walked over plain HTTP without secrets; HTTPS is offered once it runs a "
                "release that has it (setting transport=plain sends secrets over plain HTTP)"));
      }
      return t;
    }
  }
  t.rule_b = https_rule;
  if (d.transport != kTransportOffered) {
    d.transport = kTransportOffered;
    events.push_back(MakeEvent(
        req, "transport-escalated",
        "first contact over " + req.transport + ": answered without secrets; Profile_Rule_B " +
            https_rule + (CaUrl().empty() ? "" : " and Custom_CA_Rule " + CaUrl()) +
            " move it to HTTPS, where its secrets wait"));
  }
  return t;
}

}  // namespace stepup
