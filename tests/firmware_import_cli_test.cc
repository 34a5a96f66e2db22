// `stepup firmware import`, `stepup firmware list` and `stepup dhcp` through the real binary,
// with the bundled catalog and archives made by the zip and tar commands.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

namespace {
namespace fs = std::filesystem;

struct FwOutcome {
  int code = -1;
  std::string out, err;
};

std::string FwQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string FwSlurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void FwWrite(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << bytes;
}

std::string FwImage(size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(size, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

class FirmwareImportCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("stepup-fwcli-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "src");
  }
  void TearDown() override { fs::remove_all(dir_); }

  FwOutcome Run(const std::vector<std::string>& args, bool with_data = true) {
    static int n = 0;
    const fs::path out = dir_ / ("out" + std::to_string(n)),
                   err = dir_ / ("err" + std::to_string(n++));
    std::string cmd = FwQuote(STEPUP_BINARY);
    for (const auto& a : args) cmd += " " + FwQuote(a);
    if (with_data) cmd += " --data " + FwQuote((dir_ / "data").string());
    cmd += " >" + FwQuote(out.string()) + " 2>" + FwQuote(err.string());
    const int status = std::system(cmd.c_str());
    FwOutcome r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = FwSlurp(out);
    r.err = FwSlurp(err);
    return r;
  }
  void Sh(const std::string& cmd) {
    const std::string full =
        "cd " + FwQuote((dir_ / "src").string()) + " && " + cmd + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(full.c_str()), 0) << cmd;
  }
  static bool Lists(const nlohmann::json& loads, const std::string& family,
                    const std::string& load) {
    for (const auto& l : loads) {
      if (l.at("family") == family && l.at("load") == load) return true;
    }
    return false;
  }
  fs::path Repo() const { return dir_ / "data" / "firmware"; }
  fs::path dir_;
};

TEST_F(FirmwareImportCli, ZipBundleCompletesItsLoadAndLandsByteIdentical) {
  const std::string bin = FwImage(100000, 7);
  FwWrite(dir_ / "src" / "SPA30x_SPA50x_7.5.5_FW" / "spa50x-30x-7-5-5.bin", bin);
  FwWrite(dir_ / "src" / "SPA30x_SPA50x_7.5.5_FW" / "Release Notes.txt", "notes");
  Sh("zip -qr ../SPA30x_SPA50x_7.5.5_FW.zip SPA30x_SPA50x_7.5.5_FW");
  FwOutcome r =
      Run({"firmware", "import", (dir_ / "SPA30x_SPA50x_7.5.5_FW.zip").string(), "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.at("imports").size(), 1u);
  const auto& imp = j["imports"][0];
  EXPECT_EQ(imp.at("kind"), "zip");
  EXPECT_TRUE(Lists(imp.at("complete"), "spa50x-30x", "7.5.5")) << imp.dump(2);
  EXPECT_EQ(FwSlurp(Repo() / "spa50x-30x-7-5-5.bin"), bin);
  // The bundle itself is kept: it is what the catalog names for the load.
  EXPECT_EQ(FwSlurp(Repo() / "SPA30x_SPA50x_7.5.5_FW.zip"),
            FwSlurp(dir_ / "SPA30x_SPA50x_7.5.5_FW.zip"));
  ASSERT_EQ(imp.at("skipped").size(), 1u);
  EXPECT_EQ(imp["skipped"][0].at("member"), "SPA30x_SPA50x_7.5.5_FW/Release Notes.txt");

  // The text report names the complete load too.
  FwOutcome again = Run({"firmware", "import", (dir_ / "SPA30x_SPA50x_7.5.5_FW.zip").string()});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.out.find("complete   spa50x-30x 7.5.5"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("replaced"), std::string::npos) << again.out;
}

TEST_F(FirmwareImportCli, PartOfALoadReportsWhatIsStillMissingAndABadSizeIsRefused) {
  // 7940/7960 SIP 8.12: three files with sizes the catalog records (STAS INFO.txt).
  FwWrite(dir_ / "src" / "P003-8-12-00.sbn", FwImage(130956, 8));
  Sh("tar czf ../p0s3.tar.gz P003-8-12-00.sbn");
  FwOutcome r = Run({"firmware", "import", (dir_ / "p0s3.tar.gz").string(), "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto imp = nlohmann::json::parse(r.out)["imports"][0];
  ASSERT_EQ(imp.at("incomplete").size(), 1u) << imp.dump(2);
  const auto& inc = imp["incomplete"][0];
  EXPECT_EQ(inc.at("load"), "P0S3-8-12-00");
  const auto missing = inc.at("missing").get<std::vector<std::string>>();
  EXPECT_NE(std::find(missing.begin(), missing.end(), "P0S3-8-12-00.sb2"), missing.end());
  EXPECT_EQ(std::find(missing.begin(), missing.end(), "P003-8-12-00.sbn"), missing.end());

  FwWrite(dir_ / "P0S3-8-12-00.sb2", "a truncated download");
  FwOutcome bad = Run({"firmware", "import", (dir_ / "P0S3-8-12-00.sb2").string()});
  EXPECT_EQ(bad.code, 2) << bad.out;
  EXPECT_NE(bad.err.find("P0S3-8-12-00.sb2"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("756524"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(Repo() / "P0S3-8-12-00.sb2"));
}

TEST_F(FirmwareImportCli, BadInputExitsTwoNamingTheFileAndKeepsTheRepository) {
  fs::create_directories(Repo());
  FwWrite(Repo() / "spa50x-30x-7-5-5.bin", "the good image");
  FwWrite(dir_ / "notes.docx", "not firmware");
  FwOutcome unknown = Run({"firmware", "import", (dir_ / "notes.docx").string()});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.err.find("notes.docx"), std::string::npos) << unknown.err;

  FwWrite(dir_ / "src" / "spa50x-30x-7-5-5.bin", "evil");
  Sh("mkdir -p a && tar cPzf ../evil.tar.gz a ../src/spa50x-30x-7-5-5.bin");
  FwOutcome evil = Run({"firmware", "import", (dir_ / "evil.tar.gz").string()});
  EXPECT_EQ(evil.code, 2) << evil.out;
  EXPECT_NE(evil.err.find("evil.tar.gz"), std::string::npos) << evil.err;
  EXPECT_NE(evil.err.find("\"../src/spa50x-30x-7-5-5.bin\""), std::string::npos) << evil.err;
  EXPECT_EQ(FwSlurp(Repo() / "spa50x-30x-7-5-5.bin"), "the good image");

  FwWrite(dir_ / "broken.k4.cop.sha512", "no gzip in here");
  FwOutcome cop = Run({"firmware", "import", (dir_ / "broken.k4.cop.sha512").string()});
  EXPECT_EQ(cop.code, 2);
  EXPECT_NE(cop.err.find("broken.k4.cop.sha512"), std::string::npos) << cop.err;
  for (const auto& e : fs::directory_iterator(Repo())) {
    EXPECT_EQ(e.path().filename(), "spa50x-30x-7-5-5.bin");  // no temporary file left
  }
}

TEST_F(FirmwareImportCli, ListShowsFamiliesAndTheDevicesAMissingImageBlocks) {
  FwOutcome add = Run({"device", "add", "--mac", "00:0e:08:aa:bb:01", "--model", "SPA504G",
                       "--firmware", "7.5.4", "--target", "7.5.5"});
  ASSERT_EQ(add.code, 0) << add.err;
  FwOutcome before = Run({"firmware", "list", "--json"});
  ASSERT_EQ(before.code, 0) << before.err;
  auto j = nlohmann::json::parse(before.out);
  ASSERT_EQ(j.at("devices").size(), 1u);
  EXPECT_EQ(j["devices"][0].at("status"), "blocked") << j["devices"][0].dump(2);
  EXPECT_TRUE(Lists(j["devices"][0].at("missing"), "spa50x-30x", "7.5.5"))
      << j["devices"][0].dump(2);
  bool family = false;
  for (const auto& f : j.at("families")) {
    if (f.at("family") != "spa50x-30x") continue;
    family = true;
    EXPECT_EQ(f.at("complete"), 0);
    EXPECT_GT(f.at("total").get<int>(), 5);
  }
  EXPECT_TRUE(family);

  FwWrite(dir_ / "spa50x-30x-7-5-5.bin", FwImage(5000, 9));
  ASSERT_EQ(Run({"firmware", "import", (dir_ / "spa50x-30x-7-5-5.bin").string()}).code, 0);
  FwOutcome after = Run({"firmware", "list", "--json"});
  ASSERT_EQ(after.code, 0) << after.err;
  j = nlohmann::json::parse(after.out);
  EXPECT_EQ(j["devices"][0].at("status"), "ok") << j["devices"][0].dump(2);
  FwOutcome text = Run({"firmware", "list"});
  EXPECT_NE(text.out.find("complete  7.5.5"), std::string::npos) << text.out;
}

class DhcpCli : public FirmwareImportCli {};

TEST_F(DhcpCli, EachFormatInItsOwnSyntax) {
  FwOutcome kea = Run({"dhcp", "--format", "kea", "--tftp", "192.0.2.10,192.0.2.11"}, false);
  ASSERT_EQ(kea.code, 0) << kea.err;
  auto j = nlohmann::json::parse(kea.out);
  EXPECT_EQ(j["Dhcp4"]["option-def"][0]["code"], 150);
  EXPECT_EQ(j["Dhcp4"]["option-def"][0]["type"], "ipv4-address");
  EXPECT_EQ(j["Dhcp4"]["option-def"][0]["array"], true);

  FwOutcome isc = Run({"dhcp", "--format", "isc", "--url", "http://192.0.2.10:8069"}, false);
  ASSERT_EQ(isc.code, 0) << isc.err;
  EXPECT_NE(isc.out.find("option tftp-server-address code 150 = array of ip-address;"),
            std::string::npos)
      << isc.out;
  EXPECT_NE(isc.out.find("option tftp-server-address 192.0.2.10;"), std::string::npos) << isc.out;

  FwOutcome dnsmasq = Run({"dhcp", "--format", "dnsmasq", "--tftp", "192.0.2.10:6969"}, false);
  ASSERT_EQ(dnsmasq.code, 0) << dnsmasq.err;
  EXPECT_NE(dnsmasq.err.find("port 69"), std::string::npos) << dnsmasq.err;
  EXPECT_NE(dnsmasq.out.find("dhcp-option=150,192.0.2.10\n"), std::string::npos) << dnsmasq.out;
  const fs::path conf = dir_ / "dnsmasq.conf";
  FwWrite(conf, dnsmasq.out);
  if (std::system("command -v dnsmasq >/dev/null 2>&1 || test -x /usr/sbin/dnsmasq") != 0) {
    std::cout << "[  SKIPPED ] dnsmasq --test: dnsmasq is not installed (Debian: dnsmasq-base)\n";
  } else {
    const std::string check = "PATH=\"$PATH:/usr/sbin\" dnsmasq --test -C " +
                              FwQuote(conf.string()) + " >" + FwQuote((dir_ / "check").string()) +
                              " 2>&1";
    EXPECT_EQ(std::system(check.c_str()), 0) << FwSlurp(dir_ / "check") << dnsmasq.out;
  }

  FwOutcome bad = Run({"dhcp", "--format", "windows", "--tftp", "192.0.2.10"}, false);
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("windows"), std::string::npos);
  FwOutcome loop = Run({"dhcp", "--format", "kea", "--tftp", "localhost"}, false);
  EXPECT_EQ(loop.code, 2);
  EXPECT_NE(loop.err.find("localhost"), std::string::npos);
}

}  // namespace
