// stepup report [--group G] --format csv|json|html [--json]: one row per phone of the data
// directory (or of one rollout group): what it ran, what it runs, its hops, its result
// (handed off, returned, stuck or no-path with the reason) and its times (contract.md
// "Operations").
#include <iostream>
#include <memory>

#include "app/bench_report.h"
#include "cli/cli.h"
#include "core/rollout.h"

namespace stepup::cli {
namespace {

struct ReportOptions {
  DataOptions data;
  std::string group, format;
  bool json = false;
};

int RunReport(const ReportOptions& o) {
  std::string format = o.json ? "json" : o.format.empty() ? "csv" : o.format;
  if (format != "csv" && format != "json" && format != "html")
    return Fail(BadInput("--format \"" + o.format + "\" is not csv, json or html"));
  auto inv = OpenData(o.data);
  if (!inv) return Fail(inv.error());
  auto devices = (*inv)->List();
  if (!devices) return Fail(devices.error());
  if (!o.group.empty()) {
    auto groups = (*inv)->Groups();
    if (!groups) return Fail(groups.error());
    bool known = false;
    for (const auto& g : *groups) known = known || g.name == o.group;
    bool named = false;
    for (const auto& d : *devices) named = named || GroupOf(d) == o.group;
    if (!known && !named) return Fail(Unknown("no rollout group \"" + o.group + "\""));
  }
  std::vector<ReportRow> rows;
  for (const auto& d : *devices) {
    if (!o.group.empty() && GroupOf(d) != o.group) continue;
    auto events = (*inv)->Events(d.id);
    if (!events) return Fail(events.error());
    rows.push_back(ReportFor(d, *events));
  }
  if (format == "csv") std::cout << ReportCsv(rows);
  if (format == "json") std::cout << ReportJson(rows).dump(2) << "\n";
  if (format == "html")
    std::cout << ReportHtml(rows, o.group.empty() ? "stepup report" : "stepup report: " + o.group);
  return kExitOk;
}

}  // namespace

void AddReportCommand(CLI::App& app, Action& action) {
  auto o = std::make_shared<ReportOptions>();
  auto* cmd = app.add_subcommand(
      "report", "One row per phone: start and final firmware, hops, result (handed off, "
                "returned, stuck, no-path with the reason) and times");
  cmd->add_option("--data", o->data.dir, "data directory (default ./stepup-data)");
  cmd->add_option("--db", o->data.db, "inventory: sqlite:PATH or postgresql://USER@HOST/DB (default DATA/stepup.db)");
  cmd->add_option("--group", o->group, "only this rollout group's phones (a bench's group)");
  cmd->add_option("--format", o->format, "csv (default), json or html (a printable page)");
  cmd->add_flag("--json", o->json, "the same as --format json");
  cmd->callback([&action, o] { action = [o] { return RunReport(*o); }; });
}

}  // namespace stepup::cli
