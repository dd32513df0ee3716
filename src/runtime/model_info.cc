#include "runtime/model_info.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "runtime/onnx_wire.h"
#include "util/files.h"

namespace paramscale::runtime {

namespace {

namespace wire = onnx_wire;

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
    case wire::kDouble:
    case wire::kInt64:
    case wire::kUint64:
      return 8;
    case wire::kFloat16:
    case wire::kBfloat16:
    case wire::kInt16:
    case wire::kUint16:
      return 2;
    case wire::kInt8:
    case wire::kUint8:
    case wire::kBool:
      return 1;
    default:
      return 4;
  }
}

// The raw_data size, else the size its dims and type declare. A declared size that overflows is
// bad input (a valid model's initializers fit in memory).
Result<int64_t> payload_bytes(const wire::Tensor& t) {
  if (!t.raw_data.empty()) return static_cast<int64_t>(t.raw_data.size());
  int64_t n = element_bytes(t.data_type);
  for (int64_t d : t.dims)
    if (__builtin_mul_overflow(n, d, &n))
      return bad_input("initializer '" + t.name + "' declares an impossible size");
  return n;
}

}  // namespace

Result<ModelInfo> read_model_info(const std::string& path) {
  auto bytes = slurp(path);
  if (!bytes.ok()) return bytes.error();
  auto model = wire::parse_model(*bytes);
  if (!model.ok())
    return bad_input("'" + path + "' is not an ONNX model (" + model.error().message + ")");
  if (!model->has_graph) return bad_input("'" + path + "' is not an ONNX model (it has no graph)");
  const wire::Graph& g = model->graph;
  ModelInfo info;
  std::set<std::string> initializers;
  for (const auto& t : g.initializers) {
    initializers.insert(t.name);
    auto n = payload_bytes(t);
    if (!n.ok()) return bad_input("'" + path + "': " + n.error().message);
    if (__builtin_add_overflow(info.weight_bytes, *n, &info.weight_bytes))
      return bad_input("'" + path + "': initializers declare an impossible total size");
  }
  for (const auto& op : model->opset_import)
    if (op.domain.empty() || op.domain == "ai.onnx") info.opset = op.version;
  info.num_outputs = static_cast<int>(g.outputs.size());
  for (const auto& in : g.inputs) {
    if (initializers.count(in.name)) continue;
    if (++info.num_inputs > 1) continue;
    info.input_name = in.name;
    if (!in.has_tensor_type) continue;
    info.input_elem_type = in.elem_type;
    for (const auto& d : in.shape) info.input_shape.push_back(d.has_value ? d.value : -1);
  }
  if (info.num_inputs == 0) return bad_input("'" + path + "' has no graph input to feed");
  if (info.num_outputs == 0) return bad_input("'" + path + "' has no graph output");
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
  if (info.input_elem_type != wire::kFloat)
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
  auto model = wire::parse_model(*bytes);
  if (!model.ok())
    return failure("cannot parse optimized model '" + optimized_model_path + "' (" +
                   model.error().message + ")");
  ConvLayout c;
  for (const auto& node : model->graph.nodes) {
    const std::string& op = node.op_type;
    const bool int8_conv = op == "QLinearConv" || op == "ConvInteger";
    c.int8_ops += int8_conv || op.rfind("QLinear", 0) == 0 || op == "QGemm" ||
                  (op.size() > 7 && op.compare(op.size() - 7, 7, "Integer") == 0);
    c.qdq_nodes += op == "QuantizeLinear" || op == "DequantizeLinear";
    if (op != "Conv" && op != "FusedConv" && !int8_conv) continue;
    ++c.convs;
    c.int8_convs += int8_conv;
    if (node.domain == "com.microsoft.nchwc") ++c.nchwc_convs;
  }
  return c;
}

Result<FloatTensor> read_tensor_pb(const std::string& path) {
  auto bytes = slurp(path);
  if (!bytes.ok()) return bytes.error();
  auto t = wire::parse_tensor(*bytes, /*keep_float_data=*/true);
  if (!t.ok()) return bad_input("'" + path + "' is not a TensorProto (" + t.error().message + ")");
  if (t->data_type != wire::kFloat) return bad_input("'" + path + "' is not a float tensor");
  FloatTensor out;
  out.dims = t->dims;
  if (!t->raw_data.empty()) {
    out.values.resize(t->raw_data.size() / sizeof(float));
    if (!out.values.empty())  // memcpy may not be given the null data() of an empty vector
      std::memcpy(out.values.data(), t->raw_data.data(), out.values.size() * sizeof(float));
  } else {
    out.values = std::move(t->float_data);
  }
  return out;
}

}  // namespace paramscale::runtime
