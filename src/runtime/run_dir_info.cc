// read_run_dir_info (runtime/model_info.h): the facts come from the run directory's arch.json and
// weights.psw, read by export/run_dir. Apart from model_info.cc, which reads ONNX files only, so
// that a build without export/ can replace this file.
#include "export/run_dir.h"
#include "runtime/model_info.h"
#include "runtime/onnx_wire.h"

namespace paramscale::runtime {

Result<ModelInfo> read_run_dir_info(const std::string& dir) {
  auto run = onnx_export::read_run_dir(dir);
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

}  // namespace paramscale::runtime
