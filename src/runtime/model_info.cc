#include "runtime/model_info.h"

#include <onnx/onnx_pb.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "export/run_dir.h"
#include "util/files.h"

namespace paramscale::runtime {

namespace {

Result<std::string> slurp(const std::string& path) {
  auto bytes = read_regular_file(path, "model", kMaxInputFileBytes, "cannot read '" + path + "'");
  if (!bytes.ok()) return bytes.error();
  if (bytes->empty()) return bad_input("'" + path + "' is empty");
  return bytes;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s;
  for (int64_t d : shape)
    s += (s.empty() ? "" : "x") + (d < 0 ? std::string("?") : std::to_string(d));
  return s.empty() ? "scalar" : s;
}

int64_t element_bytes(int32_t type) {
  switch (type) {
    case onnx::TensorProto::DOUBLE:
    case onnx::TensorProto::INT64:
    case onnx::TensorProto::UINT64:
      return 8;
    case onnx::TensorProto::FLOAT16:
    case onnx::TensorProto::BFLOAT16:
    case onnx::TensorProto::INT16:
    case onnx::TensorProto::UINT16:
      return 2;
    case onnx::TensorProto::INT8:
    case onnx::TensorProto::UINT8:
    case onnx::TensorProto::BOOL:
      return 1;
    default:
      return 4;
  }
}

int64_t payload_bytes(const onnx::TensorProto& t) {
  if (!t.raw_data().empty()) return static_cast<int64_t>(t.raw_data().size());
  // Declared dims are untrusted: a product past 2^40 (or a negative dim) counts as unknown (0).
  int64_t n = 1;
  for (int64_t d : t.dims()) {
    if (d < 0 || (d > 0 && n > (int64_t{1} << 40) / d)) return 0;
    n *= d;
  }
  return n * element_bytes(t.data_type());
}

}  // namespace

Result<ModelInfo> read_model_info(const std::string& path) {
  auto bytes = slurp(path);
  if (!bytes.ok()) return bytes.error();
  onnx::ModelProto model;
  if (!model.ParseFromString(*bytes) || !model.has_graph())
    return bad_input("'" + path + "' is not an ONNX model (protobuf parse failed)");
  const onnx::GraphProto& g = model.graph();
  ModelInfo info;
  std::set<std::string> initializers;
  for (const auto& t : g.initializer()) {
    initializers.insert(t.name());
    // Saturates: the sum of many declared sizes must not overflow.
    info.weight_bytes = std::min(info.weight_bytes + payload_bytes(t), int64_t{1} << 62);
  }
  for (const auto& op : model.opset_import())
    if (op.domain().empty() || op.domain() == "ai.onnx") info.opset = op.version();
  info.num_outputs = g.output_size();
  for (const auto& in : g.input()) {
    if (initializers.count(in.name())) continue;
    if (++info.num_inputs > 1) continue;
    info.input_name = in.name();
    if (!in.type().has_tensor_type()) continue;
    const auto& tt = in.type().tensor_type();
    info.input_elem_type = tt.elem_type();
    for (const auto& d : tt.shape().dim())
      info.input_shape.push_back(d.has_dim_value() ? d.dim_value() : -1);
  }
  if (info.num_inputs == 0) return bad_input("'" + path + "' has no graph input to feed");
  if (info.num_outputs == 0) return bad_input("'" + path + "' has no graph output");
  return info;
}

Result<ModelInfo> read_run_dir_info(const std::string& dir) {
  auto run = onnx_export::read_run_dir(dir);
  if (!run.ok()) return run.error();
  const arch::DatasetShape& d = run->network.dataset;
  ModelInfo info;
  info.input_name = "input";
  info.input_elem_type = onnx::TensorProto::FLOAT;
  info.input_shape = {-1, d.channels, d.height, d.width};
  info.num_inputs = 1;
  info.num_outputs = 1;
  for (const auto& [name, t] : run->weights)
    info.weight_bytes += t.elements() * static_cast<int64_t>(sizeof(float));
  return info;
}

bool is_run_dir(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Result<std::vector<int64_t>> feed_shape(const ModelInfo& info, int batch) {
  if (info.num_inputs != 1)
    return bad_input("model has " + std::to_string(info.num_inputs) +
                     " inputs; bench feeds one image input");
  if (info.input_elem_type != onnx::TensorProto::FLOAT)
    return bad_input("input '" + info.input_name + "' is not float32 (ONNX type " +
                     std::to_string(info.input_elem_type) + ")");
  if (info.input_shape.size() != 4)
    return bad_input("input '" + info.input_name + "' has shape " + shape_text(info.input_shape) +
                     "; bench needs a 4-D NCHW image input");
  std::vector<int64_t> shape = info.input_shape;
  if (shape[0] >= 0 && shape[0] != batch)
    return bad_input("input '" + info.input_name + "' has a fixed batch of " +
                     std::to_string(shape[0]) + "; cannot run batch " + std::to_string(batch) +
                     " (use --batch " + std::to_string(shape[0]) + ")");
  shape[0] = batch;
  int64_t elements = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] <= 0)
      return bad_input("input '" + info.input_name + "' has shape " + shape_text(info.input_shape) +
                       "; only the batch dimension may be symbolic");
    // The input is allocated: its declared size is checked first (2^31 floats, 8 GiB).
    if (shape[i] > (int64_t{1} << 31) / elements)
      return bad_input("input '" + info.input_name + "' of shape " + shape_text(shape) +
                       " is too large to feed");
    elements *= shape[i];
  }
  return shape;
}

Result<ConvLayout> count_conv_layout(const std::string& optimized_model_path) {
  auto bytes = slurp(optimized_model_path);
  if (!bytes.ok()) return bytes.error();
  onnx::ModelProto model;
  if (!model.ParseFromString(*bytes))
    return failure("cannot parse optimized model '" + optimized_model_path + "'");
  ConvLayout c;
  for (const auto& node : model.graph().node()) {
    const std::string& op = node.op_type();
    if (op != "Conv" && op != "FusedConv") continue;
    ++c.convs;
    if (node.domain() == "com.microsoft.nchwc") ++c.nchwc_convs;
  }
  return c;
}

Result<FloatTensor> read_tensor_pb(const std::string& path) {
  auto bytes = slurp(path);
  if (!bytes.ok()) return bytes.error();
  onnx::TensorProto t;
  if (!t.ParseFromString(*bytes)) return bad_input("'" + path + "' is not a TensorProto");
  if (t.data_type() != onnx::TensorProto::FLOAT)
    return bad_input("'" + path + "' is not a float tensor");
  FloatTensor out;
  out.dims.assign(t.dims().begin(), t.dims().end());
  if (!t.raw_data().empty()) {
    out.values.resize(t.raw_data().size() / sizeof(float));
    std::memcpy(out.values.data(), t.raw_data().data(), out.values.size() * sizeof(float));
  } else {
    out.values.assign(t.float_data().begin(), t.float_data().end());
  }
  return out;
}

}  // namespace paramscale::runtime
