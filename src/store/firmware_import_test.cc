#include "store/firmware_import.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace stepup {
namespace {
namespace fs = std::filesystem;

struct FwMember {
  std::string name, data;
  enum Kind { kFile, kSymlink, kHardlink } kind = kFile;
  std::string target;  // link target
};

class FirmwareImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("stepup-fwimport-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "src" / "sub");
    repo_ = root_ / "repo";
  }
  void TearDown() override { fs::remove_all(root_); }

  // Bytes no text tool would produce: every value, a gzip magic among them.
  static std::string Image(size_t size, unsigned seed) {
    std::mt19937 rng(seed);
    std::string s(size, '\0');
    for (auto& c : s) c = static_cast<char>(rng() & 0xff);
    if (size > 8) s.replace(4, 3, "\x1f\x8b\x08", 3);
    return s;
  }
  static void Write(const fs::path& p, const std::string& bytes) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << bytes;
  }
  static std::string Read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  // Runs a shell command in src/; fails the test when it fails.
  void Sh(const std::string& cmd) {
    const std::string full = "cd '" + (root_ / "src").string() + "' && " + cmd + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(full.c_str()), 0) << cmd;
  }
  // An archive written member by member with libarchive (names a tool would refuse or clean).
  void WriteArchive(const fs::path& path, bool zip, const std::vector<FwMember>& members) {
    archive* a = archive_write_new();
    if (zip) {
      archive_write_set_format_zip(a);
    } else {
      archive_write_set_format_pax_restricted(a);
      archive_write_add_filter_gzip(a);
    }
    ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
    for (const auto& m : members) {
      archive_entry* e = archive_entry_new();
      archive_entry_set_pathname(e, m.name.c_str());
      archive_entry_set_perm(e, 0644);
      if (m.kind == FwMember::kSymlink) {
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_symlink(e, m.target.c_str());
      } else if (m.kind == FwMember::kHardlink) {
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_hardlink(e, m.target.c_str());
      } else {
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, static_cast<la_int64_t>(m.data.size()));
      }
      ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK) << archive_error_string(a);
      if (m.kind == FwMember::kFile) archive_write_data(a, m.data.data(), m.data.size());
      archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
  }
  ImportRequest Request(const fs::path& file, DownloadKind kind) {
    ImportRequest r;
    r.file = file.string();
    r.dir = repo_.string();
    r.kind = kind;
    r.wanted = [](const std::string& lower) { return IsImageName(lower); };
    return r;
  }
  // The repository's files, temporary ones included: none may be left behind.
  std::vector<std::string> RepoFiles() {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(repo_)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
  fs::path root_, repo_;
};

TEST_F(FirmwareImportTest, ZipPlacesImagesFlatAndByteIdenticalSkippingTheRest) {
  const std::string bin = Image(70000, 1), loads = "SCCP70.8-5-2S.loads\napps70.8-5-2.sbn\n";
  Write(root_ / "src" / "sub" / "apps70.8-5-2.sbn", bin);
  Write(root_ / "src" / "SCCP70.8-5-2S.loads", loads);
  Write(root_ / "src" / "readme.txt", "install notes");
  Sh("zip -qr ../dl.zip SCCP70.8-5-2S.loads sub readme.txt");
  auto r = ImportDownload(Request(root_ / "dl.zip", DownloadKind::kZip));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->placed.size(), 2u);
  EXPECT_EQ(Read(repo_ / "apps70.8-5-2.sbn"), bin);
  EXPECT_EQ(Read(repo_ / "SCCP70.8-5-2S.loads"), loads);
  ASSERT_EQ(r->skipped.size(), 1u);
  EXPECT_EQ(r->skipped[0].member, "readme.txt");
  EXPECT_EQ(RepoFiles(), (std::vector<std::string>{"SCCP70.8-5-2S.loads", "apps70.8-5-2.sbn"}));
}

TEST_F(FirmwareImportTest, TarAndTarGzAreRead) {
  const std::string a = Image(5000, 2), b = Image(9000, 3);
  Write(root_ / "src" / "dir" / "spa50x-30x-7-5-5.bin", a);
  Write(root_ / "src" / "spa525g-7-5-5.bin", b);
  Sh("tar cf ../one.tar dir && tar czf ../two.tar.gz spa525g-7-5-5.bin");
  auto one = ImportDownload(Request(root_ / "one.tar", DownloadKind::kTar));
  ASSERT_TRUE(one.ok()) << one.error().message;
  auto two = ImportDownload(Request(root_ / "two.tar.gz", DownloadKind::kTarGz));
  ASSERT_TRUE(two.ok()) << two.error().message;
  EXPECT_EQ(Read(repo_ / "spa50x-30x-7-5-5.bin"), a);
  EXPECT_EQ(Read(repo_ / "spa525g-7-5-5.bin"), b);
  EXPECT_EQ(one->placed[0].member, "dir/spa50x-30x-7-5-5.bin");
}

