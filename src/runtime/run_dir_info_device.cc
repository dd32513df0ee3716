// read_run_dir_info (runtime/model_info.h) in the device build, which measures .onnx files only:
// training run directories (and rundir/, which reads them) stay on the host.
#include "runtime/model_info.h"

namespace paramscale::runtime {

Result<ModelInfo> read_run_dir_info(const std::string& dir) {
  return bad_input("'" + dir +
                   "' is a directory: this device build measures .onnx files; export run "
                   "directories on the host");
}

std::string run_dir_weights_file(const std::string& dir) { return dir; }  // never reached

}  // namespace paramscale::runtime
