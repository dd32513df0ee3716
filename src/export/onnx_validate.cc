#include "export/onnx_validate.h"

#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>

#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>

#include "export/onnx_export.h"
#include "util/text.h"

namespace paramscale::onnx_export {

namespace {
std::string dims_text(const onnx::TensorShapeProto& shape) {
  std::string t = "[";
  for (int i = 0; i < shape.dim_size(); ++i) {
    const auto& d = shape.dim(i);
    t += (i ? "," : "") + (d.has_dim_value() ? std::to_string(d.dim_value()) : d.dim_param());
  }
  return t + "]";
}

bool same_dims(const onnx::TensorShapeProto& shape, const std::vector<int64_t>& dims,
               int64_t batch) {
  if (shape.dim_size() != static_cast<int>(dims.size()) + 1) return false;
  const auto& n = shape.dim(0);
  if (batch > 0 ? !(n.has_dim_value() && n.dim_value() == batch)
                : !(n.has_dim_param() && n.dim_param() == "batch"))
    return false;
  for (size_t i = 0; i < dims.size(); ++i) {
    const auto& d = shape.dim(static_cast<int>(i) + 1);
    if (!d.has_dim_value() || d.dim_value() != dims[i]) return false;
  }
  return true;
}
}  // namespace

Status check_model(const onnx::ModelProto& model, const std::string& what,
                   onnx::ModelProto* inferred) {
  onnx::ModelProto copy = model;
  try {
    onnx::checker::check_model(model);
    onnx::ShapeInferenceOptions strict(/*check_type=*/true, /*error_mode=*/1);
    onnx::shape_inference::InferShapes(copy, onnx::OpSchemaRegistry::Instance(), strict);
  } catch (const std::exception& e) {
    return failure(what + ": " + one_line(e.what()));
  }
  if (inferred) *inferred = std::move(copy);
  return {};
}

Status validate_model(const onnx::ModelProto& model,
                      const std::vector<std::pair<std::string, std::vector<int64_t>>>& expected,
                      int64_t batch) {
  onnx::ModelProto inferred;
  if (Status s = check_model(model, "exported ONNX model is invalid", &inferred); !s.ok()) return s;
  std::map<std::string, const onnx::TensorShapeProto*> shapes;
  const auto& g = inferred.graph();
  for (const auto& v : g.value_info()) shapes[v.name()] = &v.type().tensor_type().shape();
  for (const auto& v : g.output()) shapes[v.name()] = &v.type().tensor_type().shape();
  for (const auto& [name, dims] : expected) {
    auto it = shapes.find(name);
    if (it == shapes.end()) return failure("shape inference gave no shape for tensor " + name);
    if (!same_dims(*it->second, dims, batch))
      return failure("tensor " + name + " has inferred shape " + dims_text(*it->second) +
                     ", the network says otherwise");
  }
  return {};
}

}  // namespace paramscale::onnx_export
