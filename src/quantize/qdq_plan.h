// quantize/qdq_plan: where a QDQ rewrite puts its Q/DQ pairs — the anchors (operators ONNX
// Runtime runs in int8: Conv, Gemm, Add, GlobalAveragePool), the activations they absorb, and the
// activation tensors that get a pair (qdq.h describes the placements) — and the checks a float
// model must pass before it is planned. Internal to quantize/ (qdq.cc, qdq_rewrite.cc).
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "quantize/onnx_graph.h"
#include "util/result.h"

namespace paramscale::quantize::detail {

enum class Kind { Conv, Gemm, Add, Pool };

// An operator ONNX Runtime runs in int8 when its tensors come through Q/DQ.
struct Anchor {
  int node = -1;
  Kind kind = Kind::Conv;
  int absorbed = -1;          // the Relu / Clip / HardSigmoid node folded into the output Q, or -1
  float alpha = 1, beta = 0;  // HardSigmoid's, applied to the Conv's weights and bias
};

// An activation tensor that gets a Q -> DQ pair.
struct QTensor {
  std::string name;
  std::string share_from;   // reuses that tensor's scale and zero point (MaxPool, Flatten)
  bool floor_zero = false;  // an absorbed activation's output: the range starts at 0
};

struct Plan {
  std::vector<Anchor> anchors;
  std::vector<QTensor> tensors;
  std::map<std::string, size_t> index;  // tensor name -> position in `tensors`
};

// Where the pairs go, in node order, so a tensor is planned before its readers. conv_outputs:
// the anchors' outputs too (after the activation one absorbs; a Gemm's excepted), not only their
// inputs — the two placements qdq.h describes.
Plan make_plan(const onnx::GraphProto& g, const GraphIndex& idx, bool conv_outputs);

// A float model the rewrite can take: not already quantized, opset >= 13, one float32 4-D image
// input (its dimensions, -1 where symbolic, into `shape`).
Status check_float_model(const onnx::ModelProto& m, const GraphIndex& idx,
                         std::vector<int64_t>* shape);

}  // namespace paramscale::quantize::detail
