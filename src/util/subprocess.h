// util/subprocess: run another program and wait for it — the one process spawner of paramscale.
//
// Used for study stages, measurement children and ssh to devices. What it promises:
// - The child's stdin, stdout and stderr go where the spec says (a file, /dev/null, or captured
//   into memory, up to a cap); an extra pipe can be handed to the child on `result_fd` and read
//   back whole (a measurement child writes its record there, away from runtime log noise).
// - With `timeout_seconds` > 0 a child still running after that long is killed (SIGKILL) and the
//   result says so; the parent never hangs on a child that stopped reading or writing.
// - With `die_with_parent`, the child is killed when this process dies (Linux PR_SET_PDEATHSIG),
//   so a killed study or bench leaves no orphan behind.
// - Only a failure to start (missing executable, no pipes/fds) is an Error; whatever the child
//   does (exit code, signal, garbage output) is reported in ProcessResult. Safe to call from
//   several threads at once (fork + exec with only async-signal-safe calls in between).
#pragma once

#include <string>
#include <vector>

#include "util/result.h"

namespace paramscale {

struct ProcessSpec {
  std::vector<std::string> argv;  // argv[0] is searched in PATH when it has no '/'
  std::string stdin_path;         // empty: /dev/null
  // stdout / stderr: empty = capture into ProcessResult (up to max_capture bytes, the rest is
  // read and dropped), "/dev/null" = discard, any other path = append to that file.
  std::string stdout_path;
  std::string stderr_path;
  bool stderr_to_stdout = false;  // both streams to stdout's destination (one log file)
  int result_fd = -1;             // >= 3: a pipe on this fd in the child, read into `result`
  double timeout_seconds = 0;     // 0: no limit
  bool die_with_parent = true;
  size_t max_capture = size_t(64) << 20;
};

struct ProcessResult {
  int exit_code = -1;      // the child's exit code when it exited
  int signal = 0;          // the signal that killed it, else 0
  bool timed_out = false;  // killed by us after timeout_seconds
  std::string out, err, result;

  bool success() const { return signal == 0 && !timed_out && exit_code == 0; }
  // "exit code 3", "killed by signal 9 (Killed)", "killed after the 5 s time limit"
  std::string describe() const;
  // The last non-blank line of `err` (what a failing tool says last), or "".
  std::string last_err_line() const;
};

Result<ProcessResult> run_process(const ProcessSpec& spec);

// The running executable (/proc/self/exe), or "" when it cannot be read.
std::string self_executable();
// `name` in the running executable's directory ("" when /proc/self/exe cannot be read).
std::string beside_self_executable(const std::string& name);

}  // namespace paramscale
