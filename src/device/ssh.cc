#include "device/ssh.h"

#include <cstdlib>

namespace paramscale::device {

namespace {

bool contains(const std::string& text, const char* what) {
  return text.find(what) != std::string::npos;
}

}  // namespace

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string expand_home(const std::string& path) {
  if (path.rfind("~/", 0) != 0) return path;
  const char* home = std::getenv("HOME");
  return (home ? std::string(home) : std::string()) + path.substr(1);
}

Result<ProcessResult> Ssh::run(const std::string& command, double timeout_seconds,
                               const std::string& stdin_path) const {
  const Device& d = device_;
  const int connect = static_cast<int>(d.connect_timeout + 0.5);
  std::vector<std::string> argv = {"ssh", "-T",
                                   "-o",  "BatchMode=yes",
                                   "-o",  "ConnectTimeout=" + std::to_string(connect),
                                   "-o",  "ServerAliveInterval=5",
                                   "-o",  "ServerAliveCountMax=3",
                                   "-o",  "LogLevel=ERROR",
                                   "-p",  std::to_string(d.port)};
  if (!d.identity.empty())
    argv.insert(argv.end(), {"-i", expand_home(d.identity), "-o", "IdentitiesOnly=yes"});
  if (!d.known_hosts.empty())
    argv.insert(argv.end(), {"-o", "UserKnownHostsFile=" + expand_home(d.known_hosts), "-o",
                             "StrictHostKeyChecking=yes"});
  if (!d.user.empty()) argv.insert(argv.end(), {"-l", d.user});
  argv.insert(argv.end(), {"--", d.host, command});
  ProcessSpec spec;
  spec.argv = argv;
  spec.stdin_path = stdin_path;
  spec.timeout_seconds = timeout_seconds;
  auto r = run_process(spec);
  if (!r.ok())
    return failure("device '" + d.name + "': cannot run ssh (" + r.error().message +
                   "); install the OpenSSH client");
  if (r->timed_out)
    return failure("device '" + d.name + "' (" + d.target() + ") did not answer within " +
                   std::to_string(static_cast<int>(timeout_seconds)) + " s");
  if (r->exit_code == 255 && r->signal == 0)
    return failure("device '" + d.name + "' (" + d.target() + "): " + connection_problem(*r));
  return r;
}

std::string Ssh::connection_problem(const ProcessResult& r) const {
  const std::string& e = r.err;
  const std::string kh = device_.known_hosts.empty() ? "~/.ssh/known_hosts" : device_.known_hosts;
  if (contains(e, "REMOTE HOST IDENTIFICATION HAS CHANGED") ||
      contains(e, "Host key verification failed"))
    return "host key verification failed: the device's host key is not the one recorded in " + kh +
           " (a new or reinstalled device: check it, then update " + kh + ")";
  if (contains(e, "Permission denied"))
    return "authentication failed (key-only login: check the identity file" +
           (device_.identity.empty() ? std::string() : " " + device_.identity) + " and user)";
  if (contains(e, "Connection refused")) return "connection refused (is sshd running there?)";
  if (contains(e, "timed out")) return "connection timed out";
  if (contains(e, "Could not resolve hostname") || contains(e, "Name or service not known"))
    return "cannot resolve host name '" + device_.host + "'";
  if (contains(e, "No route to host")) return "no route to host";
  if (contains(e, "Connection closed") || contains(e, "Connection reset"))
    return "the connection was closed by the device";
  const std::string last = r.last_err_line();
  return last.empty() ? "ssh failed without saying why" : "ssh: " + last;
}

}  // namespace paramscale::device
