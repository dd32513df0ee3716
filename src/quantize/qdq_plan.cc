// Where a QDQ rewrite puts its pairs; see qdq_plan.h.
#include "quantize/qdq_plan.h"

#include <set>

namespace paramscale::quantize::detail {

namespace {

bool is_quantization_op(const std::string& op) {
  static const std::set<std::string> ops = {"QuantizeLinear",        "DequantizeLinear",
                                            "DynamicQuantizeLinear", "ConvInteger",
                                            "MatMulInteger",         "QGemm",
                                            "DynamicQuantizeMatMul", "MatMulIntegerToFloat"};
  return ops.count(op) || op.rfind("QLinear", 0) == 0;
}

// Anchor kind of node i, or false: Convs and Gemms need constant float weights (and a 1-D bias).
bool anchor_kind(const onnx::GraphProto& g, const GraphIndex& idx, int i, Kind* kind) {
  const onnx::NodeProto& n = g.node(i);
  if (!is_default_domain(n)) return false;
  const std::string& op = n.op_type();
  const auto float_init = [&](int slot, int rank) {
    const onnx::TensorProto* t = n.input_size() > slot ? idx.init(n.input(slot)) : nullptr;
    return t && t->data_type() == onnx::TensorProto::FLOAT && (rank < 0 || t->dims_size() == rank);
  };
  const bool no_bias = n.input_size() < 3 || n.input(2).empty();
  if (op == "Conv" && float_init(1, -1) && idx.init(n.input(1))->dims_size() >= 3 &&
      (no_bias || float_init(2, 1)))
    *kind = Kind::Conv;
  else if (op == "Gemm" && float_init(1, 2) && int_attribute(n, "transA", 0) == 0 &&
           (no_bias || float_init(2, 1)))
    *kind = Kind::Gemm;
  else if (op == "Add" && n.input_size() == 2 && !idx.constant(n.input(0)) &&
           !idx.constant(n.input(1)))
    *kind = Kind::Add;
  else if (op == "GlobalAveragePool")
    *kind = Kind::Pool;
  else
    return false;
  return true;
}

// The activation node that alone reads anchor `a`'s output and can become that output's Q range.
void find_absorbable(const onnx::GraphProto& g, const GraphIndex& idx, Anchor* a) {
  if (a->kind != Kind::Conv && a->kind != Kind::Add) return;
  const int c = idx.only_consumer(g.node(a->node).output(0));
  if (c < 0) return;
  const onnx::NodeProto& n = g.node(c);
  if (!is_default_domain(n) || n.input(0) != g.node(a->node).output(0)) return;
  if (n.op_type() == "Relu") {
    a->absorbed = c;
  } else if (n.op_type() == "Clip" && n.input_size() >= 2) {
    auto lo = float_scalar(idx, n.input(1));
    const bool hi_ok =
        n.input_size() < 3 || n.input(2).empty() || float_scalar(idx, n.input(2)).ok();
    if (lo.ok() && *lo == 0.0f && hi_ok) a->absorbed = c;
  } else if (n.op_type() == "HardSigmoid" && a->kind == Kind::Conv) {
    a->alpha = float_attribute(n, "alpha", 0.2f);
    a->beta = float_attribute(n, "beta", 0.5f);
    if (a->alpha > 0) a->absorbed = c;
  }
}

void mark(Plan& p, const std::string& name, const std::string& share_from, bool floor_zero) {
  if (p.index.count(name)) return;
  p.index[name] = p.tensors.size();
  p.tensors.push_back({name, share_from, floor_zero});
}

}  // namespace

Plan make_plan(const onnx::GraphProto& g, const GraphIndex& idx, bool conv_outputs) {
  Plan p;
  for (int i = 0; i < g.node_size(); ++i) {
    const onnx::NodeProto& n = g.node(i);
    Anchor a;
    a.node = i;
    if (anchor_kind(g, idx, i, &a.kind)) {
      if (conv_outputs) find_absorbable(g, idx, &a);
      const int activation_inputs = a.kind == Kind::Add ? 2 : 1;
      for (int s = 0; s < activation_inputs; ++s) mark(p, n.input(s), "", false);
      if (conv_outputs && a.kind != Kind::Gemm) {
        const bool absorbed = a.absorbed >= 0;
        mark(p, absorbed ? g.node(a.absorbed).output(0) : n.output(0), "", absorbed);
      }
      p.anchors.push_back(a);
      continue;
    }
    // Data movement keeps the input's quantization, so ONNX Runtime can drop the pair around it.
    const bool moves_data = (n.op_type() == "MaxPool" || n.op_type() == "Flatten") &&
                            is_default_domain(n) && n.output_size() == 1;
    if (moves_data && p.index.count(n.input(0))) mark(p, n.output(0), n.input(0), false);
  }
  return p;
}

Status check_float_model(const onnx::ModelProto& m, const GraphIndex& idx,
                         std::vector<int64_t>* shape) {
  int64_t opset = 0;
  for (const auto& o : m.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") opset = o.version();
  for (const auto& n : m.graph().node())
    if (is_quantization_op(n.op_type()))
      return bad_input("the model is already quantized (it has " + n.op_type() + " nodes)");
  if (opset < 13)
    return bad_input("the model's opset is " + std::to_string(opset) +
                     "; per-channel QuantizeLinear/DequantizeLinear need opset 13 or later");
  if (idx.inputs.size() != 1)
    return bad_input("the model has " + std::to_string(idx.inputs.size()) +
                     " inputs; quantize takes one image input");
  for (const auto& in : m.graph().input()) {
    if (in.name() != idx.inputs[0]) continue;
    const auto& tt = in.type().tensor_type();
    if (tt.elem_type() != onnx::TensorProto::FLOAT)
      return bad_input("input '" + in.name() + "' is not float32");
    for (const auto& d : tt.shape().dim()) shape->push_back(d.has_dim_value() ? d.dim_value() : -1);
    if (shape->size() != 4)
      return bad_input("input '" + in.name() + "' has " + std::to_string(shape->size()) +
                       " dimensions; quantize needs a 4-D NCHW image input");
  }
  return {};
}

}  // namespace paramscale::quantize::detail
