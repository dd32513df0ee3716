// study/process: run a child process (another paramscale stage) and wait for it, through
// util/subprocess (the one spawner).
//
// Output goes to a log file, never to the study's terminal. Children die with the study (Linux
// PR_SET_PDEATHSIG), so a killed study leaves no orphan writing into its directory; every stage
// writes its outputs atomically, so the resumed study finds either nothing or a whole file.
#pragma once

#include <string>
#include <vector>

namespace paramscale::study {

// Returns the child's exit code, 128+signal if it was killed, or -1 if it could not start.
// stdout_path, when given, receives the child's stdout (stderr still goes to the log).
int run_process(const std::vector<std::string>& argv, const std::string& log_path,
                const std::string& stdout_path = "");

// An advisory lock on a file (flock), released by the destructor or the process's death:
// exclusive, or shared (many holders, no exclusive one). Separate FileLocks conflict even within
// one process (each opens the file itself), so threads can use them too.
class FileLock {
 public:
  FileLock(const std::string& path, bool wait, bool shared = false);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  bool held() const { return held_; }

 private:
  int fd_ = -1;
  bool held_ = false;
};

}  // namespace paramscale::study
