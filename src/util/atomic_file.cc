#include "util/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace paramscale {

Status write_file_atomic(const std::string& path, const std::string& bytes) {
  if (path.empty()) return bad_input("output path is empty");
  // rename() replaces whatever is at `path`: a device node, a FIFO or a symlink would be swapped
  // for a regular file (as root, /dev/full would be gone). Only a regular file may be replaced.
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    return bad_input("cannot write " + path + ": it exists and is not a regular file (" +
                     (S_ISDIR(st.st_mode)    ? "a directory"
                      : S_ISLNK(st.st_mode)  ? "a symbolic link"
                      : S_ISFIFO(st.st_mode) ? "a FIFO"
                                             : "a device or socket") +
                     "); refusing to replace it");
  static std::atomic<unsigned> serial{0};
  const std::string tmp =
      path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(serial++);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return bad_input("cannot write " + path + ": " + std::strerror(errno));
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      ::unlink(tmp.c_str());
      return failure("cannot write " + path + " (disk full?)");
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 && errno != EINVAL) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return failure("cannot write " + path + " (disk full?)");
  }
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return failure("cannot write " + path + " (disk full?)");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    return bad_input("cannot write " + path + ": " + why);
  }
  return {};
}

}  // namespace paramscale
