#include "core/render.h"

#include <algorithm>
#include <cctype>
#include <deque>
#include <kainjow/mustache.hpp>

#include "core/hardening.h"
#include "core/profile_cipher.h"
#include "core/text.h"

namespace stepup {

namespace mustache = kainjow::mustache;

struct Renderer::Compiled {
  explicit Compiled(const std::string& text) : tmpl(text) {}
  mutable mustache::mustache tmpl;  // render() is not const-qualified but keeps state per call
};

namespace {

constexpr const char* kTemplateSuffix = ".mustache";
const std::string kRetryDelaySeconds = "30";      // short: a failed hop is retried soon
const std::string kResyncWhileUpgrading = "120";  // come back soon while a hop is pending
const std::string kResyncWhenCurrent = "3600";

void AppendUtf8Replacement(std::string& out) { out += "\xEF\xBF\xBD"; }

// Length of a valid UTF-8 sequence starting at s[i], 0 if malformed.
size_t Utf8Length(const std::string& s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  if (n == 2 && c < 0xC2) return 0;  // overlong
  return n;
}

// A device setting key becomes an element name in {{#extra}} only when it looks like a
// flat-profile parameter (Dial_Plan_1_): an XML name starting with an upper-case letter.
bool IsParameterName(const std::string& k) {
  if (k.empty() || k.size() > 64 || !(k[0] >= 'A' && k[0] <= 'Z')) return false;
  return std::all_of(k.begin(), k.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

// Release label a SPA can compare: its own comparator cannot order a letter suffix, so
// 7.5.2b becomes 7.5.2 (still below 7.5.2b, so nothing below a completed hop is allowed).
std::string NumericFloor(const std::string& running) {
  auto v = ParseVersion(running);
  if (!v || v->scheme != "dotted") return {};
  std::string out;
  for (size_t i = 0; i < v->release.size(); ++i)
    out += (i ? "." : "") + std::to_string(v->release[i]);
  return out;
}

bool IsFlat(const Family& f) { return f.line == "spa" || f.line == "ata" || f.line == "mpp"; }

}  // namespace

std::string XmlEscape(const std::string& s) {
  // Fast path: most values need no escaping at all.
  bool plain = true;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x80 || c == '&' || c == '<' || c == '>' || c == '"' || c == '\'') {
      plain = false;
      break;
    }
  }
  if (plain) return s;
  std::string out;
  out.reserve(s.size() + 16);
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t n = Utf8Length(s, i);
      if (n == 0) {
        AppendUtf8Replacement(out);
        ++i;
      } else {
        out.append(s, i, n);
        i += n;
      }
      continue;
    }
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') out.push_back(static_cast<char>(c));
        break;  // other control characters are not allowed in XML 1.0
    }
    ++i;
  }
  return out;
}

Result<Renderer> Renderer::Create(const std::vector<EmbeddedFile>& shipped,
                                  const std::vector<EmbeddedFile>& overrides) {
  Renderer r;
  for (const auto* files : {&shipped, &overrides}) {
    for (const auto& f : *files) {
      std::string name = f.name.substr(f.name.find_last_of('/') + 1);
      if (name.size() <= std::char_traits<char>::length(kTemplateSuffix)) continue;
      name.resize(name.size() - std::char_traits<char>::length(kTemplateSuffix));
      auto c = std::make_shared<Compiled>(f.text);
      if (!c->tmpl.is_valid()) {
        return BadInput("template " + f.name + ": " + c->tmpl.error_message());
      }
      c->tmpl.set_custom_escape(XmlEscape);
      r.templates_[name] = std::move(c);
    }
  }
  for (const char* need :
       {"spa.xml", "mpp.xml", "bootstrap.xml", "sep.cnf.xml", "xmldefault.cnf.xml"}) {
    if (!r.templates_.count(need))
      return BadInput(std::string("template ") + need + ".mustache is missing");
  }
  return r;
}

const Renderer::Compiled* Renderer::Find(const std::string& name) const {
  auto it = templates_.find(name);
  return it == templates_.end() ? nullptr : it->second.get();
}