TEST_F(FirmwareImportTest, CopFileIsReadFromItsGzipStreamAfterTheSignatureHeader) {
  const std::string img = Image(40000, 4);
  Write(root_ / "src" / "cmterm-78xx" / "sip78xx.14-2-1-0001-14.loads", "sip78xx\n");
  Write(root_ / "src" / "cmterm-78xx" / "kern78xx.14-2-1-0001-14.sbn", img);
  Write(root_ / "src" / "cmterm-78xx" / "install.sh", "#!/bin/sh\n");
  Sh("tar czf ../payload.tar.gz cmterm-78xx");
  // A header as COP files have one before the gzip stream: binary, with the package's name.
  std::string header("\x00\x01\x02\x03SIGNATURE-HEADER cmterm-78xx.14-2-1-0001-14.k4.cop", 52);
  header += std::string(1500, '\x5a');
  Write(root_ / "cmterm-78xx.14-2-1-0001-14.k4.cop.sha512",
        header + Read(root_ / "payload.tar.gz"));
  auto r = ImportDownload(
      Request(root_ / "cmterm-78xx.14-2-1-0001-14.k4.cop.sha512", DownloadKind::kCop));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->placed.size(), 2u);
  EXPECT_EQ(Read(repo_ / "kern78xx.14-2-1-0001-14.sbn"), img);
  ASSERT_EQ(r->skipped.size(), 1u);
  EXPECT_EQ(r->skipped[0].member, "cmterm-78xx/install.sh");
}

TEST_F(FirmwareImportTest, CopFileWithoutAGzipStreamIsBadInputNamingIt) {
  Write(root_ / "broken.cop.sgn", std::string(4096, 'x'));
  auto r = ImportDownload(Request(root_ / "broken.cop.sgn", DownloadKind::kCop));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kBadInput);
  EXPECT_NE(r.error().message.find("broken.cop.sgn"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("1f 8b 08"), std::string::npos) << r.error().message;
}

TEST_F(FirmwareImportTest, EscapingMembersRefuseTheWholeArchiveAndTouchNothing) {
  Write(repo_ / "good.bin", "the image already there");
  struct Case {
    std::string label;
    std::vector<FwMember> members;
    std::string bad;  // the member the message must name
  };
  const std::vector<Case> cases = {
      {"dotdot", {{"ok.bin", "fine"}, {"../good.bin", "overwritten"}}, "../good.bin"},
      {"nested", {{"ok.bin", "fine"}, {"a/../../x.bin", "escaped"}}, "a/../../x.bin"},
      {"absolute",
       {{"ok.bin", "fine"}, {"/tmp/stepup-evil.bin", "escaped"}},
       "/tmp/stepup-evil.bin"},
      {"backslash", {{"ok.bin", "fine"}, {"..\\good.bin", "overwritten"}}, "..\\good.bin"},
      {"symlink",
       {{"good.bin", "", FwMember::kSymlink, "/etc/passwd"}, {"ok.bin", "fine"}},
       "good.bin"},
      {"hardlink",
       {{"ok.bin", "fine"}, {"good.bin", "", FwMember::kHardlink, "/etc/passwd"}},
       "good.bin"},
  };
  for (const auto& c : cases) {
    for (bool zip : {false, true}) {
      if (zip && c.label == "hardlink") continue;  // zip has no hard links
      const fs::path file = root_ / (c.label + (zip ? ".zip" : ".tar.gz"));
      WriteArchive(file, zip, c.members);
      auto r = ImportDownload(Request(file, zip ? DownloadKind::kZip : DownloadKind::kTarGz));
      ASSERT_FALSE(r.ok()) << c.label << " " << zip;
      EXPECT_EQ(r.error().kind, ErrorKind::kBadInput);
      // libarchive's zip reader turns a '\\' in a member name into '/': either spelling.
      const std::string& msg = r.error().message;
      std::string alt = c.bad;
      std::replace(alt.begin(), alt.end(), '\\', '/');
      EXPECT_TRUE(msg.find("member \"" + c.bad + "\"") != std::string::npos ||
                  msg.find("member \"" + alt + "\"") != std::string::npos)
          << c.label << ": " << msg;
      EXPECT_NE(r.error().message.find(file.filename().string()), std::string::npos);
      EXPECT_EQ(RepoFiles(), std::vector<std::string>{"good.bin"}) << c.label;
      EXPECT_EQ(Read(repo_ / "good.bin"), "the image already there");
    }
  }
  EXPECT_FALSE(fs::exists("/tmp/stepup-evil.bin"));
}

