// The QDQ rewrite: checks, the plan of where Q/DQ pairs go, and the quantized model; see qdq.h.
#include "quantize/qdq.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "export/onnx_validate.h"
#include "quantize/onnx_graph.h"

namespace paramscale::quantize {

using detail::GraphIndex;

Result<Activations> parse_activations(const std::string& name) {
  if (name == "u8") return Activations::U8;
  if (name == "s8") return Activations::S8;
  return bad_input("unknown activation type '" + name + "' (u8 or s8)");
}

const char* activations_name(Activations a) { return a == Activations::U8 ? "u8" : "s8"; }

Result<QParams> activation_qparams(Range r, Activations a, const std::string& tensor) {
  const double lo = std::min(r.min, 0.0), hi = std::max(r.max, 0.0);
  const double qmin = a == Activations::U8 ? 0 : -128, qmax = a == Activations::U8 ? 255 : 127;
  if (!std::isfinite(lo) || !std::isfinite(hi))
    return bad_input("activation '" + tensor + "' has a range that is not finite");
  double scale = (hi - lo) / (qmax - qmin);
  if (scale == 0) scale = 1;  // a tensor that was always 0: any scale represents it
  const float s = static_cast<float>(scale);
  if (!std::isfinite(s) || !(s > 0))
    return bad_input("activation '" + tensor + "' has range [" + std::to_string(lo) + ", " +
                     std::to_string(hi) + "], which no float32 scale represents");
  const double zp = std::nearbyint(qmin - lo / static_cast<double>(s));
  return QParams{s, static_cast<int32_t>(std::clamp(zp, qmin, qmax))};
}

int weight_qmax(bool reduce_range) { return reduce_range ? 64 : 127; }

namespace {

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
  if (!detail::is_default_domain(n)) return false;
  const std::string& op = n.op_type();
  const auto float_init = [&](int slot, int rank) {
    const onnx::TensorProto* t = n.input_size() > slot ? idx.init(n.input(slot)) : nullptr;
    return t && t->data_type() == onnx::TensorProto::FLOAT && (rank < 0 || t->dims_size() == rank);
  };
  const bool no_bias = n.input_size() < 3 || n.input(2).empty();
  if (op == "Conv" && float_init(1, -1) && idx.init(n.input(1))->dims_size() >= 3 &&
      (no_bias || float_init(2, 1)))
    *kind = Kind::Conv;
  else if (op == "Gemm" && float_init(1, 2) && detail::int_attribute(n, "transA", 0) == 0 &&
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
  if (!detail::is_default_domain(n) || n.input(0) != g.node(a->node).output(0)) return;
  if (n.op_type() == "Relu") {
    a->absorbed = c;
  } else if (n.op_type() == "Clip" && n.input_size() >= 2) {
    auto lo = detail::float_scalar(idx, n.input(1));
    const bool hi_ok =
        n.input_size() < 3 || n.input(2).empty() || detail::float_scalar(idx, n.input(2)).ok();
    if (lo.ok() && *lo == 0.0f && hi_ok) a->absorbed = c;
  } else if (n.op_type() == "HardSigmoid" && a->kind == Kind::Conv) {
    a->alpha = detail::float_attribute(n, "alpha", 0.2f);
    a->beta = detail::float_attribute(n, "beta", 0.5f);
    if (a->alpha > 0) a->absorbed = c;
  }
}

void mark(Plan& p, const std::string& name, const std::string& share_from, bool floor_zero) {
  if (p.index.count(name)) return;
  p.index[name] = p.tensors.size();
  p.tensors.push_back({name, share_from, floor_zero});
}

// Where the pairs go (qdq.h), in node order, so a tensor is planned before its readers.
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
                            detail::is_default_domain(n) && n.output_size() == 1;
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

// The rewrite of one planned graph into its QDQ form: new initializers and Q/DQ nodes, placed so
// the node list stays topologically sorted (weight DQs before their reader, pairs after their
// producer, the input's pair first).
class Rewrite {
 public:
  Rewrite(onnx::GraphProto* g, const Plan& plan, const QdqOptions& opt)
      : g_(g), plan_(plan), opt_(opt), idx_(*g), prefix_(unused_prefix(*g)) {}

