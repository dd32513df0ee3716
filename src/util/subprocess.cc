#include "util/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

namespace paramscale {

namespace {

using Clock = std::chrono::steady_clock;

struct Pipe {
  int read = -1, write = -1;
  std::string* sink = nullptr;
};

bool open_pipe(Pipe& p, std::string* sink) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return false;
  p = {fds[0], fds[1], sink};
  return true;
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// In the child, between fork and exec: only async-signal-safe calls.
[[noreturn]] void exec_child(const ProcessSpec& spec, char* const* argv, pid_t parent,
                             const Pipe& out, const Pipe& err, const Pipe& result) {
  if (spec.die_with_parent) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the parent died before prctl took effect
  }
  auto redirect = [](const char* path, int flags, int target) {
    const int fd = ::open(path, flags, 0644);
    if (fd < 0 || dup2(fd, target) < 0) _exit(126);
    if (fd != target) ::close(fd);
  };
  redirect(spec.stdin_path.empty() ? "/dev/null" : spec.stdin_path.c_str(), O_RDONLY, 0);
  const int append = O_WRONLY | O_CREAT | O_APPEND;
  if (out.write >= 0) {
    if (dup2(out.write, 1) < 0) _exit(126);
  } else {
    redirect(spec.stdout_path.c_str(), append, 1);
  }
  if (spec.stderr_to_stdout) {
    if (dup2(1, 2) < 0) _exit(126);
  } else if (err.write >= 0) {
    if (dup2(err.write, 2) < 0) _exit(126);
  } else {
    redirect(spec.stderr_path.c_str(), append, 2);
  }
  if (result.write >= 0 && dup2(result.write, spec.result_fd) < 0) _exit(126);
  if (std::strchr(argv[0], '/'))
    execv(argv[0], argv);
  else
    execvp(argv[0], argv);
  _exit(127);
}

// Reads every open pipe until all are closed or the deadline passes; false on timeout.
bool drain(std::vector<Pipe*> pipes, size_t cap, bool has_deadline, Clock::time_point deadline) {
  char buf[1 << 16];
  for (;;) {
    std::vector<pollfd> fds;
    for (Pipe* p : pipes)
      if (p->read >= 0) fds.push_back({p->read, POLLIN, 0});
    if (fds.empty()) return true;
    int wait_ms = -1;
    if (has_deadline) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return false;
      wait_ms = static_cast<int>(std::min<int64_t>(left, 1 << 30));
    }
    const int ready = poll(fds.data(), fds.size(), wait_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return ready < 0;  // poll error: give up reading; 0: timeout
    for (const pollfd& f : fds) {
      if (!(f.revents & (POLLIN | POLLHUP | POLLERR))) continue;
      for (Pipe* p : pipes) {
        if (p->read != f.fd) continue;
        const ssize_t n = ::read(p->read, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          close_fd(p->read);
        } else if (p->sink->size() < cap) {
          p->sink->append(buf, std::min(static_cast<size_t>(n), cap - p->sink->size()));
        }
      }
    }
  }
}

}  // namespace

Result<ProcessResult> run_process(const ProcessSpec& spec) {
  if (spec.argv.empty() || spec.argv[0].empty()) return failure("run_process: no program given");
  if (spec.result_fd >= 0 && spec.result_fd < 3)
    return failure("run_process: result_fd must be 3 or more");
  ProcessResult r;
  Pipe out, err, result;
  bool ok = true;
  if (spec.stdout_path.empty()) ok = ok && open_pipe(out, &r.out);
  if (spec.stderr_path.empty() && !spec.stderr_to_stdout) ok = ok && open_pipe(err, &r.err);
  if (spec.result_fd >= 0) ok = ok && open_pipe(result, &r.result);
  std::vector<std::string> args = spec.argv;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = ok ? fork() : -1;
  if (pid == 0) exec_child(spec, argv.data(), parent, out, err, result);
  const int saved = errno;
  for (Pipe* p : {&out, &err, &result}) close_fd(p->write);
  if (pid < 0) {
    for (Pipe* p : {&out, &err, &result}) close_fd(p->read);
    return failure("cannot start '" + spec.argv[0] + "': " + std::strerror(saved));
  }
  const bool has_deadline = spec.timeout_seconds > 0;
  const auto deadline = Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(
                                           (has_deadline ? spec.timeout_seconds : 0) * 1000));
  bool in_time = drain({&out, &err, &result}, spec.max_capture, has_deadline, deadline);
  for (Pipe* p : {&out, &err, &result}) close_fd(p->read);
  int status = 0;
  auto wait_blocking = [&] {
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  };
  for (;;) {  // pipes closed (or deadline passed): reap, killing at the deadline
    const pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return failure("waitpid failed: " + std::string(std::strerror(errno)));
    if (!in_time || (has_deadline && Clock::now() >= deadline)) {
      kill(pid, SIGKILL);
      r.timed_out = true;
      wait_blocking();
      break;
    }
    if (!has_deadline) {
      wait_blocking();
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  if (r.timed_out) r.signal = 0;
  return r;
}

std::string ProcessResult::describe() const {
  if (timed_out) return "killed after the time limit";
  if (signal != 0)
    return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
  return "exit code " + std::to_string(exit_code);
}

std::string ProcessResult::last_err_line() const {
  size_t end = err.size();
  while (end > 0) {
    const size_t start = err.rfind('\n', end - 1);
    const size_t from = start == std::string::npos ? 0 : start + 1;
    std::string line = err.substr(from, end - from);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.find_first_not_of(" \t") != std::string::npos) return line;
    if (start == std::string::npos) break;
    end = start;
  }
  return "";
}

std::string self_executable() {
  std::vector<char> buf(4096);
  const ssize_t n = readlink("/proc/self/exe", buf.data(), buf.size() - 1);
  return n > 0 ? std::string(buf.data(), static_cast<size_t>(n)) : std::string();
}

std::string beside_self_executable(const std::string& name) {
  const std::string self = self_executable();
  return self.empty() ? std::string() : self.substr(0, self.rfind('/') + 1) + name;
}

}  // namespace paramscale
