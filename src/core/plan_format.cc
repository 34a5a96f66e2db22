#include "core/plan_format.h"

namespace stepup {
namespace {

nlohmann::json FactJson(const std::string& status, const std::string& source) {
  return {{"status", status}, {"source", source}};
}

template <typename T>
nlohmann::json FactMeta(const Fact<T>& f) {
  return FactJson(std::string(FactStatusName(f.status)), f.source);
}

nlohmann::json NamesJson(const std::vector<FileName>& names) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& n : names) {
    nlohmann::json j = {{"name", n.name},
                        {"status", FactStatusName(n.status)},
                        {"source", n.source},
                        {"access", AccessName(n.access)}};
    if (n.size > 0) j["size"] = n.size;
    if (!n.sha1.empty()) j["sha1"] = n.sha1;
    out.push_back(j);
  }
  return out;
}

}  // namespace

nlohmann::json VersionToJson(const Version& v) {
  nlohmann::json j = {
      {"input", v.input}, {"scheme", v.scheme}, {"release", v.release}, {"label", ReleaseLabel(v)}};
  j["letter"] = v.letter;
  j["sr"] = v.sr;
  j["es"] = v.es;
  j["build"] = v.build;
  if (!v.tag.empty()) j["tag"] = v.tag;
  j["protocol"] = v.protocol == Protocol::kNone ? nlohmann::json(nullptr)
                                                : nlohmann::json(ProtocolName(v.protocol));
  j["model_code"] = v.model_code.empty() ? nlohmann::json(nullptr) : nlohmann::json(v.model_code);
  j["load"] = v.is_load();
  return j;
}

nlohmann::json LoadToJson(const Load& l, const Model& m) {
  const ReleaseFacts& f = l.facts;
  nlohmann::json j = {
      {"model", m.name},
      {"family", l.family},
      {"load", l.load},
      {"protocol", ProtocolName(l.protocol)},
      {"version", l.version_label},
      {"signed_with", f.signed_with.value},
      {"accepts", f.accepts.value},
      {"files", l.files},
      {"bundles", l.bundles},
      {"source", l.source},
      {"status", FactStatusName(l.status)},
  };
  j["min_from"] = f.min_from.set && f.min_from.value ? nlohmann::json(f.min_from.value->input)
                                                     : nlohmann::json(nullptr);
  j["roots"] = f.roots.value;
  j["file_names"] = NamesJson(l.file_names);
  j["bundle_names"] = NamesJson(l.bundle_names);
  if (!l.chip.empty()) j["chip"] = l.chip;
  nlohmann::json facts = {{"signed_with", FactMeta(f.signed_with)},
                          {"accepts", FactMeta(f.accepts)}};
  if (f.min_from.set) facts["min_from"] = FactMeta(f.min_from);
  if (f.installs_from.set) {
    nlohmann::json range = nlohmann::json::array();
    for (const auto& v : f.installs_from.value) range.push_back(v.input);
    j["installs_from"] = range;
    facts["installs_from"] = FactMeta(f.installs_from);
  }
  if (f.rejects.set) {
    j["rejects"] = f.rejects.value;
    facts["rejects"] = FactMeta(f.rejects);
  }
  if (f.roots.set) facts["roots"] = FactMeta(f.roots);
  j["facts"] = facts;
  if (!l.note.empty()) j["note"] = l.note;
  if (!l.released.empty()) j["released"] = l.released;
  return j;
}