  Status run(const std::map<std::string, Range>& ranges, QdqSummary* summary) {
    if (Status s = compute_params(ranges, summary); !s.ok()) return s;
    for (const Anchor& a : plan_.anchors) {
      // Names of the node's weight tensors come from its output as the float model had it.
      // Short generated names (k0, k1, ...) for the weight tensors: on a network of many narrow
      // layers (MobileNetV2's depthwise convolutions) long names are a visible part of the file.
      const std::string base = prefix_ + "k" + std::to_string(weights_++);
      if (a.absorbed >= 0) {
        g_->mutable_node(a.node)->set_output(0, g_->node(a.absorbed).output(0));
        removed_.insert(a.absorbed);
        ++summary->absorbed_activations;
      }
      if (a.kind == Kind::Conv || a.kind == Kind::Gemm)
        if (Status s = quantize_weights(a, base); !s.ok()) return s;
    }
    place_pairs();
    rebuild_nodes();
    return {};
  }

 private:
  Status compute_params(const std::map<std::string, Range>& ranges, QdqSummary* summary) {
    for (const QTensor& t : plan_.tensors) {
      if (!t.share_from.empty()) {
        params_[t.name] = params_.at(t.share_from);
        param_names_[t.name] = param_names_.at(t.share_from);
        continue;
      }
      auto r = ranges.find(t.name);
      if (r == ranges.end()) return failure("no calibrated range for tensor '" + t.name + "'");
      Range range = r->second;
      if (t.floor_zero) range.min = 0;
      auto q = activation_qparams(range, opt_.activations, t.name);
      if (!q.ok()) return q.error();
      params_[t.name] = *q;
      const std::string id = short_name(t.name);
      param_names_[t.name] = {id + "s", id + "z"};
      detail::set_floats(g_->add_initializer(), id + "s", {}, {q->scale});
      if (opt_.activations == Activations::U8)
        detail::set_uint8s(g_->add_initializer(), id + "z", {},
                           {static_cast<uint8_t>(q->zero_point)});
      else
        detail::set_int8s(g_->add_initializer(), id + "z", {},
                          {static_cast<int8_t>(q->zero_point)});
      summary->tensors.push_back({{"name", t.name},
                                  {"min", range.min},
                                  {"max", range.max},
                                  {"scale", q->scale},
                                  {"zero_point", q->zero_point}});
    }
    return {};
  }

  onnx::NodeProto dq_node(const std::string& name, const std::string& q, const std::string& scale,
                          const std::string& zero, const std::string& out, int axis) {
    onnx::NodeProto n;
    n.set_op_type("DequantizeLinear");
    (void)name;  // the nodes the rewrite adds stay unnamed (names are optional): smaller files
    n.add_input(q);
    n.add_input(scale);
    if (!zero.empty()) n.add_input(zero);  // absent: 0, ONNX's default
    n.add_output(out);
    if (axis >= 0) {
      auto* a = n.add_attribute();
      a->set_name("axis");
      a->set_type(onnx::AttributeProto::INT);
      a->set_i(axis);
    }
    return n;
  }