std::string Renderer::FirmwareUrl(const std::string& base_url, const std::string& file,
                                  int attempt) {
  if (attempt <= 0) return base_url + "/firmware/" + file;
  return base_url + "/firmware/retry" + std::to_string(attempt) + "/" + file;
}

std::string Renderer::ProfileRule(const std::string& base_url) {
  // $MA: MAC, $SN: serial, $SWVER: running firmware, $P: GPP_P (empty on first boot).
  return base_url + "/cfg/$MA.xml?sn=$SN&sw=$SWVER&p=$P";
}

namespace {

// Template variables resolved from a flat list instead of a hash map built per render: the
// engine's own data objects re-hash as they grow, which cost more than the rendering itself.
// Later entries win (device settings over operator defaults). Sections push their own data.
class FlatContext : public mustache::basic_context<std::string> {
 public:
  explicit FlatContext(size_t capacity) { root_.reserve(capacity); }

  void Set(std::string_view name, const mustache::data* value) { root_.emplace_back(name, value); }
  void Set(std::string_view name, std::string value) {
    values_.emplace_back(std::move(value));  // a deque: earlier pointers stay valid
    root_.emplace_back(name, &values_.back());
  }

  void push(const mustache::data* data) override { stack_.push_back(data); }
  void pop() override { stack_.pop_back(); }
  const mustache::data* get(const std::string& name) const override {
    if (name == ".") return stack_.empty() ? nullptr : stack_.back();
    for (auto it = stack_.rbegin(); it != stack_.rend(); ++it) {
      if (const mustache::data* v = (*it)->get(name)) return v;
    }
    for (auto it = root_.rbegin(); it != root_.rend(); ++it) {
      if (it->first == name) return it->second;
    }
    return nullptr;
  }
  const mustache::data* get_partial(const std::string&) const override { return nullptr; }

