// stepup db migrate|export|import with the real binary: a SQLite inventory moved to
// PostgreSQL (the test binary's own server, tests/postgres_server.h) and to a fresh SQLite
// comes back out identical, every device and event included.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "store/inventory.h"
#include "tests/postgres_server.h"

namespace stepup {
namespace {
namespace fs = std::filesystem;

struct DbCliOutcome {
  int code = -1;
  std::string out, err;
};

std::string DbCliQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string DbCliSlurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class DbCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("stepup-dbcli-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  DbCliOutcome Stepup(const std::vector<std::string>& args) {
    const fs::path out = dir_ / "stdout", err = dir_ / "stderr";
    std::string cmd = DbCliQuote(STEPUP_BINARY);
    for (const auto& a : args) cmd += " " + DbCliQuote(a);
    cmd += " >" + DbCliQuote(out.string()) + " 2>" + DbCliQuote(err.string());
    const int status = std::system(cmd.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, DbCliSlurp(out), DbCliSlurp(err)};
  }

  // A SQLite inventory as a server leaves it: devices with settings (a secret among them),
  // each with events of several kinds (a request repeated three times is one counted event),
  // an unknown attempt, a rollout group; one device removed, so ids have a gap.
  std::string FilledSqlite() {
    const std::string url = "sqlite:" + (dir_ / "source.db").string();
    auto inv = OpenInventory(url);
    EXPECT_TRUE(inv.ok()) << inv.error().message;
    if (!inv) return url;
    Inventory& i = **inv;
    std::vector<int64_t> ids;
    for (int n = 0; n < 4; ++n) {
      Device d;
      d.mac = "0002fdff21" + std::to_string(10 + n);
      d.serial = n == 1 ? "CBT14140" + std::to_string(n) + "UK" : "";
      d.model = n == 3 ? "CP-7970G" : "SPA504G";
      d.protocol = n == 3 ? "sccp" : "sip";
      d.target = n == 2 ? "7.5.2b" : "latest";
      d.firmware = "7.4.8a";
      d.hardware = "V15";
      d.settings = {{"sip_user", std::to_string(1000 + n)},
                    {"sip_password", "s3cret-" + std::to_string(n)},
                    {"display_name", "Desk \"" + std::to_string(n) + "\" <lobby> & co, ünïcode"},
                    {"group", "pilot"}};
      d.created = d.updated = 1764028800 + n;
      auto added = i.Add(d);
      EXPECT_TRUE(added.ok()) << added.error().message;
      if (added) ids.push_back(added->id);
    }
    if (ids.size() != 4) return url;
    EXPECT_TRUE(i.Remove(ids[1]).ok());
    Device d = **i.FindById(ids[2]);
    d.state = kStateStuck;
    d.state_detail = "fetched 7.5.2b three times";
    d.hold = true;
    d.pending_load = "7.5.2b";
    d.pending_offers = 3;
    d.excluded = {"7.5.2b"};
    d.candidates = {"7.4.8a", "7.4.9"};
    d.firmware_source = "user-agent";
    d.transport = kTransportOffered;
    d.updated = 1764030000;
    EXPECT_TRUE(i.Update(d).ok());
    const int64_t t0 = 1764028800000;
    for (int64_t id : {ids[0], ids[2], ids[3]}) {
      EXPECT_TRUE(i.AppendEvent(id, {t0 + id, "operator", "added", "cli", ""}).ok());
      for (int r = 0; r < 3; ++r)
        EXPECT_TRUE(i.AppendEvent(id,
                                  {t0 + 1000 + r, "request", "GET /spa504G.cfg", "http",
                                   "10.0.0." + std::to_string(id) + ":5060"},
                                  true)
                        .ok());
      EXPECT_TRUE(i.Flush().ok());
      EXPECT_TRUE(i.RecordProgress(**i.FindById(id),
                                   {{t0 + 2000, "hop-offered", "7.5.2b", "tftp", "10.0.0.1:69"}})
                      .ok());
    }
    EXPECT_TRUE(
        i.RecordUnknown({{t0 + 5, "unknown", "GET /cfg/aabbccddeeff.xml", "http", "10.0.0.9:1"},
                         R"({"mac":"aabbccddeeff"})"})
            .ok());
    EXPECT_TRUE(
        i.PutGroup({"pilot", "7.5.2b", "22:00-05:00", true, 12345, 100, 200, {{"k", "v"}}}).ok());
    EXPECT_TRUE(i.Flush().ok());
    return url;
  }

