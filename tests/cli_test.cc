// The command-line contract (contract.md): output shapes and exit codes of the real binary.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace {
namespace fs = std::filesystem;

struct Outcome {
  int code = -1;
  std::string out, err;
};

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string Slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Outcome Stepup(const std::vector<std::string>& args) {
  static int n = 0;
  fs::path dir = fs::temp_directory_path() / ("stepup-cli-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::path out = dir / ("out" + std::to_string(n)), err = dir / ("err" + std::to_string(n++));
  std::string cmd = Quote(STEPUP_BINARY);
  for (const auto& a : args) cmd += " " + Quote(a);
  cmd += " >" + Quote(out.string()) + " 2>" + Quote(err.string());
  int status = std::system(cmd.c_str());
  Outcome r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = Slurp(out);
  r.err = Slurp(err);
  return r;
}

TEST(Cli, VersionCompareAndParse) {
  EXPECT_EQ(Stepup({"version", "compare", "7.4.10", "7.4.9"}).out, ">\n");
  EXPECT_EQ(Stepup({"version", "compare", "7.5.2", "7.5.2b"}).out, "<\n");
  EXPECT_EQ(Stepup({"version", "compare", "SCCP70.8-5-2S", "8.5(2)"}).out, "=\n");
  EXPECT_EQ(Stepup({"version", "compare", "8.5(3)", "8.5(2)SR1"}).out, ">\n");
  Outcome p = Stepup({"version", "parse", "SCCP41.9-4-2SR1-1S", "--json"});
  ASSERT_EQ(p.code, 0) << p.err;
  auto j = nlohmann::json::parse(p.out);
  EXPECT_EQ(j["input"], "SCCP41.9-4-2SR1-1S");
  EXPECT_EQ(j["scheme"], "load");
  EXPECT_EQ(j["release"], nlohmann::json({9, 4, 2}));
  EXPECT_EQ(j["protocol"], "sccp");
  EXPECT_EQ(j["model_code"], "41");
}

TEST(Cli, BadInputExitsTwoNamingTheValue) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"version", "compare", "7.5.x", "7.5.2"},
           {"version", "parse", "SIP70.nope"},
           {"plan", "--model", "SPA504G", "--from", "7..3"},
           {"plan", "--model", "SPA504G", "--from", "7.3.7", "--to", "9.9.9"},
           {"plan", "--model", "SPA504G", "--from", "7.3.7", "--protocol", "h323"},
           {"plan", "--model", "SPA504G", "--from", "7.3.7", "--have", "7.5.9z"},
           {"plan", "--model", "SPA504G", "--from", "7.3.7", "--firmware", "/nonexistent-fw"},
           {"plan", "--model", "SPA504G", "--from", "7.3.7", "--date", "yesterday"},
           {"plan", "--model", "SPA504G", "--from", "7.3.7", "--catalog", "/nonexistent.toml"}}) {
    Outcome r = Stepup(args);
    EXPECT_EQ(r.code, 2) << args.back() << ": " << r.err;
    std::string named = args[args.size() - 1];
    if (args[0] == "version") named = args[2];
    if (args[0] == "plan" && args[3] == "7..3") named = "7..3";
    EXPECT_NE(r.err.find(named), std::string::npos) << r.err;
  }
  EXPECT_EQ(Stepup({"plan", "--model", "SPA504G"}).code, 2);  // missing --from
  EXPECT_EQ(Stepup({"frobnicate"}).code, 2);
  EXPECT_EQ(Stepup({"--help"}).code, 0);
}

TEST(Cli, EveryCommandsHelpNamesTheExitCodes) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"--help"},
                                                                {"plan", "--help"},
                                                                {"serve", "--help"},
                                                                {"device", "add", "--help"},
                                                                {"catalog", "list", "--help"},
                                                                {"simulate", "--help"}}) {
    Outcome r = Stepup(args);
    EXPECT_EQ(r.code, 0) << args[0];
    EXPECT_NE(r.out.find("5 an I/O failure"), std::string::npos) << args[0] << ": " << r.out;
  }
}

