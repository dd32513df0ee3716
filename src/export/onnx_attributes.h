// export/onnx_attributes: small helpers for building ONNX protos (internal to export/).
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

namespace paramscale::onnx_export {

// A learned parameter's initializer name ("<layer>.weight" or "<layer>.bias").
inline bool is_param_name(const std::string& name) {
  const auto ends = [&](const std::string& s) {
    return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
  };
  return ends(".weight") || ends(".bias");
}

inline void ints(onnx::NodeProto* nd, const char* name, const std::vector<int64_t>& v) {
  auto* a = nd->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

inline void one_int(onnx::NodeProto* nd, const char* name, int64_t v) {
  auto* a = nd->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

inline void one_float(onnx::NodeProto* nd, const char* name, float v) {
  auto* a = nd->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}

}  // namespace paramscale::onnx_export