  fs::path dir_;
};

TEST_F(DbCliTest, ExportImportRoundTripsSqliteThroughPostgresAndSqlite) {
  std::string pg;
  STEPUP_PG_DATABASE(pg);
  const std::string source = FilledSqlite();
  const std::string copy = "sqlite:" + (dir_ / "copy.db").string();
  const std::string a = (dir_ / "a.jsonl").string(), p = (dir_ / "p.jsonl").string(),
                    s = (dir_ / "s.jsonl").string();

  DbCliOutcome r = Stepup({"db", "export", "--db", source, "--out", a});
  ASSERT_EQ(r.code, 0) << r.err;
  struct stat st {};
  ASSERT_EQ(::stat(a.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);  // it holds the devices' secrets
  const std::string exported = DbCliSlurp(a);
  // What it holds: 3 devices, 3 events each (the repeated request counted on one), the
  // unknown attempt and the group, after a header.
  std::vector<nlohmann::json> lines;
  std::istringstream in(exported);
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 1u + 3 + 9 + 1 + 1);
  EXPECT_EQ(lines[0]["devices"], 3);
  EXPECT_EQ(lines[0]["events"], 9);
  EXPECT_EQ(lines[2]["settings"]["sip_password"], "s3cret-2");
  EXPECT_EQ(lines[2]["state"], "stuck");
  EXPECT_EQ(lines[2]["candidates"], nlohmann::json({"7.4.8a", "7.4.9"}));
  int counted = 0;
  for (const auto& l : lines) counted += l.value("repeats", 0) == 2 ? 1 : 0;
  EXPECT_EQ(counted, 3);

  r = Stepup({"db", "import", "--in", a, "--db", pg});
  ASSERT_EQ(r.code, 0) << r.err;
  r = Stepup({"db", "import", "--in", a, "--db", copy});
  ASSERT_EQ(r.code, 0) << r.err;
  r = Stepup({"db", "export", "--db", pg, "--out", p});
  ASSERT_EQ(r.code, 0) << r.err;
  r = Stepup({"db", "export", "--db", copy, "--out", s});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(DbCliSlurp(p), exported);  // every device and event, ids, order, times, counts
  EXPECT_EQ(DbCliSlurp(s), exported);

  // The imported fleet is served as it was: the device commands see it.
  r = Stepup({"device", "show", "0002fdff2112", "--db", pg, "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["state"], "stuck");

  // A second import would mix two fleets: refused, naming why, nothing written.
  r = Stepup({"db", "import", "--in", a, "--db", pg});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("already holds 3 devices"), std::string::npos) << r.err;
  r = Stepup({"db", "export", "--db", pg, "--out", p});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(DbCliSlurp(p), exported);

  r = Stepup({"db", "migrate", "--db", pg, "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto m = nlohmann::json::parse(r.out);
  r = Stepup({"db", "migrate", "--db", source, "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["schema"], m["schema"]);  // one numbering for both
  EXPECT_GE(m["schema"].get<int>(), 6);
}

TEST_F(DbCliTest, ImportRefusesAFileItCannotReadWhole) {
  const std::string source = FilledSqlite();
  const std::string a = (dir_ / "a.jsonl").string();
  ASSERT_EQ(Stepup({"db", "export", "--db", source, "--out", a}).code, 0);
  std::string text = DbCliSlurp(a);
  const std::string copy = "sqlite:" + (dir_ / "copy.db").string();
  // Truncated: the header's counts say so.
  std::ofstream(dir_ / "cut.jsonl") << text.substr(0, text.rfind('\n', text.size() - 2) + 1);
  DbCliOutcome r = Stepup({"db", "import", "--in", (dir_ / "cut.jsonl").string(), "--db", copy});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("truncated"), std::string::npos) << r.err;
  // A misspelt key is named with its line, not dropped.
  const size_t at = text.find("\"hold\"");
  ASSERT_NE(at, std::string::npos);
  std::ofstream(dir_ / "bad.jsonl") << text.substr(0, at) + "\"holdd\"" + text.substr(at + 6);
  r = Stepup({"db", "import", "--in", (dir_ / "bad.jsonl").string(), "--db", copy});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("bad.jsonl:2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("hold"), std::string::npos) << r.err;
  auto inv = OpenInventory(copy);
  ASSERT_TRUE(inv.ok());
  EXPECT_TRUE((*inv)->List()->empty());  // nothing of either file landed
}

}  // namespace
}  // namespace stepup
