// device/ssh: run shell commands on a device through the system's OpenSSH client.
//
// Why the ssh client and not a library: it is on every machine, it honours the user's
// ~/.ssh/config (ProxyJump, agents, host aliases), and host-key checking is the one users know.
// Every call is non-interactive (BatchMode: no password or host-key prompts), has a connect
// timeout and keep-alives (a device that stops answering is noticed within seconds), and an
// overall time limit. ssh's own failures (exit 255) become one line naming the device and the
// cause: connection refused, host key mismatch, authentication failed, timed out, unknown host.
// Thread-safe: an Ssh holds only its device's settings.
#pragma once

#include <string>

#include "device/registry.h"
#include "util/subprocess.h"

namespace paramscale::device {

// 'text' quoted for a POSIX shell (single quotes; embedded ' as '\'').
std::string shell_quote(const std::string& text);

class Ssh {
 public:
  explicit Ssh(Device device) : device_(std::move(device)) {}

  // Runs `command` with the device's login shell; `stdin_path` (if any) feeds its stdin.
  // An Error only when ssh itself could not run or could not reach the device (one line, see
  // above); the remote command's own exit status is in the ProcessResult.
  Result<ProcessResult> run(const std::string& command, double timeout_seconds,
                            const std::string& stdin_path = "") const;

  const Device& device() const { return device_; }

  // The one-line reason for an ssh failure (exit code 255), from ssh's stderr.
  std::string connection_problem(const ProcessResult& r) const;

 private:
  Device device_;
};

// "~/x" -> "$HOME/x" (for files the user names in device settings).
std::string expand_home(const std::string& path);

}  // namespace paramscale::device
