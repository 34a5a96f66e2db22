// The access log's file: lines are appended to a buffer in memory and written by a thread of
// its own every 200 ms (or sooner when 1 MiB has gathered), so the threads answering requests
// never wait on the disk. Lines the disk refuses, or that would make more than 64 MiB wait,
// are dropped and counted; the count is written once the disk takes lines again.
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace stepup {

// An access log line (`TIME [tftp] key=value ...`, values percent-escaped or "quoted") as one
// JSON object: {"time": TIME, "transport": "tftp", "key": value, ...}; status, bytes, ms,
// conn_requests, blksize and window as numbers.
std::string AccessLineToJson(std::string_view line);

class AccessLogFile {
 public:
  // Writes to `f` (not owned; stdout is fine); with `json`, each line as a JSON object
  // (AccessLineToJson).
  explicit AccessLogFile(FILE* f, bool json = false);
  ~AccessLogFile();  // writes what is buffered
  AccessLogFile(const AccessLogFile&) = delete;
  AccessLogFile& operator=(const AccessLogFile&) = delete;

  void Write(std::string_view line);
  // Writes what is buffered now.
  void Flush();

 private:
  void Loop();

  FILE* f_;
  const bool json_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string buffer_;
  uint64_t dropped_ = 0;
  bool stop_ = false;
  std::mutex write_mu_;  // one writer of f_ at a time; guards spare_
  std::string spare_;    // the buffer last written, reused for the next lines
  std::thread thread_;
};

}  // namespace stepup
