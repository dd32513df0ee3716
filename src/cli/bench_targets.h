// cli/bench_targets: where bench measures a cell — a fresh child process here, this process
// itself (--in-process, for emulators that cannot start a child), or a device over ssh.
//
// A training run directory on an ONNX runtime is measured through its export (cli/
// run_dir_exports.h) and its record names the directory it came from. Devices get one
// device::Session each, opened on first use; a device that cannot be reached fails all its cells
// with the same one-line reason instead of retrying the connection for each. Records measured
// here carry the local "device" block. Not thread-safe: bench measures one cell at a time.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/run_dir_exports.h"
#include "device/registry.h"
#include "runtime/measure.h"
#include "util/result.h"

namespace paramscale::device {
class Session;
}

namespace paramscale::cli {

class BenchTargets {
 public:
  BenchTargets(std::map<std::string, device::Device> devices, std::string bundle, double timeout,
               bool in_process);
  ~BenchTargets();

  Result<nlohmann::json> measure(const runtime::MeasureRequest& request, const std::string& device);

 private:
  Result<nlohmann::json> where(const runtime::MeasureRequest& request, const std::string& device);

  double timeout_;
  bool in_process_;
  std::string exe_;
  RunDirExports exports_;
  std::map<std::string, std::unique_ptr<device::Session>> sessions_;
  std::map<std::string, Error> unreachable_;
};

}  // namespace paramscale::cli
