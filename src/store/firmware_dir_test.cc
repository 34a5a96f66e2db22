#include "store/firmware_dir.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace stepup {
namespace {
namespace fs = std::filesystem;

class FirmwareDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("stepup-fwdir-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "fw" / "sub");
    fs::create_directories(root_ / "outside");
  }
  void TearDown() override { fs::remove_all(root_); }
  void Touch(const fs::path& p, const std::string& text = "x") { std::ofstream(p) << text; }
  fs::path root_;
};

TEST_F(FirmwareDirTest, ListsRegularFilesLowerCasedAndIgnoresEscapingSymlinks) {
  Touch(root_ / "fw" / "SCCP70.8-5-2S.loads");
  Touch(root_ / "fw" / "spa50x-30x-7-5-2b.bin");
  Touch(root_ / "fw" / "sub" / "hidden.bin");
  Touch(root_ / "outside" / "secret.bin");
  fs::create_symlink(root_ / "outside" / "secret.bin", root_ / "fw" / "secret.bin");
  fs::create_symlink(root_ / "fw" / "spa50x-30x-7-5-2b.bin", root_ / "fw" / "alias.bin");
  fs::create_symlink(root_ / "fw" / "nowhere", root_ / "fw" / "dangling.bin");
  auto names = ListFirmwareNames((root_ / "fw").string());
  ASSERT_TRUE(names.ok()) << names.error().message;
  EXPECT_TRUE(names->count("sccp70.8-5-2s.loads"));
  EXPECT_TRUE(names->count("spa50x-30x-7-5-2b.bin"));
  EXPECT_TRUE(names->count("alias.bin"));    // a link that stays inside is fine
  EXPECT_FALSE(names->count("secret.bin"));  // a link out of the directory is not
  EXPECT_FALSE(names->count("dangling.bin"));
  EXPECT_FALSE(names->count("sub"));
  EXPECT_FALSE(names->count("hidden.bin"));
}

TEST_F(FirmwareDirTest, MissingDirectoryIsBadInputNamingIt) {
  auto names = ListFirmwareNames((root_ / "nope").string());
  ASSERT_FALSE(names.ok());
  EXPECT_NE(names.error().message.find("nope"), std::string::npos);
}

TEST_F(FirmwareDirTest, ReadsACatalogFileOrDirectoryInNameOrder) {
  Touch(root_ / "b.toml", "# b");
  Touch(root_ / "a.toml", "# a");
  Touch(root_ / "readme.md", "not toml");
  auto dir = ReadCatalogPath(root_.string());
  ASSERT_TRUE(dir.ok());
  ASSERT_EQ(dir->size(), 2u);
  EXPECT_EQ((*dir)[0].text, "# a");
  EXPECT_EQ((*dir)[1].text, "# b");
  auto one = ReadCatalogPath((root_ / "b.toml").string());
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->size(), 1u);
  EXPECT_FALSE(ReadCatalogPath((root_ / "missing.toml").string()).ok());
}

TEST_F(FirmwareDirTest, ReadsTheImageListOfALoadsManifest) {
  // The text part of a real manifest (79xx-enterprise.md section 3.3), after a binary header.
  std::string manifest("\x01\x00\x9f", 3);
  for (const char* line : {"CN=signer;OU=x\n", "SCCP70.9-4-2SR3-1S.loads\r\n",
                           "# This file contains a list of archive image files that will be\n",
                           "# RELEASE load version 9-4-2ES26\n", "jar70sccp.9-4-2ES26.sbn\n",
                           "cnu70.9-4-2ES26.sbn\r\n", "#HARDWARE_COMP_1 5\n",
                           "image: dsp70.9-4-2ES26.sbn\n",  // stepup's fake manifests
                           "../../etc/passwd.sbn\n"}) {
    manifest += line;
  }
  Touch(root_ / "fw" / "m.loads", manifest);
  EXPECT_EQ(ManifestImages((root_ / "fw" / "m.loads").string()),
            (std::vector<std::string>{"jar70sccp.9-4-2es26.sbn", "cnu70.9-4-2es26.sbn",
                                      "dsp70.9-4-2es26.sbn"}));
  EXPECT_TRUE(ManifestImages((root_ / "fw" / "absent.loads").string()).empty());
}

