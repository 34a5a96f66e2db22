#include "store/image_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace stepup {
namespace {

int64_t MtimeNs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

}  // namespace

std::shared_ptr<const std::string> ImageCache::Get(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return nullptr;
  if (static_cast<uint64_t>(st.st_size) > budget_ / 4) return nullptr;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(path);
    if (it != entries_.end() && it->second.ino == st.st_ino && it->second.size == st.st_size &&
        it->second.mtime_ns == MtimeNs(st)) {
      lru_.splice(lru_.begin(), lru_, it->second.lru);
      return it->second.data;
    }
  }
  // Read outside the lock; the size read is the one kept (the file may change meanwhile: the
  // stat taken after reading is what the entry is checked against next time).
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  auto data = std::make_shared<std::string>();
  data->resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < data->size()) {
    ssize_t n = ::read(fd, data->data() + got, data->size() - got);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  struct stat after {};
  const bool stable = ::fstat(fd, &after) == 0 && after.st_size == st.st_size &&
                      MtimeNs(after) == MtimeNs(st) && got == data->size();
  ::close(fd);
  if (!stable) return nullptr;  // changing under us: let the caller read it from disk
  std::shared_ptr<const std::string> out = std::move(data);
  std::lock_guard lock(mu_);
  if (auto it = entries_.find(path); it != entries_.end()) {
    held_ -= it->second.data->size();
    lru_.erase(it->second.lru);
    entries_.erase(it);
  }
  lru_.push_front(path);
  entries_[path] = Entry{st.st_ino, st.st_size, MtimeNs(st), out, lru_.begin()};
  held_ += out->size();
  EvictOver();
  return out;
}

void ImageCache::EvictOver() {
  for (auto it = lru_.end(); held_ > budget_ && it != lru_.begin();) {
    --it;
    auto e = entries_.find(*it);
    if (e->second.data.use_count() > 1) continue;  // a transfer still reads it
    held_ -= e->second.data->size();
    entries_.erase(e);
    it = lru_.erase(it);
  }
}

uint64_t ImageCache::held_bytes() const {
  std::lock_guard lock(mu_);
  return held_;
}

}  // namespace stepup
