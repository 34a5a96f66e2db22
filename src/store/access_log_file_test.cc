#include "store/access_log_file.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
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

TEST(AccessLogFile, JsonLinesCarryEveryFieldOfTheTextLine) {
  auto http = nlohmann::json::parse(AccessLineToJson(
      "2026-12-04T10:00:00.123Z peer=127.0.0.1:5000 device=001122334455 method=GET "
      "path=/cfg/a%20b.xml status=200 bytes=1234 ms=0.250 conn_requests=2"));
  EXPECT_EQ(http["time"], "2026-12-04T10:00:00.123Z");
  EXPECT_EQ(http["peer"], "127.0.0.1:5000");
  EXPECT_EQ(http["device"], "001122334455");  // digits, but a MAC: kept a string
  EXPECT_EQ(http["path"], "/cfg/a%20b.xml");
  EXPECT_EQ(http["status"], 200);
  EXPECT_EQ(http["bytes"], 1234);
  EXPECT_DOUBLE_EQ(http["ms"].get<double>(), 0.25);
  EXPECT_EQ(http["conn_requests"], 2);
  auto tftp = nlohmann::json::parse(AccessLineToJson(
      "2026-12-04T10:00:00.123Z tftp peer=[::1]:69 device=- file=a.bin status=500 bytes=0 "
      "error=\"timed out \\\"late\\\"\""));
  EXPECT_EQ(tftp["transport"], "tftp");
  EXPECT_EQ(tftp["peer"], "[::1]:69");
  EXPECT_EQ(tftp["status"], 500);
  EXPECT_NE(tftp["error"].get<std::string>().find("timed out"), std::string::npos);
  // Written to the file as one JSON object a line.
  fs::path p = fs::temp_directory_path() / ("stepup-jsonlog-" + std::to_string(::getpid()));
  FILE* f = std::fopen(p.c_str(), "w");
  {
    AccessLogFile log(f, /*json=*/true);
    log.Write("2026-12-04T10:00:00.000Z peer=1.2.3.4:1 status=404");
  }
  std::fclose(f);
  EXPECT_EQ(Slurp(p), "{\"time\":\"2026-12-04T10:00:00.000Z\",\"peer\":\"1.2.3.4:1\",\"status\":404}\n");
  fs::remove(p);
}

}  // namespace
}  // namespace stepup