nlohmann::json PlanToJson(const Plan& p) {
  nlohmann::json hops = nlohmann::json::array();
  for (const auto& h : p.hops) {
    hops.push_back({{"load", h.load->load},
                    {"protocol", ProtocolName(h.load->protocol)},
                    {"version", h.load->version_label},
                    {"files", h.load->files},
                    {"bundles", h.load->bundles},
                    {"why", h.why},
                    {"uncertain", h.uncertain},
                    {"uncertain_facts", h.uncertain_facts},
                    {"status", FactStatusName(h.status)},
                    {"name_status", FactStatusName(h.load->status)},
                    {"downgrade", h.downgrade},
                    {"allowed_by", h.allowed_by},
                    {"migration", h.migration}});
  }
  nlohmann::json missing = nlohmann::json::array();
  nlohmann::json fetch = nlohmann::json::array();
  for (const auto& m : p.missing) {
    nlohmann::json alts = nlohmann::json::array();
    for (const Load* a : m.alternatives) alts.push_back(a->load);
    missing.push_back({{"load", m.load->load},
                       {"version", m.load->version_label},
                       {"protocol", ProtocolName(m.load->protocol)},
                       {"files", m.load->files},
                       {"bundles", m.load->bundles},
                       {"why", m.why},
                       {"alternatives", alts},
                       {"fetch", m.fetch},
                       {"access", AccessName(m.access)}});
    for (const auto& f : m.fetch) fetch.push_back({{"file", f}, {"access", AccessName(m.access)}});
  }
  nlohmann::json j = {
      {"model", p.model->name},
      {"from", p.from},
      {"to", p.to},
      {"from_load", p.from_load},
      {"from_version", p.from_version},
      {"from_protocol", ProtocolName(p.from_protocol)},
      {"from_catalogued", p.from_catalogued},
      {"to_load", p.to_load},
      {"to_version", p.to_version},
      {"to_protocol", ProtocolName(p.to_protocol)},
      {"to_status", FactStatusName(p.to_status)},
      {"policy", {{"allow_uncertain", p.allow_uncertain}, {"allow_downgrade", p.allow_downgrade}}},
      {"require", p.require},
      {"status", PlanStatusName(p.status)},
      {"hops", hops},
      {"missing", missing},
      {"fetch", fetch},
      {"settings", p.settings},
      {"warnings", p.warnings}};
  if (!p.reason.empty()) j["reason"] = p.reason;
  if (!p.rejected_files.empty()) {
    nlohmann::json rejected = nlohmann::json::array();
    for (const auto& [file, why] : p.rejected_files) {
      rejected.push_back({{"file", file}, {"why", why}});
    }
    j["rejected_files"] = std::move(rejected);
  }
  if (p.to_model && p.to_model != p.model) j["to_model"] = p.to_model->name;
  return j;
}

std::string PlanToText(const Plan& p) {
  std::string out = p.model->name + ": " + p.from_load + " (" + p.from_version + ", " +
                    std::string(ProtocolName(p.from_protocol)) + ")" +
                    (p.from_catalogued ? "" : " [not catalogued: placed among listed releases]") +
                    " -> " + p.to_load + " (" + p.to_version + ", " +
                    std::string(ProtocolName(p.to_protocol)) + ", " +
                    std::string(FactStatusName(p.to_status)) + ")\n";
  switch (p.status) {
    case PlanStatus::kCurrent:
      out += "status: current (already at the target)\n";
      break;
    case PlanStatus::kOk:
      out += "status: ok, " + std::to_string(p.hops.size()) + " hop(s)\n";
      for (size_t i = 0; i < p.hops.size(); ++i) {
        const auto& h = p.hops[i];
        out += "  " + std::to_string(i + 1) + ". " + h.load->load + " (" + h.load->version_label +
               ", " + std::string(ProtocolName(h.load->protocol)) + ")" + "  [" +
               std::string(FactStatusName(h.status)) + "]" + (h.uncertain ? "  [uncertain]" : "") +
               "\n";
        for (const auto& a : h.allowed_by) {
          out += "     taken only because of " + a +
                 (a == "--allow-downgrade" ? ": this hop goes to an older release\n"
                                           : ": this hop rests on an inferred or uncertain fact\n");
        }
        out += "     why: " + h.why + "\n";
        if (!h.load->files.empty()) {
          out += "     files: ";
          for (size_t k = 0; k < h.load->files.size(); ++k) {
            out += (k ? ", " : "") + h.load->files[k];
          }
          out += "\n";
        }
        for (const auto& u : h.uncertain_facts) out += "     rests on: " + u + "\n";
      }
      break;
    case PlanStatus::kNoPath:
      out += "status: no-path\n";
      if (!p.reason.empty()) out += "  " + p.reason + "\n";
      for (const auto& m : p.missing) {
        out += "  missing: " + m.load->load + " (" + m.load->version_label + ")";
        if (!m.load->bundles.empty()) out += " in " + m.load->bundles.front();
        out += "\n     why: " + m.why + "\n";
        if (!m.fetch.empty()) {
          out += "     fetch:";
          for (const auto& f : m.fetch) out += " " + f;
          out += " (" + std::string(AccessName(m.access)) +
                 (m.access == Access::kContract ? ": needs a service contract" : "") + ")\n";
        }
        if (!m.alternatives.empty()) {
          out += "     or instead any of:";
          for (const Load* a : m.alternatives) out += " " + a->load;
          out += "\n";
        }
      }
      break;
  }
  if (!p.require.empty()) {
    out += "required of the end:";
    for (const auto& r : p.require) out += " " + r;
    out += "\n";
  }
  for (const auto& s : p.settings) out += "setting the device needs: " + s + "\n";
  for (const auto& w : p.warnings) out += "warning: " + w + "\n";
  for (const auto& [file, why] : p.rejected_files) {
    out += "refused file: " + file + ": " + why + "\n";
  }
  return out;
}

}  // namespace stepup
