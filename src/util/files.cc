#include "util/files.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

namespace paramscale {

namespace {

std::string kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

Status check_mode(const std::string& path, const std::string& what, mode_t mode) {
  if (S_ISREG(mode)) return {};
  return bad_input(what + " " + path + " is " + kind_of(mode) + ", not a regular file");
}

// The PID in "NAME.tmp.PID.REST" (write_file_atomic's temp names), or 0.
pid_t temp_writer(const std::string& name) {
  const size_t at = name.rfind(".tmp.");
  if (at == std::string::npos || at == 0) return 0;
  size_t i = at + 5, digits = 0;
  long pid = 0;
  while (i < name.size() && name[i] >= '0' && name[i] <= '9' && digits < 9) {
    pid = pid * 10 + (name[i++] - '0');
    ++digits;
  }
  if (digits == 0 || i >= name.size() || name[i] != '.' || pid <= 0) return 0;
  return static_cast<pid_t>(pid);
}

// Is the process running? A zombie (killed, not yet reaped: a stage that died with its study) is
// not: its temp files are as stale as a vanished process's.
bool running(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;  // no /proc: trust kill()
  const size_t paren = line.rfind(')');
  return !(paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z');
}

}  // namespace

bool is_regular_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

Status require_regular_file(const std::string& path, const std::string& what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};  // missing: the reader's own message says so
  return check_mode(path, what, st.st_mode);
}

Result<int64_t> regular_file_size(const std::string& path, const std::string& what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return bad_input("cannot open " + what + " " + path + ": " + std::strerror(errno));
  if (Status s = check_mode(path, what, st.st_mode); !s.ok()) return s.error();
  return static_cast<int64_t>(st.st_size);
}

Result<std::string> read_regular_file(const std::string& path, const std::string& what,
                                      int64_t max_bytes, const std::string& cannot_open) {
  // O_NONBLOCK: opening a FIFO with no writer would otherwise block forever.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0 && !cannot_open.empty()) return bad_input(cannot_open);
  if (fd < 0) return bad_input("cannot open " + what + " " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return bad_input("cannot open " + what + " " + path + ": " + std::strerror(errno));
  }
  if (Status s = check_mode(path, what, st.st_mode); !s.ok()) {
    ::close(fd);
    return s.error();
  }
  if (st.st_size > max_bytes) {
    ::close(fd);
    return bad_input(what + " " + path + " is " + std::to_string(st.st_size) +
                     " bytes, more than the " + std::to_string(max_bytes) + " accepted");
  }
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = ::read(fd, &bytes[got], bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      return bad_input("cannot read " + what + " " + path + ": " + why);
    }
    if (n == 0) break;  // shrank while we read: what is there is what we parse
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  bytes.resize(got);
  return bytes;
}

int remove_stale_temp_files(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return 0;
  int removed = 0;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    const pid_t pid = temp_writer(name);
    if (pid == 0 || pid == ::getpid()) continue;
    if (running(pid)) continue;
    if (::unlink((dir + "/" + name).c_str()) == 0) ++removed;
  }
  ::closedir(d);
  return removed;
}

}  // namespace paramscale
