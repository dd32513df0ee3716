// RunDirExports in the device build: no export/ here, so a run directory is bad input with the
// way out (export it on the host, copy the .onnx).
#include "cli/run_dir_exports.h"

namespace paramscale::cli {

RunDirExports::~RunDirExports() = default;

Result<std::string> RunDirExports::onnx_for(const std::string& run_dir) {
  return bad_input("'" + run_dir +
                   "' is a directory: this device build measures .onnx files; export run "
                   "directories on the host");
}

}  // namespace paramscale::cli
