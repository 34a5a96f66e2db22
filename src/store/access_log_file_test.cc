#include "store/access_log_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace stepup {
namespace {
namespace fs = std::filesystem;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(AccessLogFile, KeepsEveryLineOfEveryThreadInOrderAndWritesOnFlush) {
  fs::path p = fs::temp_directory_path() / ("stepup-log-" + std::to_string(::getpid()));
  FILE* f = std::fopen(p.c_str(), "w");
  ASSERT_NE(f, nullptr);
  {
    AccessLogFile log(f);
    log.Write("first");
    log.Flush();
    EXPECT_EQ(Slurp(p), "first\n");  // Flush writes at once, without waiting for the thread
    std::vector<std::thread> writers;
    for (int t = 0; t < 2; ++t) {
      writers.emplace_back([&log, t] {
        for (int i = 0; i < 20000; ++i)
          log.Write("t" + std::to_string(t) + " " + std::to_string(i));
      });
    }
    for (auto& w : writers) w.join();
  }  // the destructor writes the rest
  std::fclose(f);
  std::istringstream in(Slurp(p));
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "first");
  int next[2] = {0, 0};
  while (std::getline(in, line)) {
    const int t = line[1] - '0';
    ASSERT_TRUE(t == 0 || t == 1) << line;
    EXPECT_EQ(line, "t" + std::to_string(t) + " " + std::to_string(next[t]));
    ++next[t];
  }
  EXPECT_EQ(next[0], 20000);
  EXPECT_EQ(next[1], 20000);
  fs::remove(p);
}

}  // namespace
}  // namespace stepup
