// tests/support/sshd: a real OpenSSH server on a free loopback port, for device tests.
//
// Started by the test (no systemd): a generated ed25519 host key, key-only login for the current
// user with a generated client key, everything in a private temporary directory. It writes a
// known_hosts file holding the server's key, so clients can check the host key strictly. Stopped
// by PID when the object goes away. `ok()` is false (and `problem()` says why) when sshd is not
// installed or does not come up.
#pragma once

#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "support/run_command.h"
#include "support/temp_dir.h"

namespace paramscale::test {

// A TCP port nobody listens on right now (bind to port 0, read it, close).
inline int free_loopback_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  close(fd);
  return port;
}

inline bool port_accepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

class Sshd {
 public:
  Sshd() {
    if (access("/usr/sbin/sshd", X_OK) != 0) {
      problem_ = "/usr/sbin/sshd is not installed (openssh-server; scripts/install-deps.sh)";
      return;
    }
    const passwd* pw = getpwuid(getuid());
    user_ = pw ? pw->pw_name : "root";
    const std::string d = dir_.path();
    for (const char* key : {"host_key", "client_key", "other_key"})
      if (run_command("ssh-keygen -q -t ed25519 -N '' -C paramscale-test -f " + d + "/" + key)
              .exit_code != 0) {
        problem_ = "ssh-keygen failed";
        return;
      }
    run_command("cp " + d + "/client_key.pub " + d + "/authorized_keys");
    ::mkdir("/run/sshd", 0755);  // sshd's privilege-separation directory (as root)
    port_ = free_loopback_port();
    std::ofstream(d + "/sshd_config")
        << "Port " << port_ << "\nListenAddress 127.0.0.1\nHostKey " << d << "/host_key\n"
        << "PidFile " << d << "/sshd.pid\nAuthorizedKeysFile " << d << "/authorized_keys\n"
        << "PubkeyAuthentication yes\nPasswordAuthentication no\n"
        << "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nUsePAM no\n"
        << "StrictModes no\nLogLevel ERROR\nMaxStartups 100\nMaxSessions 100\n";
    const std::string host_pub = run_command("cut -d' ' -f1,2 " + d + "/host_key.pub").out;
    std::ofstream(d + "/known_hosts") << "[127.0.0.1]:" << port_ << " " << host_pub;
    pid_ = fork();
    if (pid_ == 0) {
      const std::string log = d + "/sshd.log";
      freopen(log.c_str(), "a", stderr);
      const std::string config = d + "/sshd_config";
      execl("/usr/sbin/sshd", "/usr/sbin/sshd", "-D", "-e", "-f", config.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 100 && !port_accepts(port_); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (!port_accepts(port_)) problem_ = "sshd did not start: " + slurp(d + "/sshd.log");
  }
  ~Sshd() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  Sshd(const Sshd&) = delete;
  Sshd& operator=(const Sshd&) = delete;

  bool ok() const { return problem_.empty(); }
  const std::string& problem() const { return problem_; }
  int port() const { return port_; }
  const std::string& user() const { return user_; }
  std::string path(const std::string& name) const { return dir_ / name; }

  // A device entry (device/registry.h JSON) for this server, with key-only login and strict host
  // key checking; `workdir` on the "device" (this machine).
  std::string device_json(const std::string& name, const std::string& workdir,
                          const std::string& extra = "") const {
    return "{\"name\": \"" + name +
           "\", \"host\": \"127.0.0.1\", \"port\": " + std::to_string(port_) + ", \"user\": \"" +
           user_ + "\", \"identity\": \"" + path("client_key") + "\", \"known_hosts\": \"" +
           path("known_hosts") + "\", \"workdir\": \"" + workdir + "\", \"connect_timeout\": 5" +
           extra + "}";
  }

 private:
  TempDir dir_;
  std::string user_, problem_;
  int port_ = -1;
  pid_t pid_ = -1;
};

}  // namespace paramscale::test
