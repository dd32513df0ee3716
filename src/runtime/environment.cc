#include "runtime/environment.h"

#include <gnu/libc-version.h>
#include <sched.h>
#include <sys/utsname.h>

#include <cstdint>
#include <ctime>
#include <fstream>
#include <string>
#include <thread>

#include "util/version.h"

namespace paramscale::runtime {

namespace {

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t");
  const size_t b = s.find_last_not_of(" \t");
  return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

// x86: "model name"; ARM: "Model" (board) or "Hardware", else the CPU part number.
std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line, model, hardware, part;
  while (std::getline(in, line)) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = trim(line.substr(0, colon)), value = trim(line.substr(colon + 1));
    if (key == "model name" && model.empty()) model = value;
    if (key == "Model" && hardware.empty()) hardware = value;
    if (key == "Hardware" && hardware.empty()) hardware = value;
    if (key == "CPU part" && part.empty()) part = "CPU part " + value;
  }
  if (!model.empty()) return model;
  if (!hardware.empty()) return hardware;
  return part.empty() ? "unknown" : part;
}

// /proc/device-tree/model names the board ("Raspberry Pi 4 Model B Rev 1.4"); NUL-terminated.
std::string board_model() {
  std::ifstream in("/proc/device-tree/model", std::ios::binary);
  std::string model;
  std::getline(in, model, '\0');
  return trim(model);
}

int64_t mem_total_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  int64_t kb = 0;
  while (in >> key) {
    if (key == "MemTotal:" && in >> kb) return kb * 1024;
    std::getline(in, key);
  }
  return 0;
}

// The kernel's own architecture. Unlike uname(), which qemu-user rewrites to the guest's, the
// sysctl shows the machine's, so a binary can tell that it runs emulated.
std::string kernel_arch() {
  std::ifstream in("/proc/sys/kernel/arch");
  std::string arch;
  in >> arch;
  return arch;
}

}  // namespace

const char* build_arch() {
#if defined(__aarch64__)
  return "aarch64";
#elif defined(__x86_64__)
  return "x86_64";
#elif defined(__arm__)
  return "arm";
#else
  return "unknown";
#endif
}

nlohmann::json environment() {
  nlohmann::json env;
  env["cpu_model"] = cpu_model();
  env["logical_cpus"] = std::thread::hardware_concurrency();
  cpu_set_t set;
  env["cpus_allowed"] = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : -1;
  utsname u{};
  if (uname(&u) == 0) {
    env["kernel"] = std::string(u.sysname) + " " + u.release;
    env["machine"] = u.machine;
  }
  env["build_arch"] = build_arch();
  const std::string karch = kernel_arch();
  env["kernel_arch"] = karch.empty() ? nlohmann::json(nullptr) : nlohmann::json(karch);
  env["emulated"] = !karch.empty() && karch != build_arch();
  const std::string board = board_model();
  if (!board.empty()) env["board_model"] = board;
  env["mem_total_bytes"] = mem_total_bytes();
#ifdef __clang__
  env["compiler"] = std::string("clang ") + __clang_version__;
#else
  env["compiler"] = std::string("gcc ") + __VERSION__;
#endif
  // The C library actually loaded: the device bundle runs on whatever glibc the board has.
  env["glibc"] = gnu_get_libc_version();
  env["paramscale_version"] = PARAMSCALE_VERSION;
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  env["timestamp_utc"] = stamp;
  return env;
}

}  // namespace paramscale::runtime
