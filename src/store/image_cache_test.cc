#include "store/image_cache.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace stepup {
namespace {
namespace fs = std::filesystem;

class ImageCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("stepup-images-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Put(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ / name, std::ios::binary | std::ios::trunc) << bytes;
    return (dir_ / name).string();
  }
  fs::path dir_;
};

TEST_F(ImageCacheTest, HoldsOneCopyAndRereadsAReplacedFileWhileOldReadersKeepTheirs) {
  ImageCache cache(4096);
  const std::string path = Put("a.bin", std::string(100, 'a'));
  auto first = cache.Get(path);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(*first, std::string(100, 'a'));
  EXPECT_EQ(cache.Get(path).get(), first.get());  // the same copy
  Put("a.bin", std::string(120, 'b'));            // replaced in place (another size)
  auto second = cache.Get(path);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(*second, std::string(120, 'b'));
  EXPECT_EQ(*first, std::string(100, 'a'));  // a transfer under way keeps its snapshot
  EXPECT_EQ(cache.Get((dir_ / "missing.bin").string()), nullptr);
  EXPECT_EQ(cache.Get(dir_.string()), nullptr);  // not a regular file
}

TEST_F(ImageCacheTest, StaysWithinItsBudgetEvictingOnlyWhatNoTransferUses) {
  ImageCache cache(4000);
  EXPECT_EQ(cache.Get(Put("big.bin", std::string(1001, 'x'))), nullptr);  // > budget/4
  auto kept = cache.Get(Put("0.bin", std::string(1000, '0')));
  for (int i = 1; i < 8; ++i) {
    ASSERT_NE(cache.Get(Put(std::to_string(i) + ".bin", std::string(1000, 'y'))), nullptr);
    EXPECT_LE(cache.held_bytes(), 4000u);
  }
  EXPECT_EQ(cache.Get((dir_ / "0.bin").string()).get(), kept.get());  // in use: never evicted
}

}  // namespace
}  // namespace stepup
