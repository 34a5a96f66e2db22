#include "store/private_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace stepup {
namespace {

std::string Octal(mode_t m) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(m & 07777));
  return buf;
}

// Removes group and other permissions from an existing path; notes what changed.
Status Restrict(const std::string& path, mode_t want, std::vector<std::string>& notes) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Ok{};
    return IoError("\"" + path + "\": " + std::strerror(errno));
  }
  if ((st.st_mode & 077) == 0) return Ok{};
  if (::chmod(path.c_str(), want) != 0) {
    return IoError("\"" + path + "\" holds device secrets and is readable by others (mode " +
                   Octal(st.st_mode) + "), and it cannot be made private: " +
                   std::strerror(errno) + "; make it " + Octal(want) + " (chmod " + Octal(want) +
                   ") and start again");
  }
  notes.push_back("\"" + path + "\" holds device secrets and was readable by others (mode " +
                  Octal(st.st_mode) + "): made " + Octal(want));
  return Ok{};
}

}  // namespace

Status MakeDirPrivate(const std::string& dir, std::vector<std::string>& notes) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return IoError("--data \"" + dir + "\": " + ec.message());
    if (::chmod(dir.c_str(), 0700) != 0)
      return IoError("\"" + dir + "\": " + std::string(std::strerror(errno)));
    return Ok{};
  }
  // A file where the directory should be is not made private (0700 would make it executable).
  if (!std::filesystem::is_directory(dir, ec))
    return IoError("--data \"" + dir + "\": " + std::strerror(ENOTDIR));
  return Restrict(dir, 0700, notes);
}

Status MakeFilesPrivate(const std::vector<std::string>& files, std::vector<std::string>& notes) {
  for (const auto& f : files) {
    if (auto s = Restrict(f, 0600, notes); !s) return s;
  }
  return Ok{};
}

Status CreatePrivateFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return Ok{};
    return IoError("\"" + path + "\": " + std::strerror(errno));
  }
  ::close(fd);
  return Ok{};
}

}  // namespace stepup