TEST(Cli, UnknownModelExitsFour) {
  Outcome r = Stepup({"plan", "--model", "CP-9999G", "--from", "1.0.0"});
  EXPECT_EQ(r.code, 4);
  EXPECT_NE(r.err.find("CP-9999G"), std::string::npos);
  EXPECT_EQ(Stepup({"catalog", "list", "--model", "CP-9999G"}).code, 4);
}

TEST(Cli, PlanJsonHasTheContractShapeAndNoPathExitsThree) {
  Outcome ok = Stepup({"plan", "--model", "SPA-504G", "--from", "7.3.7", "--to", "7.6.1", "--have",
                       "7.5.2b,7.6.1", "--json"});
  ASSERT_EQ(ok.code, 0) << ok.err;
  auto j = nlohmann::json::parse(ok.out);
  EXPECT_EQ(j["model"], "SPA504G");  // the canonical name, not the alias
  EXPECT_EQ(j["from"], "7.3.7");
  EXPECT_EQ(j["to"], "7.6.1");
  EXPECT_EQ(j["status"], "ok");
  ASSERT_EQ(j["hops"].size(), 2u);
  for (const char* k : {"load", "protocol", "version", "files", "why", "uncertain"}) {
    EXPECT_TRUE(j["hops"][0].contains(k)) << k;
  }
  EXPECT_EQ(j["hops"][0]["load"], "7.5.2b");
  EXPECT_TRUE(j["missing"].is_array());

  Outcome none = Stepup({"plan", "--model", "SPA504G", "--from", "7.3.7", "--to", "7.6.1", "--have",
                         "7.6.1", "--json"});
  EXPECT_EQ(none.code, 3);
  auto n = nlohmann::json::parse(none.out);
  EXPECT_EQ(n["status"], "no-path");
  ASSERT_EQ(n["missing"].size(), 1u);
  EXPECT_EQ(n["missing"][0]["load"], "7.5.2b");
  EXPECT_FALSE(n["missing"][0]["why"].get<std::string>().empty());

  Outcome cur =
      Stepup({"plan", "--model", "SPA504G", "--from", "7.6.1", "--to", "7.6.1", "--json"});
  EXPECT_EQ(cur.code, 0);
  EXPECT_EQ(nlohmann::json::parse(cur.out)["status"], "current");
}

// Issue 16 item 4: --require mra moves a target below 12.8(1) to 12.8(1) and says so; the
// JSON names the requirement; an unknown capability or a model the trust-store facts do not
// cover is bad input naming it.
TEST(Cli, PlanRequireMraEndsOnAReleaseWhoseTrustStoreMeetsIt) {
  const std::vector<std::string> base = {"plan", "--model", "CP-8841", "--from",    "12.7(1)",
                                         "--to", "12.7(1)", "--date",  "2024-01-01"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return Stepup(args);
  };
  Outcome plain = with({"--json"});
  ASSERT_EQ(plain.code, 0) << plain.err;
  auto pj = nlohmann::json::parse(plain.out);
  EXPECT_EQ(pj["status"], "current");
  EXPECT_EQ(pj["require"], nlohmann::json::array());

  Outcome r = with({"--require", "mra", "--json"});
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["require"], nlohmann::json({"mra"}));
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["to"], "12.7(1)");
  EXPECT_EQ(j["to_load"], "sip88xx.12-8-1-0001-455");
  ASSERT_EQ(j["hops"].size(), 1u);
  bool said = false;
  for (const auto& w : j["warnings"]) {
    said = said || w.get<std::string>().find("--require mra") != std::string::npos;
  }
  EXPECT_TRUE(said) << j["warnings"].dump();

  Outcome text = with({"--require", "mra,mra"});
  EXPECT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("required of the end: mra"), std::string::npos) << text.out;

  Outcome unknown = with({"--require", "mra,vpn"});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.err.find("unknown capability \"vpn\""), std::string::npos) << unknown.err;

  Outcome spa = Stepup(
      {"plan", "--model", "SPA504G", "--from", "7.3.7", "--to", "7.6.1", "--require", "mra"});
  EXPECT_EQ(spa.code, 2);
  EXPECT_NE(spa.err.find("mra does not apply to SPA504G"), std::string::npos) << spa.err;
}

