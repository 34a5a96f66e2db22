// stepup catalog list [--model M] [--json] | stepup catalog check [--catalog FILE|DIR]
#include <iostream>
#include <memory>

#include "cli/cli.h"
#include "core/plan_format.h"

namespace stepup::cli {
namespace {

struct CatalogOptions {
  std::string catalog, model;
  bool json = false;
};

int RunList(const CatalogOptions& o) {
  auto cat = OpenCatalog(o.catalog);
  if (!cat) return Fail(cat.error());
  const Model* only = nullptr;
  if (!o.model.empty()) {
    only = cat->FindModel(o.model);
    if (!only) return Fail(Unknown("unknown model \"" + o.model + "\""));
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& m : cat->models) {
    if (only && &m != only) continue;
    for (const Load* l : cat->LoadsOf(m.family)) {
      if (m.family.empty()) break;
      if (o.json) {
        out.push_back(LoadToJson(*l, m));
        continue;
      }
      std::cout << m.name << "\t" << l->load << "\t" << ProtocolName(l->protocol) << "\t"
                << l->version_label << "\tsigned " << l->facts.signed_with.value << "\taccepts ";
      for (size_t i = 0; i < l->facts.accepts.value.size(); ++i) {
        std::cout << (i ? "," : "") << l->facts.accepts.value[i];
      }
      if (l->facts.min_from.set && l->facts.min_from.value) {
        std::cout << "\tfrom>=" << l->facts.min_from.value->input;
      }
      std::cout << "\t[" << FactStatusName(l->status) << "]\n";
    }
  }
  if (o.json) std::cout << out.dump(2) << "\n";
  return kExitOk;
}

int RunCheck(const CatalogOptions& o) {
  auto cat = OpenCatalog(o.catalog);
  if (!cat) return Fail(cat.error());
  size_t shaky = 0;
  for (const auto& l : cat->loads) shaky += IsShaky(l.status) ? 1 : 0;
  if (o.json) {
    std::cout << nlohmann::json{{"ok", true},
                                {"models", cat->models.size()},
                                {"families", cat->families.size()},
                                {"loads", cat->loads.size()},
                                {"rules", cat->rules.size()},
                                {"uncertain_loads", shaky}}
                     .dump()
              << "\n";
  } else {
    std::cout << "catalog ok: " << cat->models.size() << " models, " << cat->families.size()
              << " families, " << cat->loads.size() << " loads (" << shaky
              << " inferred or uncertain), " << cat->rules.size() << " rules, "
              << cat->hardware.size() << " hardware minimums, " << cat->roots.size()
              << " trust roots\n";
  }
  return kExitOk;
}

}  // namespace

void AddCatalogCommand(CLI::App& app, Action& action) {
  auto o = std::make_shared<CatalogOptions>();
  auto* cmd = app.add_subcommand("catalog", "Inspect and validate the firmware catalog");
  cmd->require_subcommand(1);
  auto* list = cmd->add_subcommand("list", "List catalogued loads, one entry per model");
  list->add_option("--model", o->model, "only this model (canonical name or alias)");
  list->add_option("--catalog", o->catalog, "catalog TOML file or directory (default: bundled)");
  list->add_flag("--json", o->json, "print JSON");
  list->callback([&action, o] { action = [o] { return RunList(*o); }; });

  auto* check = cmd->add_subcommand("check", "Validate the catalog; exit 2 listing every problem");
  check->add_option("--catalog", o->catalog, "catalog TOML file or directory (default: bundled)");
  check->add_flag("--json", o->json, "print JSON");
  check->callback([&action, o] { action = [o] { return RunCheck(*o); }; });
  AddCatalogUpdate(*cmd, action);
}

}  // namespace stepup::cli
