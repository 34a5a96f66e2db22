#include "store/access_log_file.h"

#include <sched.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "store/background_priority.h"

namespace stepup {
namespace {
constexpr size_t kWakeBytes = 1 << 20;
constexpr size_t kWriteBytes = 64 << 10;  // bytes per write(2), a yield between
constexpr size_t kMaxBytes = 64u << 20;
}  // namespace

std::string AccessLineToJson(std::string_view line) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  size_t i = 0;
  bool first = true;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    if (i >= line.size()) break;
    size_t end = i;
    bool quoted = false;
    while (end < line.size() && (quoted || line[end] != ' ')) {
      if (line[end] == '"') quoted = !quoted;
      ++end;
    }
    std::string_view token = line.substr(i, end - i);
    i = end;
    const size_t eq = token.find('=');
    if (eq == std::string_view::npos) {
      j[first ? "time" : "transport"] = std::string(token);
      first = false;
      continue;
    }
    first = false;
    std::string key(token.substr(0, eq));
    std::string_view value = token.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      j[key] = std::string(value.substr(1, value.size() - 2));
    } else if ((key == "status" || key == "bytes" || key == "ms" || key == "conn_requests" ||
                key == "blksize" || key == "window") &&
               !value.empty() && value.size() < 19 &&
               std::all_of(value.begin(), value.end(),
                           [](char c) { return (c >= '0' && c <= '9') || c == '.'; }) &&
               std::count(value.begin(), value.end(), '.') <= 1 && value.front() != '.') {
      j[key] = value.find('.') == std::string_view::npos ? nlohmann::ordered_json(std::stoull(std::string(value)))
                                                          : nlohmann::ordered_json(std::stod(std::string(value)));
    } else {
      j[key] = std::string(value);
    }
  }
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

AccessLogFile::AccessLogFile(FILE* f, bool json)
    : f_(f), json_(json), thread_([this] { Loop(); }) {}

AccessLogFile::~AccessLogFile() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  Flush();
}

void AccessLogFile::Write(std::string_view text) {
  std::string converted;
  if (json_) converted = AccessLineToJson(text);
  const std::string_view line = json_ ? std::string_view(converted) : text;
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (buffer_.size() + line.size() + 1 > kMaxBytes) {
      ++dropped_;
      return;
    }
    buffer_.append(line);
    buffer_.push_back('\n');
    wake = buffer_.size() >= kWakeBytes && buffer_.size() - line.size() - 1 < kWakeBytes;
  }
  if (wake) cv_.notify_one();
}

void AccessLogFile::Flush() {
  std::lock_guard wlock(write_mu_);
  // The buffer handed back is the last one written, capacity kept: the threads answering
  // requests append into memory already there instead of regrowing (and copying) megabytes.
  std::string out = std::move(spare_);
  out.clear();
  uint64_t dropped = 0;
  {
    std::lock_guard lock(mu_);
    out.swap(buffer_);
    dropped = dropped_;
    dropped_ = 0;
  }
  // In pieces, yielding the core between them: one write of megabytes is a pause that the
  // requests waiting for this core sit behind (bench/http, p99).
  for (size_t at = 0; at < out.size(); at += kWriteBytes) {
    if (at > 0) sched_yield();
    const size_t n = std::min(kWriteBytes, out.size() - at);
    if (std::fwrite(out.data() + at, 1, n, f_) != n) {
      std::lock_guard again(mu_);  // the disk refused them: counted, said when it takes lines again
      dropped_ += static_cast<uint64_t>(std::count(out.begin() + at, out.end(), '\n'));
      spare_ = std::move(out);
      return;
    }
  }
  if (dropped)
    std::fprintf(
        f_,
        "stepup: %llu access-log lines dropped (the log fell behind or the disk refused them)\n",
        static_cast<unsigned long long>(dropped));
  std::fflush(f_);
  spare_ = std::move(out);
}

void AccessLogFile::Loop() {
  YieldToAnsweringThreads();
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(200),
                 [this] { return stop_ || buffer_.size() >= kWakeBytes; });
    lock.unlock();
    Flush();
    lock.lock();
  }
}

}  // namespace stepup
