// Graph index, initializer access, batch-norm folding and clean-up; see onnx_graph.h.
#include "quantize/onnx_graph.h"

#include <cmath>
#include <cstring>
#include <optional>

namespace paramscale::quantize::detail {

GraphIndex::GraphIndex(const onnx::GraphProto& g) {
  for (const auto& t : g.initializer()) initializers[t.name()] = &t;
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& n = g.node(i);
    for (int s = 0; s < n.input_size(); ++s)
      if (!n.input(s).empty()) consumers[n.input(s)].push_back({i, s});
    for (const auto& o : n.output()) producer[o] = i;
  }
  for (const auto& o : g.output()) outputs.insert(o.name());
  for (const auto& in : g.input())
    if (!initializers.count(in.name())) inputs.push_back(in.name());
}

const onnx::TensorProto* GraphIndex::init(const std::string& name) const {
  auto it = initializers.find(name);
  return it == initializers.end() ? nullptr : it->second;
}

int GraphIndex::only_consumer(const std::string& tensor) const {
  auto it = consumers.find(tensor);
  if (it == consumers.end() || it->second.size() != 1 || outputs.count(tensor)) return -1;
  return it->second[0].first;
}

bool is_default_domain(const onnx::NodeProto& n) {
  return n.domain().empty() || n.domain() == "ai.onnx";
}

const onnx::AttributeProto* attribute(const onnx::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

int64_t int_attribute(const onnx::NodeProto& n, const std::string& name, int64_t fallback) {
  const auto* a = attribute(n, name);
  return a && a->type() == onnx::AttributeProto::INT ? a->i() : fallback;
}

float float_attribute(const onnx::NodeProto& n, const std::string& name, float fallback) {
  const auto* a = attribute(n, name);
  return a && a->type() == onnx::AttributeProto::FLOAT ? a->f() : fallback;
}

int64_t elements(const onnx::TensorProto& t) {
  int64_t n = 1;
  for (int64_t d : t.dims()) n *= d;
  return n;
}

Result<std::vector<float>> float_values(const onnx::TensorProto& t) {
  if (t.data_type() != onnx::TensorProto::FLOAT)
    return bad_input("initializer '" + t.name() + "' is not float32");
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    return bad_input("initializer '" + t.name() + "' is stored outside the model file");
  const int64_t n = elements(t);
  std::vector<float> v(static_cast<size_t>(n));
  if (!t.raw_data().empty()) {
    if (t.raw_data().size() != v.size() * sizeof(float))
      return bad_input("initializer '" + t.name() + "' has the wrong number of bytes");
    std::memcpy(v.data(), t.raw_data().data(), t.raw_data().size());
  } else {
    if (t.float_data_size() != n)
      return bad_input("initializer '" + t.name() + "' has the wrong number of values");
    std::copy(t.float_data().begin(), t.float_data().end(), v.begin());
  }
  return v;
}

Result<float> float_scalar(const GraphIndex& idx, const std::string& name) {
  const onnx::TensorProto* t = idx.init(name);
  if (!t) return bad_input("'" + name + "' is not a constant");
  auto v = float_values(*t);
  if (!v.ok()) return v.error();
  if (v->size() != 1) return bad_input("'" + name + "' is not a scalar");
  return v->front();
}

namespace {
template <typename T>
void set_raw(onnx::TensorProto* t, const std::string& name, const std::vector<int64_t>& dims,
             const std::vector<T>& values, int type) {
  t->Clear();
  t->set_name(name);
  t->set_data_type(type);
  for (int64_t d : dims) t->add_dims(d);
  t->set_raw_data(
      std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T)));
}
}  // namespace

void set_floats(onnx::TensorProto* t, const std::string& name, const std::vector<int64_t>& dims,
                const std::vector<float>& values) {
  set_raw(t, name, dims, values, onnx::TensorProto::FLOAT);
}
void set_int8s(onnx::TensorProto* t, const std::string& name, const std::vector<int64_t>& dims,
               const std::vector<int8_t>& values) {
  set_raw(t, name, dims, values, onnx::TensorProto::INT8);
}
void set_uint8s(onnx::TensorProto* t, const std::string& name, const std::vector<int64_t>& dims,
                const std::vector<uint8_t>& values) {
  set_raw(t, name, dims, values, onnx::TensorProto::UINT8);
}
void set_int32s(onnx::TensorProto* t, const std::string& name, const std::vector<int64_t>& dims,
                const std::vector<int32_t>& values) {
  set_raw(t, name, dims, values, onnx::TensorProto::INT32);
}