  // Int8 per-channel weight and int32 bias behind DequantizeLinear nodes placed before the node.
  Status quantize_weights(const Anchor& a, const std::string& base) {
    onnx::NodeProto* n = g_->mutable_node(a.node);
    const onnx::TensorProto& wt = *idx_.init(n->input(1));
    auto w = detail::float_values(wt);
    if (!w.ok()) return w.error();
    const std::vector<int64_t> dims(wt.dims().begin(), wt.dims().end());
    const int axis = a.kind == Kind::Gemm && detail::int_attribute(*n, "transB", 0) == 0 ? 1 : 0;
    const size_t channels = static_cast<size_t>(dims[static_cast<size_t>(axis)]);
    std::vector<float> bias;
    if (n->input_size() > 2 && !n->input(2).empty()) {
      auto b = detail::float_values(*idx_.init(n->input(2)));
      if (!b.ok()) return b.error();
      bias = std::move(b).value();
      if (bias.size() != channels)
        return bad_input("bias '" + n->input(2) + "' does not have one value per output channel");
    }
    if (a.absorbed >= 0 && (a.alpha != 1 || a.beta != 0)) {  // HardSigmoid: clip(alpha y + beta)
      for (float& v : *w) v *= a.alpha;
      if (bias.empty()) bias.assign(channels, 0.0f);
      for (float& v : bias) v = a.alpha * v + a.beta;
    }
    const ChannelQuantized q = quantize_per_channel(*w, dims, axis, opt_.reduce_range);
    auto& pre = pre_[a.node];
    detail::set_int8s(g_->add_initializer(), base + "q", dims, q.values);
    detail::set_floats(g_->add_initializer(), base + "s", {int64_t(channels)}, q.scales);
    pre.push_back(dq_node(base + "D", base + "q", base + "s", "", base + "w", axis));
    n->set_input(1, base + "w");
    if (bias.empty()) return {};
    // Bias in int32 with scale = input scale x weight scale: what QLinearConv and QGemm add.
    const float x_scale = params_.at(n->input(0)).scale;
    std::vector<float> b_scale(channels);
    std::vector<int32_t> b_q(channels);
    const double limit = std::numeric_limits<int32_t>::max();
    for (size_t c = 0; c < channels; ++c) {
      b_scale[c] = x_scale * q.scales[c];
      const double v = b_scale[c] > 0 ? std::nearbyint(bias[c] / double(b_scale[c])) : 0.0;
      b_q[c] = static_cast<int32_t>(std::clamp(v, -limit, limit));
    }
    detail::set_int32s(g_->add_initializer(), base + "bq", {int64_t(channels)}, b_q);
    detail::set_floats(g_->add_initializer(), base + "bs", {int64_t(channels)}, b_scale);
    pre.push_back(dq_node(base + "bD", base + "bq", base + "bs", "", base + "b", 0));
    if (n->input_size() > 2)
      n->set_input(2, base + "b");
    else
      n->add_input(base + "b");
    return {};
  }

  // A pair per planned tensor t, with generated names (short_name(t) = s): the producer writes
  // "<s>f", Q makes "<s>q", DQ writes "<t>" back, so readers and graph outputs keep their names.
  // The graph input cannot be renamed: its readers are pointed at "<s>d" instead.
  void place_pairs() {
    std::map<std::string, int> producer;
    for (int i = 0; i < g_->node_size(); ++i)
      if (!removed_.count(i))
        for (const auto& o : g_->node(i).output()) producer[o] = i;
    for (const QTensor& t : plan_.tensors) {
      const auto& [scale, zero] = param_names_.at(t.name);
      std::vector<onnx::NodeProto>* where = &front_;
      std::string from = t.name, to = t.name;
      if (auto p = producer.find(t.name); p != producer.end()) {
        onnx::NodeProto* n = g_->mutable_node(p->second);
        for (int o = 0; o < n->output_size(); ++o)
          if (n->output(o) == t.name) n->set_output(o, short_name(t.name) + "f");
        from = short_name(t.name) + "f";
        where = &post_[p->second];
      } else {
        to = short_name(t.name) + "d";
        for (auto& n : *g_->mutable_node())
          for (int s = 0; s < n.input_size(); ++s)
            if (n.input(s) == t.name) n.set_input(s, to);
      }
      onnx::NodeProto q;
      q.set_op_type("QuantizeLinear");

      for (const std::string& in : {from, scale, zero}) q.add_input(in);
      q.add_output(short_name(t.name) + "q");
      where->push_back(q);
      where->push_back(dq_node("", short_name(t.name) + "q", scale, zero, to, -1));
    }
  }

  void rebuild_nodes() {
    google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
    for (auto& n : front_) *nodes.Add() = n;
    for (int i = 0; i < g_->node_size(); ++i) {
      if (removed_.count(i)) continue;
      for (auto& n : pre_[i]) *nodes.Add() = n;
      *nodes.Add() = g_->node(i);
      for (auto& n : post_[i]) *nodes.Add() = n;
    }
    g_->mutable_node()->Swap(&nodes);
  }

