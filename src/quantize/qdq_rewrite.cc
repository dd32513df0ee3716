// The QDQ rewrite of a planned graph; see qdq_rewrite.h.
#include "quantize/qdq_rewrite.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <vector>

namespace paramscale::quantize::detail {

namespace {

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
      set_floats(g_->add_initializer(), id + "s", {}, {q->scale});
      if (opt_.activations == Activations::U8)
        set_uint8s(g_->add_initializer(), id + "z", {}, {static_cast<uint8_t>(q->zero_point)});
      else
        set_int8s(g_->add_initializer(), id + "z", {}, {static_cast<int8_t>(q->zero_point)});
      summary->tensors.push_back({{"name", t.name},
                                  {"min", range.min},
                                  {"max", range.max},
                                  {"scale", q->scale},
                                  {"zero_point", q->zero_point}});
    }
    return {};
  }

  // The nodes the rewrite adds stay unnamed (names are optional): smaller files.
  onnx::NodeProto dq_node(const std::string& q, const std::string& scale, const std::string& zero,
                          const std::string& out, int axis) {
    onnx::NodeProto n;
    n.set_op_type("DequantizeLinear");
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
    auto w = float_values(wt);
    if (!w.ok()) return w.error();
    const std::vector<int64_t> dims(wt.dims().begin(), wt.dims().end());
    const int axis = a.kind == Kind::Gemm && int_attribute(*n, "transB", 0) == 0 ? 1 : 0;
    const size_t channels = static_cast<size_t>(dims[static_cast<size_t>(axis)]);
    std::vector<float> bias;
    if (n->input_size() > 2 && !n->input(2).empty()) {
      auto b = float_values(*idx_.init(n->input(2)));
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
    set_int8s(g_->add_initializer(), base + "q", dims, q.values);
    set_floats(g_->add_initializer(), base + "s", {int64_t(channels)}, q.scales);
    pre.push_back(dq_node(base + "q", base + "s", "", base + "w", axis));
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
    set_int32s(g_->add_initializer(), base + "bq", {int64_t(channels)}, b_q);
    set_floats(g_->add_initializer(), base + "bs", {int64_t(channels)}, b_scale);
    pre.push_back(dq_node(base + "bq", base + "bs", "", base + "b", 0));
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
      where->push_back(dq_node(short_name(t.name) + "q", scale, zero, to, -1));
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

}  // namespace

Status rewrite_qdq(onnx::GraphProto* g, const Plan& plan, const QdqOptions& options,
                   const std::map<std::string, Range>& ranges, QdqSummary* summary) {
  return Rewrite(g, plan, options).run(ranges, summary);
}

}  // namespace paramscale::quantize::detail