 private:
  std::vector<std::pair<std::string_view, const mustache::data*>> root_;
  std::deque<mustache::data> values_;
  std::vector<const mustache::data*> stack_;
};

struct StringSink {
  std::string out;
  StringSink& operator<<(const std::string& s) {
    out += s;
    return *this;
  }
};

std::string RenderWith(const mustache::mustache& tmpl, FlatContext& ctx) {
  StringSink sink;
  sink.out.reserve(4096);
  const_cast<mustache::mustache&>(tmpl).render(ctx, sink);
  return std::move(sink.out);
}

const mustache::data& Constant(const std::string& s) {
  static std::map<std::string, mustache::data>* cache = [] {
    auto* m = new std::map<std::string, mustache::data>;
    for (const std::string& v : {kRetryDelaySeconds, kResyncWhileUpgrading, kResyncWhenCurrent,
                                 std::string("Yes"), std::string("No"), std::string("stepup"),
                                 std::string("SCCP"), std::string("SIP"), std::string()}) {
      m->emplace(v, mustache::data(v));
    }
    return m;
  }();
  return cache->at(s);
}

const mustache::data kTrue(true), kFalse(false);

// The hardened settings (core/hardening.h) as the flat-profile templates use them: each
// effective value checked, then turned into the phone's own spelling (sip_transport=tls ->
// "TLS") or a section flag. A bad value is an error naming the key, never a silent default.
Status SetHardened(const RenderInput& in, FlatContext& ctx) {
  Settings eff;
  for (const auto& h : HardenedSettings()) {
    std::string v = EffectiveSetting(h.key, in.defaults, in.settings);
    if (auto c = CheckHardenedSetting(h.key, v); !c) {
      return BadInput("render for " + in.model->name + " " + (in.mac.empty() ? in.serial : in.mac) +
                      ": " + c.error().message);
    }
    eff[h.key] = std::string(h.values) == "url" || std::string(h.values) == "port"
                     ? v
                     : ToLower(v);
  }
  if (std::stoi(eff["sip_tcp_port_min"]) > std::stoi(eff["sip_tcp_port_max"])) {
    return BadInput("render for " + in.model->name + ": sip_tcp_port_min " +
                    eff["sip_tcp_port_min"] + " is above sip_tcp_port_max " +
                    eff["sip_tcp_port_max"]);
  }
  const bool ata = in.family->line == "ata";
  auto lacks = [&](const char* feature) {
    return std::find(in.lacking.begin(), in.lacking.end(), feature) != in.lacking.end();
  };
  const std::string& t = eff["sip_transport"];
  ctx.Set("sip_transport_value",
          t == "tls" ? "TLS" : t == "tcp" ? "TCP" : t == "auto" ? "Auto" : "UDP");
  ctx.Set("send_sip_transport", t == "tls" && lacks("sip-tls") ? &kFalse : &kTrue);
  ctx.Set("has_srtp", lacks("srtp") ? &kFalse : &kTrue);
  ctx.Set("srtp_on", eff["srtp"] == "yes" && !lacks("srtp") ? &kTrue : &kFalse);
  ctx.Set("srtp_method_value", eff["srtp_method"]);
  ctx.Set("secure_call_value", &Constant(eff["srtp"] == "yes" ? "Yes" : "No"));
  ctx.Set("sip_tcp_port_min_value", eff["sip_tcp_port_min"]);
  ctx.Set("sip_tcp_port_max_value", eff["sip_tcp_port_max"]);
  ctx.Set("web_server_value", &Constant(eff["web_server"] == "yes" ? "Yes" : "No"));
  const bool https = eff["web_protocol"] == "https";
  ctx.Set("web_protocol_value", https ? "Https" : "Http");
  ctx.Set("web_server_port_value", https ? "443" : "80");
  ctx.Set("phone_ui_user_mode_value", &Constant(eff["phone_ui_user_mode"] == "yes" ? "Yes" : "No"));
  // The server's own CA (transport escalation) where no setting names one.
  if (eff["custom_ca_rule"].empty()) eff["custom_ca_rule"] = in.custom_ca_rule;
  ctx.Set("custom_ca_rule_value", eff["custom_ca_rule"]);
  ctx.Set("has_custom_ca",
          eff["custom_ca_rule"].empty() || lacks("custom-ca") ? &kFalse : &kTrue);
  ctx.Set("is_ata", ata ? &kTrue : &kFalse);
  ctx.Set("is_phone", ata ? &kFalse : &kTrue);
  return Ok{};
}

// Profile_Rule, with the --key option when the device's profiles are encrypted and its key is
// in this answer (an answer without secrets carries neither): the URL then asks for the
// encrypted form (enc=aes), which the server encrypts under that key.
std::string KeyedProfileRule(const RenderInput& in) {
  std::string rule =
      Renderer::ProfileRule(in.profile_base_url.empty() ? in.base_url : in.profile_base_url);
  const bool can = std::find(in.lacking.begin(), in.lacking.end(), "aes-profile") == in.lacking.end();
  if (IsFlat(*in.family) && can &&
      ToLower(EffectiveSetting("profile_encryption", in.defaults, in.settings)) == "aes") {
    auto key = in.settings.find(kProfileKeySetting);
    if (key != in.settings.end() && !key->second.empty())
      return WithKeyOption(key->second, rule + "&" + kEncryptedQuery);
  }
  return rule;
}

}  // namespace

