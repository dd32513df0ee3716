#include "runtime/child.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <vector>

extern char** environ;

namespace paramscale::runtime {

namespace {

std::string last_line(const std::string& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  return last.empty() ? "" : " (child stderr: " + last + ")";
}

bool write_all(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// What a finished child (wait status `status`, `out` read from its result pipe, `tail` its last
// stderr line) measured, or why it failed.
Result<nlohmann::json> child_result(int status, const std::string& out, const std::string& tail,
                                    const std::string& executable) {
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    return failure("measurement process crashed with signal " + std::to_string(sig) + " (" +
                   strsignal(sig) + ")" + tail);
  }
  nlohmann::json rec = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
  if (rec.is_discarded() || !rec.is_object()) {
    // 127 with nothing written: the exec itself failed after the spawn returned, which is what
    // qemu-user does (it emulates the spawn's vfork as a fork; the host kernel cannot exec the
    // guest binary).
    const std::string hint =
        WEXITSTATUS(status) == 127 && out.empty() && tail.empty()
            ? " (it could not execute '" + executable +
                  "'; under an emulator such as qemu-user, use bench --in-process)"
            : "";
    return failure("measurement process exited with status " + std::to_string(WEXITSTATUS(status)) +
                   " without a result" + hint + tail);
  }
  if (rec.contains("error")) {
    const auto& e = rec["error"];
    return Error{e.value("message", std::string("unknown error")), e.value("exit_code", 1)};
  }
  return rec;
}

}  // namespace

Result<nlohmann::json> measure_in_child(const MeasureRequest& request,
                                        const std::string& executable, double timeout_seconds) {
  int fds[2];
  if (pipe(fds) != 0) return failure(std::string("cannot create a pipe: ") + std::strerror(errno));
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);  // the read end stays with the parent
  char err_path[] = "/tmp/paramscale-child-stderr-XXXXXX";
  const int err_fd = mkstemp(err_path);
  if (err_fd < 0) {
    close(fds[0]);
    close(fds[1]);
    return failure("cannot create a temporary file for the child's stderr");
  }
  fcntl(err_fd, F_SETFD, FD_CLOEXEC);  // dup2 onto fd 2 gives the child its own copy
  const std::string request_text = request_to_json(request).dump();
  const std::string fd_text = std::to_string(fds[1]);
  std::vector<std::string> args = {executable,   kChildCommand, "--request",
                                   request_text, "--result-fd", fd_text};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, executable.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  close(err_fd);
  if (rc != 0) {
    close(fds[0]);
    std::remove(err_path);
    return failure("cannot start '" + executable + "': " + std::strerror(rc));
  }
  std::string out;
  char buf[1 << 16];
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds * 1000));
  bool timed_out = false;
  for (;;) {
    if (timeout_seconds > 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                            deadline - std::chrono::steady_clock::now())
                            .count();
      pollfd p{fds[0], POLLIN, 0};
      const int ready =
          left > 0 ? poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1 << 30))) : 0;
      if (ready < 0 && errno == EINTR) continue;
      if (ready == 0) {
        timed_out = true;
        kill(pid, SIGKILL);
        break;
      }
    }
    const ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const std::string tail = last_line(err_path);
  std::remove(err_path);
  if (timed_out) {
    char limit[32];
    std::snprintf(limit, sizeof limit, "%g", timeout_seconds);
    return failure(std::string("measurement did not finish within ") + limit +
                   " s and was killed (raise --timeout)" + tail);
  }
  return child_result(status, out, tail, executable);
}

int child_main(const std::string& request_json, int result_fd) {
  signal(SIGPIPE, SIG_IGN);
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // die with the bench that started us
  nlohmann::json rec;
  int code = 0;
  const nlohmann::json j = nlohmann::json::parse(request_json, nullptr, false);
  auto request = j.is_discarded()
                     ? Result<MeasureRequest>(bad_input("measurement request is not JSON"))
                     : request_from_json(j);
  if (!request.ok()) {
    rec = {{"error", {{"message", request.error().message}, {"exit_code", 2}}}};
    code = 2;
  } else {
    auto r = measure(*request);
    rec = r.ok() ? std::move(r).value() : error_record(*request, r.error());
    code = r.ok() ? 0 : r.error().exit_code;
  }
  if (!write_all(result_fd, rec.dump())) return 1;
  close(result_fd);
  return code;
}

}  // namespace paramscale::runtime