namespace {

// A Conv's weight and bias with the BatchNormalization that reads it folded in.
struct Folded {
  std::vector<float> weight, bias;
  std::vector<int64_t> weight_dims;
};

// Nothing (not a foldable pair: a weight or statistic computed at run time, training mode, shapes
// that do not match), the folded tensors, or an Error for an unreadable initializer.
Result<std::optional<Folded>> fold_pair(const GraphIndex& idx, const onnx::NodeProto& conv,
                                        const onnx::NodeProto& bn) {
  const std::optional<Folded> no;
  const onnx::TensorProto* w = conv.input_size() > 1 ? idx.init(conv.input(1)) : nullptr;
  if (!w || w->dims_size() < 3 || bn.input_size() != 5 || bn.output_size() != 1 ||
      int_attribute(bn, "training_mode", 0) != 0)
    return no;
  std::vector<std::vector<float>> p;  // scale, B, mean, var
  for (int k = 1; k < 5; ++k) {
    const onnx::TensorProto* t = idx.init(bn.input(k));
    if (!t) return no;
    auto v = float_values(*t);
    if (!v.ok()) return v.error();
    p.push_back(std::move(v).value());
  }
  auto wv = float_values(*w);
  if (!wv.ok()) return wv.error();
  const size_t m = static_cast<size_t>(w->dims(0));
  for (const auto& v : p)
    if (v.size() != m) return no;
  Folded f{
      std::move(wv).value(), std::vector<float>(m, 0.0f), {w->dims().begin(), w->dims().end()}};
  if (conv.input_size() > 2 && !conv.input(2).empty()) {
    const onnx::TensorProto* b = idx.init(conv.input(2));
    if (!b) return no;
    auto bv = float_values(*b);
    if (!bv.ok()) return bv.error();
    if (bv->size() != m) return no;
    f.bias = std::move(bv).value();
  }
  const double eps = float_attribute(bn, "epsilon", 1e-5f);
  const size_t per = f.weight.size() / m;
  for (size_t o = 0; o < m; ++o) {
    const double s = p[0][o] / std::sqrt(static_cast<double>(p[3][o]) + eps);
    for (size_t k = 0; k < per; ++k)
      f.weight[o * per + k] = static_cast<float>(f.weight[o * per + k] * s);
    f.bias[o] = static_cast<float>((static_cast<double>(f.bias[o]) - p[2][o]) * s + p[1][o]);
  }
  return std::optional<Folded>(std::move(f));
}

}  // namespace

Result<int> fold_batchnorms(onnx::GraphProto* g) {
  const GraphIndex idx(*g);
  std::set<int> removed;
  int folded = 0;
  for (int i = 0; i < g->node_size(); ++i) {
    const onnx::NodeProto& bn = g->node(i);
    if (bn.op_type() != "BatchNormalization" || !is_default_domain(bn)) continue;
    auto p = idx.producer.find(bn.input(0));
    if (p == idx.producer.end()) continue;
    onnx::NodeProto* conv = g->mutable_node(p->second);
    if (conv->op_type() != "Conv" || !is_default_domain(*conv) ||
        idx.only_consumer(conv->output(0)) != i)
      continue;
    auto folded_pair = fold_pair(idx, *conv, bn);
    if (!folded_pair.ok()) return folded_pair.error();
    if (!folded_pair->has_value()) continue;
    const Folded* f = &**folded_pair;
    // New initializers (the old ones may be shared); unused ones are dropped by remove_unused.
    const std::string base = bn.output(0);
    set_floats(g->add_initializer(), base + "_folded_weight", f->weight_dims, f->weight);
    set_floats(g->add_initializer(), base + "_folded_bias", {f->weight_dims[0]}, f->bias);
    conv->set_input(1, base + "_folded_weight");
    if (conv->input_size() > 2)
      conv->set_input(2, base + "_folded_bias");
    else
      conv->add_input(base + "_folded_bias");
    conv->set_output(0, bn.output(0));
    removed.insert(i);
    ++folded;
  }
  google::protobuf::RepeatedPtrField<onnx::NodeProto> kept;
  for (int i = 0; i < g->node_size(); ++i)
    if (!removed.count(i)) *kept.Add() = g->node(i);
  g->mutable_node()->Swap(&kept);
  return folded;
}

void remove_unused(onnx::GraphProto* g) {
  std::set<std::string> used;
  for (const auto& n : g->node())
    for (const auto& in : n.input()) used.insert(in);
  for (const auto& o : g->output()) used.insert(o.name());
  google::protobuf::RepeatedPtrField<onnx::TensorProto> inits;
  std::set<std::string> dropped;
  for (auto& t : *g->mutable_initializer()) {
    if (used.count(t.name()))
      inits.Add()->Swap(&t);
    else
      dropped.insert(t.name());
  }
  g->mutable_initializer()->Swap(&inits);
  google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> inputs;
  for (auto& in : *g->mutable_input())
    if (!dropped.count(in.name())) inputs.Add()->Swap(&in);
  g->mutable_input()->Swap(&inputs);
  g->clear_value_info();
}

}  // namespace paramscale::quantize::detail
