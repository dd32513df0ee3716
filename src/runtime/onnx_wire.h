// runtime/onnx_wire: the parts of an ONNX ModelProto or TensorProto that bench needs, read straight
// from the protobuf wire format, so that runtime/ (and the device bundle) needs neither libonnx nor
// libprotobuf.
//
// What it promises:
//  - Strict bounds: every declared length is checked against the bytes that are left before it is
//    used, nothing is allocated from a size that was not checked that way, nesting (groups) is
//    limited to kMaxDepth, and malformed input of any kind is a bad_input Error with a one-line
//    message naming the byte offset — never a crash, a hang or an out-of-bounds read.
//  - Protobuf semantics where they matter for these fields: unknown fields of every wire type are
//    skipped (so are known fields sent with an unexpected wire type, as libprotobuf does), repeated
//    numbers are read packed or unpacked, a singular message that occurs twice is merged, the last
//    value of a singular scalar wins, and the members of a oneof clear each other.
//  - Only the fields listed in the structs below are kept (see onnx.proto for their numbers); every
//    other field is skipped. Results agree with libonnx's parse (tests/runtime/onnx_wire_test.cc
//    checks every model and tensor of Debian's libonnx-testdata).
// Pure functions, thread-safe. Parsed views (Tensor::raw_data) point into the caller's bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace paramscale::runtime::onnx_wire {

// Nested groups deeper than this are rejected (libprotobuf's default recursion limit).
inline constexpr int kMaxDepth = 100;

// onnx.TensorProto.DataType values (the ones bench's size arithmetic distinguishes).
enum DataType : int32_t {
  kUndefined = 0,
  kFloat = 1,
  kUint8 = 2,
  kInt8 = 3,
  kUint16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kDouble = 11,
  kUint32 = 12,
  kUint64 = 13,
  kComplex64 = 14,
  kComplex128 = 15,
  kBfloat16 = 16,
};

// TensorProto: dims(1), data_type(2), float_data(4), int32_data(5), string_data(6), int64_data(7),
// name(8), raw_data(9), double_data(10), uint64_data(11).
struct Tensor {
  std::string name;
  int32_t data_type = kUndefined;
  std::vector<int64_t> dims;
  bool has_raw_data = false;
  std::string_view raw_data;  // a view into the parsed bytes (the last raw_data field)
  // Values held in the typed fields (float_data, int32_data, string_data, int64_data, double_data,
  // uint64_data), counted, not copied.
  int64_t typed_values = 0;
  std::vector<float> float_data;  // filled only when parse_tensor() is asked to keep it
};

// TensorShapeProto.Dimension: oneof {dim_value(1), dim_param(2)}.
struct Dim {
  bool has_value = false;
  int64_t value = 0;
  bool has_param = false;
  std::string param;
};

// ValueInfoProto: name(1), type(2) -> TypeProto oneof {tensor_type(1) -> {elem_type(1), shape(2)
// -> dim(1)}, sequence/map/opaque/sparse/optional types (which clear tensor_type)}.
struct ValueInfo {
  std::string name;
  bool has_tensor_type = false;
  int32_t elem_type = kUndefined;
  bool has_shape = false;
  std::vector<Dim> shape;
};

// NodeProto: input(1), output(2), name(3), op_type(4), domain(7).
struct Node {
  std::vector<std::string> inputs, outputs;
  std::string name, op_type, domain;
};

// GraphProto: node(1), initializer(5), input(11), output(12). Subgraphs in node attributes are not
// read.
struct Graph {
  std::vector<Node> nodes;
  std::vector<Tensor> initializers;
  std::vector<ValueInfo> inputs, outputs;
};

// OperatorSetIdProto: domain(1), version(2).
struct OpsetId {
  std::string domain;
  int64_t version = 0;
};

// ModelProto: opset_import(8), graph(7).
struct Model {
  std::vector<OpsetId> opset_import;
  bool has_graph = false;
  Graph graph;
};

// Errors say what is wrong and where ("protobuf parse failed at byte 17: ..."), without a path.
Result<Model> parse_model(std::string_view bytes);
Result<Tensor> parse_tensor(std::string_view bytes, bool keep_float_data);

}  // namespace paramscale::runtime::onnx_wire
