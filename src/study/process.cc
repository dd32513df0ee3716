#include "study/process.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "util/subprocess.h"

namespace paramscale::study {

int run_process(const std::vector<std::string>& argv, const std::string& log_path,
                const std::string& stdout_path) {
  ProcessSpec spec;
  spec.argv = argv;
  spec.stdout_path = stdout_path.empty() ? log_path : stdout_path;
  spec.stderr_path = log_path;
  spec.die_with_parent = true;  // a killed study leaves no orphan writing into its directory
  const Result<ProcessResult> r = paramscale::run_process(spec);
  if (!r.ok()) return -1;
  return r->signal ? 128 + r->signal : r->exit_code;
}

FileLock::FileLock(const std::string& path, bool wait, bool shared) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) return;
  while (flock(fd_, (shared ? LOCK_SH : LOCK_EX) | (wait ? 0 : LOCK_NB)) != 0) {
    if (errno == EINTR) continue;
    return;
  }
  held_ = true;
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace paramscale::study