TEST(Cli, PlanReadsAvailabilityFromAFirmwareDirectory) {
  fs::path dir = fs::temp_directory_path() / ("stepup-cli-fw-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "cmterm-7970_7971-sccp.8-5-2.zip") << "zip";
  std::ofstream(dir / "cmterm-7970_7971-sccp.8-5-3.zip") << "zip";
  Outcome r = Stepup({"plan", "--model", "CP-7970G", "--from", "SIP70.8-2-1S", "--to",
                      "SCCP70.8-5-3S", "--firmware", dir.string(), "--json"});
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["hops"].size(), 2u);
  EXPECT_EQ(j["hops"][0]["load"], "SCCP70.8-5-2S");
  EXPECT_EQ(j["hops"][1]["load"], "SCCP70.8-5-3S");
  fs::remove(dir / "cmterm-7970_7971-sccp.8-5-2.zip");
  Outcome none = Stepup({"plan", "--model", "CP-7970G", "--from", "SIP70.8-2-1S", "--to",
                         "SCCP70.8-5-3S", "--firmware", dir.string()});
  EXPECT_EQ(none.code, 3);
  EXPECT_NE(none.out.find("missing: SCCP70.8-5-2S"), std::string::npos) << none.out;
  fs::remove_all(dir);
}

// The 7940/7960 SIP 8.12 files carry the sizes STAS lists (79xx sheet section 5): a file of
// another size is refused, and plan names it and why.
TEST(Cli, PlanRefusesAFirmwareFileOfTheWrongSizeNamingIt) {
  fs::path dir = fs::temp_directory_path() / ("stepup-cli-size-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string manifest = "P0S3-8-12-00.loads\nP003-8-12-00.sbn\nP0S3-8-12-00.sb2\n#";
  manifest += std::string(458 - manifest.size() - 1, '#') + "\n";
  std::ofstream(dir / "P0S3-8-12-00.loads") << manifest;
  std::ofstream(dir / "P0S3-8-12-00.sb2") << std::string(756524, 'b');
  std::ofstream(dir / "P003-8-12-00.sbn") << std::string(10, 'a');  // truncated
  const std::vector<std::string> args = {"plan",         "--model",       "CP-7960G",
                                         "--from",       "P0S3-08-11-00", "--to",
                                         "P0S3-8-12-00", "--firmware",    dir.string()};
  std::vector<std::string> json = args;
  json.push_back("--json");
  Outcome bad = Stepup(json);
  ASSERT_EQ(bad.code, 3) << bad.err << bad.out;
  auto j = nlohmann::json::parse(bad.out);
  ASSERT_EQ(j["rejected_files"].size(), 1u) << bad.out;
  EXPECT_EQ(j["rejected_files"][0]["file"], "P003-8-12-00.sbn");
  EXPECT_NE(
      j["rejected_files"][0]["why"].get<std::string>().find("is 10 bytes, the catalog says 130956"),
      std::string::npos)
      << bad.out;
  EXPECT_NE(j["missing"][0]["why"].get<std::string>().find("P003-8-12-00.sbn is in the repository"),
            std::string::npos)
      << bad.out;
  EXPECT_NE(Stepup(args).out.find("refused file: P003-8-12-00.sbn: is 10 bytes"),
            std::string::npos);
  std::ofstream(dir / "P003-8-12-00.sbn") << std::string(130956, 'a');
  Outcome good = Stepup(json);
  EXPECT_EQ(good.code, 0) << good.err << good.out;
  fs::remove_all(dir);
}

TEST(Cli, CatalogListAndCheck) {
  Outcome list = Stepup({"catalog", "list", "--model", "7970G", "--json"});
  ASSERT_EQ(list.code, 0) << list.err;
  auto j = nlohmann::json::parse(list.out);
  ASSERT_TRUE(j.is_array());
  bool found = false;
  for (const auto& e : j) {
    EXPECT_EQ(e["model"], "CP-7970G");
    for (const char* k :
         {"load", "protocol", "version", "signed_with", "accepts", "files", "source"}) {
      EXPECT_TRUE(e.contains(k)) << k;
    }
    if (e["load"] == "SCCP70.8-5-2S") {
      found = true;
      EXPECT_EQ(e["version"], "8.5(2)");
      EXPECT_EQ(e["protocol"], "sccp");
      EXPECT_EQ(e["signed_with"], "79xx-old");
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(Stepup({"catalog", "check"}).code, 0);

  fs::path bad = fs::temp_directory_path() / ("stepup-bad-" + std::to_string(::getpid()) + ".toml");
  std::ofstream(bad) << "[[load]]\nfamily = \"x\"\nload = \"SIP70.8-2-1S\"\nversion = \"8.2(\"\n"
                        "files = [\"a\"]\nsource = \"t\"\nstatus = \"confirmed\"\nbogus = 1\n";
  Outcome check = Stepup({"catalog", "check", "--catalog", bad.string()});
  EXPECT_EQ(check.code, 2);
  EXPECT_NE(check.err.find("unknown key 'bogus'"), std::string::npos) << check.err;
  EXPECT_NE(check.err.find("8.2("), std::string::npos) << check.err;
  EXPECT_NE(check.err.find("unknown family 'x'"), std::string::npos) << check.err;
  fs::remove(bad);
}

}  // namespace

namespace {

class CliDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("stepup-cli-data-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  Outcome Run(std::vector<std::string> args) {
    args.push_back("--data");
    args.push_back((dir_ / "data").string());
    return Stepup(args);
  }
  fs::path dir_;
};

TEST_F(CliDataTest, ServeRefusesABadTftpLimitNamingTheRule) {
  for (const char* rule : {"10.0.0.0/33=1,1", "10.0.0.0/8=0,5", "10.0.0.0/8"}) {
    Outcome r = Run({"serve", "--http", "127.0.0.1:0", "--tftp", "127.0.0.1:0", "--tftp-limit",
                     "192.0.2.0/24=20,10", "--tftp-limit", rule});
    EXPECT_EQ(r.code, 2) << rule << ": " << r.err;
    EXPECT_NE(r.err.find(std::string("--tftp-limit \"") + rule + "\""), std::string::npos) << r.err;
  }
}

TEST_F(CliDataTest, IoFailuresExitFiveNamingWhatFailed) {
  // A data directory that cannot be created: a file stands where it should be.
  std::ofstream(dir_ / "data") << "not a directory";
  Outcome r = Run({"device", "list", "--json"});
  EXPECT_EQ(r.code, 5) << r.err;
  EXPECT_NE(r.err.find((dir_ / "data").string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Not a directory"), std::string::npos) << r.err;
  // Left as it was: not made 0700 (executable) as a directory would be.
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "data").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0111, 0u);
}

TEST_F(CliDataTest, ServeOnAPortInUseExitsFiveNamingTheAddress) {
  const int busy = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(busy, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(busy, 1), 0);
  socklen_t len = sizeof a;
  ASSERT_EQ(getsockname(busy, reinterpret_cast<sockaddr*>(&a), &len), 0);
  const std::string where = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  Outcome r = Run({"serve", "--http", where, "--tftp", "127.0.0.1:0"});
  close(busy);
  EXPECT_EQ(r.code, 5) << r.err;
  EXPECT_NE(r.err.find("--http " + where), std::string::npos) << r.err;
  // A value that is not an address stays the operator's mistake.
  EXPECT_EQ(Run({"serve", "--http", "localhost:80", "--tftp", "127.0.0.1:0"}).code, 2);
}

TEST_F(CliDataTest, DeviceAddShowSetAndRenderWalkTheSeed003Chain) {
  Outcome add =
      Run({"device", "add", "--mac", "58:BF:EA:11:04:E6", "--model", "SPA-504G", "--target",
           "7.6.1", "--set", "sip_password=s3cret-1001", "--set", "display_name=Front desk"});
  ASSERT_EQ(add.code, 0) << add.err;
  EXPECT_EQ(Run({"device", "add", "--mac", "58bfea1104e6", "--model", "SPA504G"}).code,
            2);  // duplicate
  EXPECT_EQ(Run({"device", "add", "--mac", "001122334455", "--model", "CP-9999"}).code, 4);
  Outcome show = Run({"device", "show", "58bfea1104e6", "--json"});
  ASSERT_EQ(show.code, 0) << show.err;
  auto j = nlohmann::json::parse(show.out);
  EXPECT_EQ(j["model"], "SPA504G");
  EXPECT_EQ(j["state"], "new");
  EXPECT_EQ(j["target"], "7.6.1");
  EXPECT_EQ(j["settings"]["sip_password"], "***");      // secrets hidden unless asked
  EXPECT_NE(j["settings"]["admin_password"], nullptr);  // generated
  ASSERT_FALSE(j["events"].empty());
  EXPECT_EQ(j["events"][0]["kind"], "operator");

  Outcome r1 = Run({"render", "--mac", "58bfea1104e6", "--running", "7.3.7"});
  ASSERT_EQ(r1.code, 0) << r1.err;
  EXPECT_NE(
      r1.out.find("<Upgrade_Rule "
                  "ua=\"na\">http://127.0.0.1:8069/firmware/spa50x-30x-7-5-2b.bin</Upgrade_Rule>"),
      std::string::npos)
      << r1.out;
  EXPECT_NE(r1.out.find("s3cret-1001"), std::string::npos);
  Outcome r2 = Run({"render", "--mac", "58bfea1104e6", "--running", "7.5.2b"});
  EXPECT_NE(r2.out.find("spa50x-30x-7-6-1.bin"), std::string::npos) << r2.out;
  Outcome r3 = Run({"render", "--mac", "58bfea1104e6", "--running", "7.6.1"});
  EXPECT_NE(r3.out.find("<Upgrade_Enable ua=\"na\">No</Upgrade_Enable>"), std::string::npos)
      << r3.out;

  // Operator defaults (DATA/defaults.toml) sit under the device's own settings.
  std::ofstream(dir_ / "data" / "defaults.toml")
      << "sip_proxy = \"pbx.example.net\"\ndisplay_name = \"Default\"\n";
  Outcome withDefaults = Run({"render", "--mac", "58bfea1104e6", "--running", "7.6.1"});
  EXPECT_NE(withDefaults.out.find("<Proxy_1_ ua=\"na\">pbx.example.net</Proxy_1_>"),
            std::string::npos);
  EXPECT_NE(withDefaults.out.find("<Display_Name_1_ ua=\"na\">Front desk</Display_Name_1_>"),
            std::string::npos);
  std::ofstream(dir_ / "data" / "defaults.toml") << "[nested]\nkey = 1\n";
  Outcome badDefaults = Run({"render", "--mac", "58bfea1104e6", "--running", "7.6.1"});
  EXPECT_EQ(badDefaults.code, 2);
  EXPECT_NE(badDefaults.err.find("defaults.toml:1: nested"), std::string::npos) << badDefaults.err;
  fs::remove(dir_ / "data" / "defaults.toml");

  ASSERT_EQ(Run({"device", "set", "58bfea1104e6", "--hold"}).code, 0);
  Outcome held = Run({"render", "--mac", "58bfea1104e6", "--running", "7.3.7"});
  EXPECT_NE(held.out.find("<Upgrade_Enable ua=\"na\">No</Upgrade_Enable>"), std::string::npos);
  EXPECT_NE(held.err.find("on hold"), std::string::npos) << held.err;
  EXPECT_EQ(Run({"device", "set", "58bfea1104e6", "--target", "9.9.9"}).code, 2);
  EXPECT_EQ(Run({"device", "show", "aabbccddeeff"}).code, 4);
  EXPECT_EQ(Run({"render", "--mac", "aabbccddeeff"}).code, 4);
}

TEST_F(CliDataTest, CsvImportIsAllOrNothingAndNamesRowAndColumn) {
  std::ofstream(dir_ / "bad.csv") << "mac,model,firmware,display_name\n"
                                     "0002fdff2103,SPA504G,7.3.7,Lobby\n"
                                     "58bfea1104e6,SPA504G,7.x,Desk\n";
  Outcome bad = Run({"device", "import", (dir_ / "bad.csv").string()});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("row 2 (line 3), column \"firmware\""), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("7.x"), std::string::npos) << bad.err;
  EXPECT_EQ(Run({"device", "list", "--json"}).out, "[]\n");  // nothing landed

  std::ofstream(dir_ / "good.csv") << "mac,model,firmware,display_name,Dial_Plan_1_\n"
                                      "0002fdff2103,SPA504G,7.3.7,\"Lobby, east\",(xx.)\n"
                                      "00270DC01C92,7962G,SCCP42.8-5-2S,Lab,\n";
  Outcome good = Run({"device", "import", (dir_ / "good.csv").string()});
  ASSERT_EQ(good.code, 0) << good.err;
  auto list = nlohmann::json::parse(Run({"device", "list", "--json"}).out);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["settings"]["display_name"], "Lobby, east");
  EXPECT_EQ(list[0]["settings"]["Dial_Plan_1_"], "(xx.)");
  EXPECT_EQ(list[1]["model"], "CP-7962G");
  EXPECT_EQ(list[1]["mac"], "00270dc01c92");
  // Importing the same file again clashes and adds nothing.
  EXPECT_EQ(Run({"device", "import", (dir_ / "good.csv").string()}).code, 2);
  EXPECT_EQ(nlohmann::json::parse(Run({"device", "list", "--json"}).out).size(), 2u);
}

}  // namespace