TEST_F(FirmwareImportTest, ReplacesAFileOfAnyCaseInPlace) {
  Write(repo_ / "SPA50X-30X-7-5-5.BIN", "old");
  Write(root_ / "spa50x-30x-7-5-5.bin", "new image");
  auto r = ImportDownload(Request(root_ / "spa50x-30x-7-5-5.bin", DownloadKind::kImage));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->placed.size(), 1u);
  EXPECT_TRUE(r->placed[0].replaced);
  EXPECT_EQ(RepoFiles(), std::vector<std::string>{"SPA50X-30X-7-5-5.BIN"});
  EXPECT_EQ(Read(repo_ / "SPA50X-30X-7-5-5.BIN"), "new image");
}

TEST_F(FirmwareImportTest, AFileTheCatalogSizesOtherwiseIsNotPlaced) {
  Write(repo_ / "p003-8-12-00.sbn", std::string(130956, 'g'));
  Write(root_ / "src" / "P003-8-12-00.sbn", "truncated download");
  Write(root_ / "src" / "other.bin", "fine");
  Sh("zip -q ../dl.zip P003-8-12-00.sbn other.bin");
  std::unordered_map<std::string, FileCheck> checks{{"p003-8-12-00.sbn", {130956, "", "STAS"}}};
  ImportRequest req = Request(root_ / "dl.zip", DownloadKind::kZip);
  req.checks = &checks;
  auto r = ImportDownload(req);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->rejected.size(), 1u);
  EXPECT_NE(r->rejected[0].why.find("the catalog says 130956"), std::string::npos);
  EXPECT_EQ(Read(repo_ / "p003-8-12-00.sbn"), std::string(130956, 'g'));
  EXPECT_EQ(RepoFiles(), (std::vector<std::string>{"other.bin", "p003-8-12-00.sbn"}));
}

TEST_F(FirmwareImportTest, ACatalogBundleIsKeptWholeBesideItsImages) {
  Write(root_ / "src" / "SCCP70.8-5-2S.loads", "manifest");
  Sh("zip -q ../cmterm-7970_7971-sccp.8-5-2.zip SCCP70.8-5-2S.loads");
  ImportRequest req = Request(root_ / "cmterm-7970_7971-sccp.8-5-2.zip", DownloadKind::kZip);
  req.keep_archive = true;
  auto r = ImportDownload(req);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(RepoFiles(),
            (std::vector<std::string>{"SCCP70.8-5-2S.loads", "cmterm-7970_7971-sccp.8-5-2.zip"}));
  EXPECT_EQ(Read(repo_ / "cmterm-7970_7971-sccp.8-5-2.zip"),
            Read(root_ / "cmterm-7970_7971-sccp.8-5-2.zip"));
}

TEST_F(FirmwareImportTest, UnreadableOrEmptyArchivesAreBadInputNamingTheFile) {
  Write(root_ / "junk.zip", "this is not a zip file at all");
  auto junk = ImportDownload(Request(root_ / "junk.zip", DownloadKind::kZip));
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(junk.error().kind, ErrorKind::kBadInput);
  EXPECT_NE(junk.error().message.find("junk.zip"), std::string::npos) << junk.error().message;
  Write(root_ / "src" / "readme.txt", "nothing else");
  Sh("zip -q ../docs.zip readme.txt");
  auto docs = ImportDownload(Request(root_ / "docs.zip", DownloadKind::kZip));
  ASSERT_FALSE(docs.ok());
  EXPECT_NE(docs.error().message.find("holds no firmware image"), std::string::npos)
      << docs.error().message;
  auto missing = ImportDownload(Request(root_ / "nope.zip", DownloadKind::kZip));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("nope.zip"), std::string::npos);
  EXPECT_TRUE(!fs::exists(repo_) || RepoFiles().empty());
}

TEST_F(FirmwareImportTest, TwoMembersWithOneBaseNameAreRefused) {
  WriteArchive(root_ / "twice.tar.gz", false, {{"a/x.bin", "one"}, {"b/X.bin", "two"}});
  auto r = ImportDownload(Request(root_ / "twice.tar.gz", DownloadKind::kTarGz));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("\"a/x.bin\" and \"b/X.bin\""), std::string::npos)
      << r.error().message;
  EXPECT_TRUE(RepoFiles().empty());
}

}  // namespace
}  // namespace stepup
