#include "store/private_files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "store/inventory.h"

namespace stepup {
namespace {
namespace fs = std::filesystem;

mode_t Mode(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

class PrivateFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("stepup-private-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(PrivateFilesTest, ANewDataDirectoryAndInventoryAreReadableByTheirOwnerOnly) {
  const mode_t old = ::umask(022);  // the usual umask: would give 0755 and 0644
  std::vector<std::string> notes;
  ASSERT_TRUE(MakeDirPrivate((dir_ / "data").string(), notes).ok());
  auto inv = OpenInventory("sqlite:" + (dir_ / "data" / "stepup.db").string(), &notes);
  ::umask(old);
  ASSERT_TRUE(inv.ok()) << inv.error().message;
  Device d;
  d.mac = "58bfea1104e6";
  d.model = "SPA504G";
  d.settings = {{"sip_password", "secret"}};
  ASSERT_TRUE((*inv)->Add(d).ok());
  EXPECT_EQ(Mode(dir_ / "data"), 0700u);
  for (const char* f : {"stepup.db", "stepup.db-wal", "stepup.db-shm"}) {
    ASSERT_TRUE(fs::exists(dir_ / "data" / f)) << f;
    EXPECT_EQ(Mode(dir_ / "data" / f), 0600u) << f;
  }
  EXPECT_TRUE(notes.empty());
}

TEST_F(PrivateFilesTest, AWorldReadableInventoryIsMadePrivateAtStartWithANoteNamingIt) {
  fs::create_directories(dir_);
  const fs::path db = dir_ / "stepup.db";
  { ASSERT_TRUE(OpenInventory("sqlite:" + db.string()).ok()); }
  ::chmod(dir_.c_str(), 0755);
  ::chmod(db.c_str(), 0644);
  std::vector<std::string> notes;
  ASSERT_TRUE(MakeDirPrivate(dir_.string(), notes).ok());
  auto inv = OpenInventory("sqlite:" + db.string(), &notes);
  ASSERT_TRUE(inv.ok());
  EXPECT_EQ(Mode(dir_), 0700u);
  EXPECT_EQ(Mode(db), 0600u);
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_NE(notes[0].find(dir_.string()), std::string::npos) << notes[0];
  EXPECT_NE(notes[1].find(db.string()), std::string::npos) << notes[1];
  EXPECT_NE(notes[1].find("0644"), std::string::npos) << notes[1];
}

TEST_F(PrivateFilesTest, AFileThatCannotBeMadePrivateIsRefusedByName) {
  // A procfs file: readable by all, and no chmod changes that (not even root's).
  std::vector<std::string> notes;
  const std::string proc = "/proc/self/status";
  struct stat st {};
  ASSERT_EQ(::stat(proc.c_str(), &st), 0);
  if ((st.st_mode & 077) == 0) GTEST_SKIP() << proc << " is private here";
  auto s = MakeFilesPrivate({proc}, notes);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find(proc), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("cannot be made private"), std::string::npos);
}

}  // namespace
}  // namespace stepup