  onnx::GraphProto* g_;
  const Plan& plan_;
  const QdqOptions& opt_;
  const GraphIndex idx_;
  std::map<std::string, QParams> params_;
  std::map<std::string, std::pair<std::string, std::string>> param_names_;  // scale, zero point
  // Generated names: a0, a1, ... per quantized activation tensor, k0, k1, ... per weighted node.
  std::map<std::string, std::string> short_names_;
  int weights_ = 0;
  std::string prefix_;
  const std::string& short_name(const std::string& tensor) {
    auto it = short_names_.find(tensor);
    if (it == short_names_.end())
      it = short_names_.emplace(tensor, prefix_ + "a" + std::to_string(short_names_.size())).first;
    return it->second;
  }
  // "_" (or "__", ...): a prefix no name in the float graph starts with, so generated names
  // cannot collide with the model's own.
  static std::string unused_prefix(const onnx::GraphProto& g) {
    std::vector<const std::string*> names;
    for (const auto& n : g.node()) {
      for (const auto& x : n.input()) names.push_back(&x);
      for (const auto& x : n.output()) names.push_back(&x);
    }
    for (const auto& t : g.initializer()) names.push_back(&t.name());
    for (const auto& v : g.input()) names.push_back(&v.name());
    std::string prefix = "_";
    while (std::any_of(names.begin(), names.end(),
                       [&](const std::string* x) { return x->rfind(prefix, 0) == 0; }))
      prefix += "_";
    return prefix;
  }
  std::set<int> removed_;
  std::vector<onnx::NodeProto> front_;
  std::map<int, std::vector<onnx::NodeProto>> pre_, post_;
};

int64_t initializer_bytes(const onnx::GraphProto& g) {
  int64_t n = 0;
  for (const auto& t : g.initializer()) n += static_cast<int64_t>(t.raw_data().size());
  return n;
}

}  // namespace

ChannelQuantized quantize_per_channel(const std::vector<float>& w, const std::vector<int64_t>& dims,
                                      int axis, bool reduce_range) {
  size_t inner = 1;
  for (size_t d = static_cast<size_t>(axis) + 1; d < dims.size(); ++d)
    inner *= static_cast<size_t>(dims[d]);
  const size_t channels = static_cast<size_t>(dims[static_cast<size_t>(axis)]);
  const double qmax = weight_qmax(reduce_range);
  ChannelQuantized q;
  std::vector<float> absmax(channels, 0.0f);
  for (size_t e = 0; e < w.size(); ++e) {
    const size_t c = (e / inner) % channels;
    absmax[c] = std::max(absmax[c], std::fabs(w[e]));
  }
  for (float m : absmax) q.scales.push_back(m > 0 ? static_cast<float>(m / qmax) : 1.0f);
  q.values.resize(w.size());
  for (size_t e = 0; e < w.size(); ++e) {
    const double v = std::nearbyint(w[e] / static_cast<double>(q.scales[(e / inner) % channels]));
    q.values[e] = static_cast<int8_t>(std::clamp(v, -qmax, qmax));
  }
  return q;
}

struct QdqModel::Impl {
  onnx::ModelProto model;  // the float model, batch-norm folded
  int folded = 0;
  std::vector<int64_t> input_shape;
  std::vector<std::string> calibrate;
  std::vector<std::string> calibrate_outputs;  // their names in the calibration model
};

QdqModel::QdqModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
QdqModel::QdqModel(QdqModel&&) noexcept = default;
QdqModel& QdqModel::operator=(QdqModel&&) noexcept = default;
QdqModel::~QdqModel() = default;

std::vector<int64_t> QdqModel::input_shape() const { return impl_->input_shape; }
int QdqModel::folded_batchnorms() const { return impl_->folded; }
const std::vector<std::string>& QdqModel::calibration_tensors() const { return impl_->calibrate; }
const std::vector<std::string>& QdqModel::calibration_outputs() const {
  return impl_->calibrate_outputs;
}

Result<QdqModel> QdqModel::prepare(const std::string& bytes) {
  auto impl = std::make_unique<Impl>();
  if (!impl->model.ParseFromString(bytes) || !impl->model.has_graph())
    return bad_input("not an ONNX model (protobuf parse failed)");
  onnx::GraphProto* g = impl->model.mutable_graph();
  {
    const GraphIndex idx(*g);
    if (Status s = check_float_model(impl->model, idx, &impl->input_shape); !s.ok())
      return s.error();
  }
  auto folded = detail::fold_batchnorms(g);
  if (!folded.ok()) return folded.error();
  impl->folded = *folded;
  detail::remove_unused(g);
  const GraphIndex idx(*g);
  // Ranges for both placements (see qdq.h); tensors that share another's parameters need none.
  std::set<std::string> seen;
  int convs = 0;
  for (bool outputs : {true, false}) {
    const Plan p = make_plan(*g, idx, outputs);
    for (const Anchor& a : p.anchors) convs += a.kind == Kind::Conv;
    for (const QTensor& t : p.tensors)
      if (t.share_from.empty() && seen.insert(t.name).second) impl->calibrate.push_back(t.name);
  }
  if (convs == 0) return bad_input("the model has no Conv with a constant weight to quantize");
  for (const std::string& t : impl->calibrate)
    impl->calibrate_outputs.push_back(
        std::find(idx.inputs.begin(), idx.inputs.end(), t) != idx.inputs.end() ? t + "_calibration"
                                                                               : t);
  return QdqModel(std::move(impl));
}

Result<std::string> QdqModel::calibration_model() const {
  onnx::ModelProto m = impl_->model;
  onnx::GraphProto* g = m.mutable_graph();
  const GraphIndex idx(*g);
  for (size_t i = 0; i < impl_->calibrate.size(); ++i) {
    const std::string &t = impl_->calibrate[i], &name = impl_->calibrate_outputs[i];
    if (idx.outputs.count(t)) continue;
    if (name != t) {  // a graph input cannot also be an output: expose it through an Identity
      auto* n = g->add_node();
      n->set_op_type("Identity");
      n->set_name(name);
      n->add_input(t);
      n->add_output(name);
    }
    auto* o = g->add_output();
    o->set_name(name);
    o->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  }
  std::string bytes;
  if (!m.SerializeToString(&bytes)) return failure("cannot serialize the calibration model");
  return bytes;
}

Result<std::string> QdqModel::quantize(const std::map<std::string, Range>& ranges,
                                       const QdqOptions& options, const std::string& metadata,
                                       QdqSummary* summary) const {
  QdqSummary local;
  QdqSummary& sum = summary ? *summary : local;
  sum = QdqSummary();
  onnx::ModelProto m = impl_->model;
  onnx::GraphProto* g = m.mutable_graph();
  sum.float_weight_bytes = initializer_bytes(*g);
  Plan plan;
  {
    const GraphIndex idx(*g);
    plan = make_plan(*g, idx, options.conv_outputs);
  }
  for (const auto& n : g->node()) sum.convs += n.op_type() == "Conv";
  for (const Anchor& a : plan.anchors) {
    ++sum.quantized_ops;
    const std::string& out =
        a.absorbed >= 0 ? g->node(a.absorbed).output(0) : g->node(a.node).output(0);
    sum.quantized_convs += a.kind == Kind::Conv && plan.index.count(out);
  }
  sum.qdq_tensors = static_cast<int>(plan.tensors.size());
  Rewrite rewrite(g, plan, options);
  if (Status s = rewrite.run(ranges, &sum); !s.ok()) return s.error();
  detail::remove_unused(g);
  sum.int8_weight_bytes = initializer_bytes(*g);
  auto* prop = m.add_metadata_props();
  prop->set_key("paramscale.quantization");
  prop->set_value(metadata);
  if (Status s = onnx_export::check_model(m, "the quantized model is invalid"); !s.ok())
    return s.error();
  std::string bytes;
  if (!m.SerializeToString(&bytes)) return failure("cannot serialize the quantized model");
  return bytes;
}

}  // namespace paramscale::quantize
