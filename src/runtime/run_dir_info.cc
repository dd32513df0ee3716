// read_run_dir_info (runtime/model_info.h) for host builds: the facts come from the run directory's
// arch.json and weights.psw, read by rundir/. The device build, which has no rundir/, links
// run_dir_info_device.cc instead.
#include "rundir/run_dir.h"
#include "runtime/model_info.h"
#include "runtime/onnx_wire.h"

namespace paramscale::runtime {

Result<ModelInfo> read_run_dir_info(const std::string& dir) {
  auto run = rundir::read_run_dir(dir);
  if (!run.ok()) return run.error();
  const arch::DatasetShape& d = run->network.dataset;
  ModelInfo info;
  info.input_name = "input";
  info.input_elem_type = onnx_wire::kFloat;
  info.input_shape = {-1, d.channels, d.height, d.width};
  info.num_inputs = 1;
  info.num_outputs = 1;
  for (const auto& [name, t] : run->weights)
    info.weight_bytes += t.elements() * static_cast<int64_t>(sizeof(float));
  return info;
}

std::string run_dir_weights_file(const std::string& dir) {
  return rundir::file_in(dir, rundir::kWeightsFile);
}

}  // namespace paramscale::runtime
