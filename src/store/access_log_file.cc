#include "store/access_log_file.h"

#include <sched.h>

#include <algorithm>
#include <chrono>

#include "store/background_priority.h"

namespace stepup {
namespace {
constexpr size_t kWakeBytes = 1 << 20;
constexpr size_t kWriteBytes = 64 << 10;  // bytes per write(2), a yield between
constexpr size_t kMaxBytes = 64u << 20;
}  // namespace

AccessLogFile::AccessLogFile(FILE* f) : f_(f), thread_([this] { Loop(); }) {}

AccessLogFile::~AccessLogFile() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  Flush();
}

void AccessLogFile::Write(std::string_view line) {
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
