#include "cli/bench_targets.h"

#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>

#include "device/session.h"
#include "runtime/child.h"
#include "runtime/model_info.h"
#include "util/subprocess.h"

namespace paramscale::cli {

namespace {

namespace rt = paramscale::runtime;
using nlohmann::json;

// --in-process has no child to kill on --timeout: SIGALRM ends the bench itself, with the same
// one-line message a killed child gives (prepared beforehand: the handler may only write and exit).
char timeout_message[192];
size_t timeout_length = 0;

void on_timeout(int) {
  if (write(2, timeout_message, timeout_length) < 0) {
  }
  _exit(1);
}

void arm_timeout(double seconds) {
  const int n = std::snprintf(timeout_message, sizeof timeout_message,
                              "paramscale: error: measurement did not finish within %g s and was "
                              "killed (raise --timeout)\n",
                              seconds);
  timeout_length = n < 0 ? 0 : std::min(static_cast<size_t>(n), sizeof timeout_message - 1);
  std::signal(SIGALRM, on_timeout);
  itimerval t{};
  t.it_value.tv_sec = static_cast<time_t>(seconds);
  t.it_value.tv_usec = static_cast<suseconds_t>((seconds - std::floor(seconds)) * 1e6);
  setitimer(ITIMER_REAL, &t, nullptr);
}

// Measurement children are the paramscale beside this executable — the one without libtorch when
// this is paramscale-torch (cli/torch_handoff.h) — so an ONNX Runtime or OpenCV cell is measured
// by the same process whether or not its bench also measures torch; that paramscale hands a torch
// cell's child on to paramscale-torch.
std::string measurement_executable() {
  const std::string beside = beside_self_executable("paramscale");
  return !beside.empty() && access(beside.c_str(), X_OK) == 0 ? beside : self_executable();
}

}  // namespace

BenchTargets::BenchTargets(std::map<std::string, device::Device> devices, std::string bundle,
                           double timeout, bool in_process)
    : timeout_(timeout), in_process_(in_process), exe_(measurement_executable()) {
  for (auto& [name, d] : devices)
    sessions_.emplace(name, std::make_unique<device::Session>(std::move(d), bundle));
}

BenchTargets::~BenchTargets() = default;

Result<json> BenchTargets::measure(const rt::MeasureRequest& c, const std::string& device) {
  if (c.backend.runtime_kind() == rt::RuntimeKind::kTorch || !rt::is_run_dir(c.model_path))
    return where(c, device);
  auto onnx = exports_.onnx_for(c.model_path);
  if (!onnx.ok()) return onnx.error();
  rt::MeasureRequest exported = c;
  exported.model_path = *onnx;
  auto r = where(exported, device);
  if (r.ok()) (*r)["model"]["exported_from"] = c.model_path;
  return r;
}

Result<json> BenchTargets::where(const rt::MeasureRequest& c, const std::string& device) {
  if (device == device::kLocal) {
    Result<json> r = failure("not measured");
    if (in_process_) {
      arm_timeout(timeout_);
      r = rt::measure(c);
      itimerval off{};
      setitimer(ITIMER_REAL, &off, nullptr);
      if (r.ok()) (*r)["in_process"] = true;
    } else {
      r = rt::measure_in_child(c, exe_, timeout_);
    }
    if (r.ok()) (*r)["device"] = device::local_device_json();
    return r;
  }
  if (auto dead = unreachable_.find(device); dead != unreachable_.end()) return dead->second;
  device::Session& s = *sessions_.at(device);
  if (Status o = s.open(); !o.ok()) return unreachable_.emplace(device, o.error()).first->second;
  return s.measure(c, timeout_);
}

}  // namespace paramscale::cli
