// stepup catalog update FILE [--data DIR]: merges a newer catalog file into the data
// directory's catalog (DIR/catalog.d/, read with the bundled one by every command that works
// on the directory, and by the server at its next start). The merge is checked first: a file
// that does not validate together with the catalog in use changes nothing. Then it says what
// is new (loads, and the newest release of each family) and which rollout groups are now
// behind the newest release.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "app/rollout_groups.h"
#include "cli/cli.h"
#include "core/planner.h"

namespace stepup::cli {
namespace {

namespace fs = std::filesystem;

struct UpdateOptions {
  DataOptions data;
  std::string catalog, file;
  bool json = false;
};

// family/protocol -> newest confirmed load
std::map<std::string, const Load*> Newest(const Catalog& cat) {
  std::map<std::string, const Load*> out;
  for (const auto& f : cat.families) {
    for (Protocol p : f.protocols) {
      if (const Load* l = LatestConfirmed(cat, f.id, p))
        out[f.id + " " + std::string(ProtocolName(p))] = l;
    }
  }
  return out;
}

int RunUpdate(const UpdateOptions& o) {
  if (fs::path(o.file).extension() != ".toml")
    return Fail(BadInput("catalog update \"" + o.file + "\": a .toml catalog file is expected"));
  std::ifstream in(o.file, std::ios::binary);
  if (!in) return Fail(FileError("catalog update \"" + o.file + "\""));
  std::stringstream text;
  text << in.rdbuf();
  const fs::path dest = fs::path(CatalogDir(o.data)) / fs::path(o.file).filename();
  auto before = OpenCatalogFor(o.data, o.catalog);
  if (!before) return Fail(before.error());
  auto after = OpenCatalogFor(o.data, o.catalog, {{dest.string(), text.str()}});
  if (!after) {
    return Fail(BadInput("catalog update \"" + o.file +
                         "\" does not merge with the catalog in use; nothing was changed:\n" +
                         after.error().message));
  }
  std::error_code ec;
  fs::create_directories(dest.parent_path(), ec);
  const fs::path tmp = dest.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text.str();
    out.flush();
    if (!out) return Fail(IoError("cannot write \"" + tmp.string() + "\""));
  }
  fs::rename(tmp, dest, ec);
  if (ec) return Fail(IoError("cannot write \"" + dest.string() + "\": " + ec.message()));

  std::set<std::string> had;
  for (const auto& l : before->loads) had.insert(l.family + " " + l.load);
  nlohmann::json added = nlohmann::json::array();
  for (const auto& l : after->loads) {
    if (!had.count(l.family + " " + l.load))
      added.push_back({{"family", l.family}, {"load", l.load}, {"version", l.version_label},
                       {"status", FactStatusName(l.status)}});
  }
  auto was = Newest(*before);
  nlohmann::json newest = nlohmann::json::array();
  for (const auto& [key, l] : Newest(*after)) {
    auto it = was.find(key);
    if (it != was.end() && it->second->load == l->load) continue;
    newest.push_back({{"family", l->family},
                      {"protocol", ProtocolName(l->protocol)},
                      {"was", it == was.end() ? "" : it->second->version_label},
                      {"now", l->version_label},
                      {"load", l->load}});
  }
  nlohmann::json behind = nlohmann::json::array();
  if (auto inv = OpenData(o.data)) {
    auto groups = (*inv)->Groups();
    auto devices = (*inv)->List();
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    if (groups && devices) {
      for (const auto& g : *groups) {
        GroupReport r = ReportGroup(*after, g, *devices, now);
        if (!r.behind.empty()) behind.push_back(GroupToJson(g, r, now));
      }
    }
  } else {
    return Fail(inv.error());
  }
  if (o.json) {
    std::cout << nlohmann::json{{"file", dest.string()},
                                {"added", added},
                                {"newest", newest},
                                {"groups_behind", behind}}
                     .dump(2)
              << "\n";
    return kExitOk;
  }
  std::cout << "catalog updated: " << dest.string() << " (" << added.size()
            << " loads new to this data directory; a running server reads it at its next "
               "start)\n";
  for (const auto& a : added)
    std::cout << "  new: " << a["family"].get<std::string>() << " "
              << a["load"].get<std::string>() << " (" << a["version"].get<std::string>() << ", "
              << a["status"].get<std::string>() << ")\n";
  for (const auto& n : newest)
    std::cout << "  newest " << n["family"].get<std::string>() << " "
              << n["protocol"].get<std::string>() << ": " << n["now"].get<std::string>()
              << (n["was"].get<std::string>().empty() ? ""
                                                       : " (was " + n["was"].get<std::string>() + ")")
              << "\n";
  for (const auto& g : behind) {
    for (const auto& b : g["behind"])
      std::cout << "  group " << g["name"].get<std::string>() << " is behind: "
                << b["devices"].get<int>() << " " << b["model"].get<std::string>()
                << " target " << b["target"].get<std::string>() << ", newest "
                << b["newest"].get<std::string>() << "\n";
  }
  return kExitOk;
}

}  // namespace

void AddCatalogUpdate(CLI::App& catalog, Action& action) {
  auto o = std::make_shared<UpdateOptions>();
  auto* cmd = catalog.add_subcommand(
      "update", "Merge a newer catalog file into the data directory's catalog (DIR/catalog.d)");
  cmd->add_option("FILE", o->file, "catalog TOML file (catalog/README.md)")->required();
  cmd->add_option("--data", o->data.dir, "data directory (default ./stepup-data)");
  cmd->add_option("--db", o->data.db, "inventory: sqlite:PATH or postgresql://USER@HOST/DB (default DATA/stepup.db)");
  cmd->add_option("--catalog", o->catalog, "base catalog file or directory (default: bundled)");
  cmd->add_flag("--json", o->json, "print JSON");
  cmd->callback([&action, o] { action = [o] { return RunUpdate(*o); }; });
}

}  // namespace stepup::cli