Result<Rendered> Renderer::Profile(const RenderInput& in) const {
  if (!in.model || !in.family) return BadInput("render: the device's model has no firmware family");
  const bool enterprise = !IsFlat(*in.family);
  const bool mpp = in.family->default_protocol == Protocol::kMpp;
  const std::string name = enterprise ? "sep.cnf.xml" : (mpp ? "mpp.xml" : "spa.xml");
  const Compiled* c = Find(name);
  FlatContext ctx(in.defaults.size() + in.settings.size() + 16);
  for (const auto* src : {&in.defaults, &in.settings}) {
    for (const auto& [k, v] : *src) ctx.Set(k, v);
  }
  mustache::data extra{mustache::data::type::list};
  for (const auto& [k, v] : in.settings) {
    if (!IsParameterName(k)) continue;
    mustache::data item;
    item.set("name", k);
    item.set("value", v);
    extra.push_back(item);
  }
  ctx.Set("extra", &extra);
  ctx.Set("model", in.model->name);
  ctx.Set("mac", in.mac);
  ctx.Set("serial", in.serial);
  ctx.Set("profile_rule", in.handoff_url.empty() ? KeyedProfileRule(in) : in.handoff_url);
  if (in.transport_managed && in.handoff_url.empty()) {
    ctx.Set("transport_managed", &kTrue);
    ctx.Set("profile_rule_b", in.profile_rule_b);
  }
  ctx.Set("retry_delay", &Constant(kRetryDelaySeconds));
  ctx.Set("gpp_p", &Constant("stepup"));
  if (in.next) {
    const std::string& file =
        in.next->files.empty() ? in.next->bundles.front() : in.next->files.front();
    ctx.Set("upgrade_enable", &Constant("Yes"));
    ctx.Set("upgrade_rule", FirmwareUrl(in.base_url, file, in.attempt));
    ctx.Set("resync_periodic", &Constant(kResyncWhileUpgrading));
  } else {
    ctx.Set("upgrade_enable", &Constant("No"));
    ctx.Set("upgrade_rule", &Constant(""));
    ctx.Set("resync_periodic",
            &Constant(in.come_back_soon ? kResyncWhileUpgrading : kResyncWhenCurrent));
  }
  // Keep the phone from being pulled back below what it runs, unless the plan goes down.
  auto running = ParseVersion(in.running);
  const bool downward = in.next && running && Compare(in.next->version, *running) < 0;
  ctx.Set("downgrade_rev_limit", downward ? std::string() : NumericFloor(in.running));
  if (!enterprise) {
    if (auto s = SetHardened(in, ctx); !s) return s.error();
  }
  if (enterprise) {
    const Load* load = in.next ? in.next : in.target;
    ctx.Set("load_information", load ? load->load : std::string());
    Protocol p = load ? load->protocol : in.family->default_protocol;
    ctx.Set("device_protocol", &Constant(p == Protocol::kSccp ? "SCCP" : "SIP"));
    ctx.Set("sip", p == Protocol::kSip ? &kTrue : &kFalse);
  }
  Rendered out{name, "application/xml", RenderWith(c->tmpl, ctx)};
  if (in.model->max_profile_bytes > 0 &&
      out.body.size() > static_cast<size_t>(in.model->max_profile_bytes)) {
    return BadInput("render for " + in.model->name + " " + (in.mac.empty() ? in.serial : in.mac) +
                    " is " + std::to_string(out.body.size()) +
                    " bytes, over the model's limit of " +
                    std::to_string(in.model->max_profile_bytes));
  }
  return out;
}

Result<Rendered> Renderer::Bootstrap(const Model& model, const std::string& base_url) const {
  FlatContext ctx(8);
  ctx.Set("model", model.name);
  ctx.Set("profile_rule", ProfileRule(base_url));
  ctx.Set("resync_periodic", &Constant(kResyncWhileUpgrading));
  ctx.Set("retry_delay", &Constant(kRetryDelaySeconds));
  return Rendered{"bootstrap.xml", "application/xml", RenderWith(Find("bootstrap.xml")->tmpl, ctx)};
}

Result<Rendered> Renderer::XmlDefault(const std::vector<DefaultLoad>& loads,
                                      const Settings& defaults) const {
  FlatContext ctx(defaults.size() + 4);
  for (const auto& [k, v] : defaults) ctx.Set(k, v);
  mustache::data list{mustache::data::type::list};
  for (const auto& l : loads) {
    mustache::data item;
    item.set("device_type", std::to_string(l.device_type));
    item.set("model_label", l.model_label);
    item.set("load", l.load);
    list.push_back(item);
  }
  ctx.Set("loads", &list);
  return Rendered{"xmldefault.cnf.xml", "text/xml",
                  RenderWith(Find("xmldefault.cnf.xml")->tmpl, ctx)};
}

}  // namespace stepup
