// cli/run_dir_exports: the .onnx file bench measures for a training run directory on an ONNX
// runtime.
//
// The host build exports each run directory once (as `paramscale export --run` would, BatchNorm
// kept) into a temporary directory that lives as long as the RunDirExports object and is removed
// with it (run_dir_exports.cc, through export/). The device build has no export/ and measures .onnx
// files only: there onnx_for() is a one-line bad-input error (run_dir_exports_device.cc).
#pragma once

#include <map>
#include <string>

#include "util/result.h"

namespace paramscale::cli {

class RunDirExports {
 public:
  RunDirExports() = default;
  RunDirExports(const RunDirExports&) = delete;
  RunDirExports& operator=(const RunDirExports&) = delete;
  ~RunDirExports();

  // The exported model of `run_dir` (made on first use, then reused).
  Result<std::string> onnx_for(const std::string& run_dir);

 private:
  std::string tmp_;
  std::map<std::string, std::string> done_;  // run directory -> its exported .onnx
};

}  // namespace paramscale::cli