// Issue 14: a manifest without its images does not make its load available.
TEST_F(FirmwareDirTest, AManifestCountsOnlyWithEveryImageItLists) {
  Touch(root_ / "fw" / "SCCP70.9-4-2SR3-1S.loads",
        "SCCP70.9-4-2SR3-1S.loads\njar70sccp.9-4-2ES26.sbn\ncnu70.9-4-2ES26.sbn\n");
  Touch(root_ / "fw" / "jar70sccp.9-4-2ES26.sbn", "x");
  auto names = ListFirmwareNames((root_ / "fw").string());
  ASSERT_TRUE(names.ok());
  EXPECT_FALSE(names->count("sccp70.9-4-2sr3-1s.loads"));
  EXPECT_TRUE(names->count("jar70sccp.9-4-2es26.sbn"));
  Touch(root_ / "fw" / "cnu70.9-4-2ES26.sbn", "x");
  names = ListFirmwareNames((root_ / "fw").string());
  ASSERT_TRUE(names.ok());
  EXPECT_TRUE(names->count("sccp70.9-4-2sr3-1s.loads"));
}

}  // namespace
}  // namespace stepup

namespace stepup {
namespace {

// catalog/README.md, availability: a file is on hand only with the size and sha256 the
// catalog records; a manifest listing a refused image is not on hand either.
TEST_F(FirmwareDirTest, RefusesFilesOfTheWrongSizeOrHashAndSaysWhy) {
  const std::string abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  Touch(root_ / "fw" / "good.sbn", "abc");
  Touch(root_ / "fw" / "short.sbn", "ab");
  Touch(root_ / "fw" / "forged.sbn", "abd");
  Touch(root_ / "fw" / "free.bin", "anything");
  Touch(root_ / "fw" / "X.loads", "X.loads\nforged.sbn\n");
  std::unordered_map<std::string, FileCheck> checks = {
      {"good.sbn", {3, abc, "test/good"}},
      {"short.sbn", {3, "", "test/short"}},
      {"forged.sbn", {3, abc, "test/forged"}},
  };
  struct Row {
    std::string file;
    bool listed;
    std::string why;  // part of the refusal, "" when listed
  };
  const std::vector<Row> rows = {
      {"good.sbn", true, ""},
      {"short.sbn", false, "is 2 bytes, the catalog says 3 (test/short)"},
      {"forged.sbn", false, "has sha256 "},
      {"free.bin", true, ""},
      {"x.loads", false, ""},  // lists forged.sbn
  };
  for (int pass = 0; pass < 2; ++pass) {  // the second scan reuses the cached hashes
    std::vector<RejectedFile> rejected;
    auto names = ListFirmwareNames((root_ / "fw").string(), checks, &rejected);
    ASSERT_TRUE(names.ok()) << names.error().message;
    for (const auto& r : rows) {
      EXPECT_EQ(names->count(r.file) > 0, r.listed) << r.file;
      if (r.why.empty()) continue;
      bool found = false;
      for (const auto& x : rejected) {
        found = found || (x.name == r.file && x.why.find(r.why) != std::string::npos);
      }
      EXPECT_TRUE(found) << r.file;
    }
    EXPECT_EQ(rejected.size(), 2u);
  }
  // Rewritten with the same size: the cache is keyed on mtime too, so the hash is taken again.
  fs::last_write_time(root_ / "fw" / "good.sbn",
                      fs::last_write_time(root_ / "fw" / "good.sbn") + std::chrono::seconds(5));
  Touch(root_ / "fw" / "good.sbn", "abz");
  fs::last_write_time(root_ / "fw" / "good.sbn",
                      fs::file_time_type::clock::now() + std::chrono::seconds(10));
  auto again = ListFirmwareNames((root_ / "fw").string(), checks, nullptr);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->count("good.sbn"));
  EXPECT_EQ(FileSha256((root_ / "fw" / "free.bin").string()).size(), 64u);
}

}  // namespace
}  // namespace stepup
