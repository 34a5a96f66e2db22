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
