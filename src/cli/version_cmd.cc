// stepup version compare A B | stepup version parse V [--json]
#include <iostream>
#include <memory>

#include "cli/cli.h"
#include "core/plan_format.h"
#include "core/version.h"

namespace stepup::cli {
namespace {

struct VersionOptions {
  std::string a, b, v;
  bool json = false;
};

int RunCompare(const VersionOptions& o) {
  auto va = ParseVersion(o.a);
  if (!va) return Fail(va.error());
  auto vb = ParseVersion(o.b);
  if (!vb) return Fail(vb.error());
  int c = Compare(*va, *vb);
  std::cout << (c < 0 ? "<" : (c > 0 ? ">" : "=")) << "\n";
  return kExitOk;
}

int RunParse(const VersionOptions& o) {
  auto pv = ParseVersion(o.v);
  if (!pv) return Fail(pv.error());
  nlohmann::json j = VersionToJson(*pv);
  if (o.json) {
    std::cout << j.dump() << "\n";
    return kExitOk;
  }
  std::cout << o.v << ": scheme " << pv->scheme << ", release " << ReleaseLabel(*pv);
  if (pv->protocol != Protocol::kNone) std::cout << ", protocol " << ProtocolName(pv->protocol);
  if (!pv->model_code.empty()) std::cout << ", model code " << pv->model_code;
  if (!pv->build.empty()) std::cout << ", build " << j["build"].dump();
  std::cout << "\n";
  return kExitOk;
}

}  // namespace

void AddVersionCommand(CLI::App& app, Action& action) {
  auto o = std::make_shared<VersionOptions>();
  auto* cmd = app.add_subcommand("version", "Parse and compare firmware versions and load names");
  cmd->require_subcommand(1);

  auto* cmp = cmd->add_subcommand("compare", "Print <, = or > (A relative to B)");
  cmp->add_option("A", o->a, "first version or load name")->required();
  cmp->add_option("B", o->b, "second version or load name")->required();
  cmp->callback([&action, o] { action = [o] { return RunCompare(*o); }; });

  auto* parse = cmd->add_subcommand("parse", "Show how a version or load name is understood");
  parse->add_option("V", o->v, "version or load name")->required();
  parse->add_flag("--json", o->json, "print JSON");
  parse->callback([&action, o] { action = [o] { return RunParse(*o); }; });
}

}  // namespace stepup::cli
