// quantize/onnx_graph: what the rewrites in quantize/ need to read and edit an onnx::GraphProto —
// an index of producers, consumers and initializers, typed initializer access, attribute lookup,
// batch-norm folding and clean-up. Internal to quantize/ (the public API is qdq.h).
//
// The index is a snapshot: rebuild it after changing the graph. Float initializers are read from
// raw_data or float_data; anything else is a bad-input Error naming the tensor.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "util/result.h"

namespace paramscale::quantize::detail {

struct GraphIndex {
  explicit GraphIndex(const onnx::GraphProto& g);
  std::map<std::string, const onnx::TensorProto*> initializers;
  std::map<std::string, int> producer;                                // tensor -> node
  std::map<std::string, std::vector<std::pair<int, int>>> consumers;  // tensor -> (node, slot)
  std::set<std::string> outputs;                                      // graph outputs
  std::vector<std::string> inputs;  // graph inputs that are not initializers

  bool constant(const std::string& name) const { return initializers.count(name) > 0; }
  const onnx::TensorProto* init(const std::string& name) const;
  // The single node reading `tensor`, or -1 (none, several, or a graph output).
  int only_consumer(const std::string& tensor) const;
};

bool is_default_domain(const onnx::NodeProto& n);
const onnx::AttributeProto* attribute(const onnx::NodeProto& n, const std::string& name);
int64_t int_attribute(const onnx::NodeProto& n, const std::string& name, int64_t fallback);
float float_attribute(const onnx::NodeProto& n, const std::string& name, float fallback);

int64_t elements(const onnx::TensorProto& t);
Result<std::vector<float>> float_values(const onnx::TensorProto& t);
// A scalar (or one-element) float initializer's value.
Result<float> float_scalar(const GraphIndex& idx, const std::string& name);

void set_floats(onnx::TensorProto* t, const std::string& name, const std::vector<int64_t>& dims,
                const std::vector<float>& values);
void set_int8s(onnx::TensorProto* t, const std::string& name, const std::vector<int64_t>& dims,
               const std::vector<int8_t>& values);
void set_uint8s(onnx::TensorProto* t, const std::string& name, const std::vector<int64_t>& dims,
                const std::vector<uint8_t>& values);
void set_int32s(onnx::TensorProto* t, const std::string& name, const std::vector<int64_t>& dims,
                const std::vector<int32_t>& values);

// Folds every Conv -> BatchNormalization pair it can (see qdq.h); returns how many.
Result<int> fold_batchnorms(onnx::GraphProto* g);

// Drops initializers no node reads (and their graph-input entries) and every value_info (stale
// after a rewrite; shape inference recomputes them).
void remove_unused(onnx::GraphProto* g);

}  // namespace paramscale::quantize::detail
