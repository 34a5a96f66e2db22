// stepup plan --model M --from V [--to V|latest] [--protocol P] [--have LOAD,...]
//             [--firmware DIR] [--catalog FILE] [--hardware REV] [--date YYYY-MM-DD]
//             [--allow-uncertain] [--allow-downgrade] [--require CAP,...] [--json]
#include <ctime>
#include <iostream>
#include <memory>

#include "cli/cli.h"
#include "core/capability.h"
#include "core/plan_format.h"
#include "core/planner.h"
#include "store/firmware_dir.h"

namespace stepup::cli {
namespace {

struct PlanOptions {
  std::string model, from, to = "latest", protocol, to_protocol, firmware, catalog, hardware, date;
  std::vector<std::string> have, require;
  bool json = false, allow_uncertain = false, allow_downgrade = false;
};

Result<std::optional<Protocol>> ProtocolOption(const std::string& flag, const std::string& value) {
  if (value.empty()) return std::optional<Protocol>();
  if (auto p = ParseProtocol(value)) return std::optional<Protocol>(*p);
  return BadInput(flag + " \"" + value + "\" is not sip, sccp or mpp");
}

Result<int64_t> DateOption(const std::string& value) {
  if (value.empty()) return static_cast<int64_t>(std::time(nullptr));
  std::tm tm{};
  const char* end = strptime(value.c_str(), "%Y-%m-%d", &tm);
  if (!end || *end != '\0') return BadInput("--date \"" + value + "\" is not YYYY-MM-DD");
  return static_cast<int64_t>(timegm(&tm));
}

// Loads of the model's family named by --have, plus those whose images are in --firmware.
Result<std::optional<std::unordered_set<const Load*>>> Available(
    const Catalog& cat, const PlanOptions& o, const std::unordered_set<std::string>* names) {
  if (o.have.empty() && o.firmware.empty()) return std::optional<std::unordered_set<const Load*>>();
  const Model* model = cat.FindModel(o.model);
  if (!model) return Unknown("unknown model \"" + o.model + "\"");
  std::unordered_set<const Load*> out;
  // The families a plan may use: the model's own and, for a migration, its MPP counterpart's.
  std::vector<std::string> fams{model->family};
  if (const Model* mpp = cat.FindModel(model->name + "-3PCC"); mpp && !mpp->family.empty()) {
    fams.push_back(mpp->family);
  }
  for (const auto& name : o.have) {
    const Load* found = nullptr;
    for (const auto& f : fams) {
      if (!found) found = cat.FindLoad(f, name);
    }
    if (!found) {
      auto v = ParseVersion(name);
      if (!v) return BadInput("--have: " + v.error().message);
      for (const Load* l : cat.LoadsOf(model->family)) {
        if (LoadMatches(*l, *v)) {
          if (found) return BadInput("--have " + name + " is ambiguous: name the load");
          found = l;
        }
      }
    }
    if (!found) return BadInput("--have " + name + " is not a catalogued load of " + model->name);
    out.insert(found);
  }
  if (names) {
    for (const auto& f : fams) {
      for (const Load* l : cat.LoadsOf(f)) {
        if (LoadAvailable(*l, *names)) out.insert(l);
      }
    }
  }
  return std::optional<std::unordered_set<const Load*>>(std::move(out));
}

int RunPlan(const PlanOptions& o) {
  auto cat = OpenCatalog(o.catalog);
  if (!cat) return Fail(cat.error());
  PlanRequest req;
  req.model = o.model;
  req.from = o.from;
  req.to = o.to;
  req.hardware = o.hardware;
  req.allow_uncertain = o.allow_uncertain;
  req.allow_downgrade = o.allow_downgrade;
  auto proto = ProtocolOption("--protocol", o.protocol);
  if (!proto) return Fail(proto.error());
  req.protocol = *proto;
  auto to_proto = ProtocolOption("--to-protocol", o.to_protocol);
  if (!to_proto) return Fail(to_proto.error());
  req.to_protocol = *to_proto;
  auto now = DateOption(o.date);
  if (!now) return Fail(now.error());
  req.now = *now;
  auto require = ParseCapabilities(o.require, "--require");
  if (!require) return Fail(require.error());
  req.require = std::move(require).value();
  if (!cat->FindModel(o.model)) return Fail(Unknown("unknown model \"" + o.model + "\""));
  if (!o.firmware.empty()) {
    // Files of the wrong size or hash are not on hand; the plan names them.
    std::vector<RejectedFile> rejected;
    auto names = ListFirmwareNames(o.firmware, FileChecks(*cat), &rejected);
    if (!names) return Fail(names.error());
    req.on_hand = std::move(names).value();
    for (auto& r : rejected) req.rejected_files.emplace_back(r.name, r.why);
  }
  auto avail = Available(*cat, o, req.on_hand ? &*req.on_hand : nullptr);
  if (!avail) return Fail(avail.error());
  req.available = std::move(avail).value();
  auto plan = MakePlan(*cat, req);
  if (!plan) return Fail(plan.error());
  if (o.json) {
    std::cout << PlanToJson(*plan).dump(2) << "\n";
  } else {
    std::cout << PlanToText(*plan);
  }
  return plan->status == PlanStatus::kNoPath ? kExitNoPath : kExitOk;
}

}  // namespace

void AddPlanCommand(CLI::App& app, Action& action) {
  auto o = std::make_shared<PlanOptions>();
  auto* cmd = app.add_subcommand("plan", "Plan the shortest valid chain of firmware releases");
  cmd->add_option("--model", o->model, "model (canonical name or alias)")->required();
  cmd->add_option("--from", o->from, "running load name or version")->required();
  cmd->add_option("--to", o->to, "target load name, version or 'latest'")->capture_default_str();
  cmd->add_option("--protocol", o->protocol, "protocol of a bare --from version: sip|sccp|mpp");
  cmd->add_option("--to-protocol", o->to_protocol, "target protocol (default: the --from one)");
  cmd->add_option("--have", o->have, "loads on hand, comma-separated")->delimiter(',');
  cmd->add_option("--firmware", o->firmware, "firmware directory: loads whose files are there");
  cmd->add_option("--catalog", o->catalog, "catalog TOML file or directory (default: bundled)");
  cmd->add_option("--hardware", o->hardware, "hardware revision, e.g. V15");
  cmd->add_option("--date", o->date, "date for trust-store expiry checks (default: today)");
  cmd->add_flag("--allow-uncertain", o->allow_uncertain,
                "take hops resting on inferred or uncertain catalog facts (each is marked)");
  cmd->add_flag("--allow-downgrade", o->allow_downgrade,
                "take hops to older releases (hardware floors and chip builds still apply)");
  cmd->add_option("--require", o->require,
                  "capability the release the plan ends on must have: mra (repeatable or "
                  "comma-separated)")
      ->delimiter(',');
  cmd->add_flag("--json", o->json, "print JSON");
  cmd->callback([&action, o] { action = [o] { return RunPlan(*o); }; });
}

}  // namespace stepup::cli