namespace {

class CliAuditTest : public CliDataTest {};

TEST_F(CliAuditTest, AuditReportsPlantedWeaknessesAndNothingOnACleanDevice) {
  // Clean: generated admin password, SIP over TLS with SRTP, ports in the dynamic range.
  ASSERT_EQ(Run({"device", "add", "--mac", "00562b043615", "--model", "CP-8841-3PCC",
                 "--firmware", "sip88xx.12-0-7MPP0201-66", "--set", "sip_transport=tls", "--set",
                 "srtp=yes"})
                .code,
            0);
  // Weak: a well-known admin password, the default UDP transport, no SRTP, ports from 5060.
  ASSERT_EQ(Run({"device", "add", "--mac", "00562b043616", "--model", "CP-8841-3PCC",
                 "--firmware", "sip88xx.12-0-7MPP0201-66", "--set", "admin_password=cisco",
                 "--set", "sip_tcp_port_min=5060"})
                .code,
            0);
  Outcome bad = Run({"device", "add", "--mac", "00562b043617", "--model", "CP-8841-3PCC",
                     "--set", "sip_transport=carrier-pigeon"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("sip_transport=\"carrier-pigeon\""), std::string::npos) << bad.err;

  Outcome a = Run({"audit", "--json"});
  ASSERT_EQ(a.code, 0) << a.err;
  auto j = nlohmann::json::parse(a.out);
  ASSERT_EQ(j["devices"].size(), 2u);
  std::map<std::string, std::vector<std::string>> ids;
  for (const auto& d : j["devices"]) {
    auto& v = ids[d["mac"].get<std::string>()];
    for (const auto& f : d["findings"]) v.push_back(f["id"]);
    EXPECT_EQ(d["model"], "CP-8841-3PCC");
  }
  EXPECT_EQ(ids["00562b043615"], std::vector<std::string>{});
  EXPECT_EQ(ids["00562b043616"],
            (std::vector<std::string>{"admin-password-weak", "sip-without-tls", "no-srtp",
                                      "ports-not-random"}));
  EXPECT_EQ(j["totals"]["devices"], 2);
  EXPECT_EQ(j["totals"]["devices_with_findings"], 1);
  EXPECT_EQ(j["totals"]["by_severity"]["high"], 1);
  EXPECT_EQ(j["totals"]["by_severity"]["medium"], 2);
  EXPECT_EQ(j["totals"]["by_severity"]["low"], 1);

  Outcome table = Run({"audit"});
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_NE(table.out.find("00562b043616"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("2 device(s), 1 with findings"), std::string::npos) << table.out;
}

}  // namespace
