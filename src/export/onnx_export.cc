// Graph construction: IR layers to ONNX nodes and initializers (see onnx_export.h).
#include "export/onnx_export.h"

#include "util/atomic_file.h"

#include <onnx/onnx_pb.h>

#include <cmath>
#include <set>

#include "arch/families.h"
#include "export/onnx_attributes.h"
#include "export/onnx_validate.h"
#include "util/version.h"

namespace paramscale::onnx_export {

namespace {
using arch::Layer;
using arch::Op;

class GraphBuilder {
 public:
  GraphBuilder(const arch::Network& net, const arch::Weights& weights, const Options& options)
      : net_(net), w_(weights), opt_(options), n_(static_cast<int>(net.layers.size())) {}

  Result<ExportedModel> build(onnx::ModelProto* model) {
    model->set_ir_version(kIrVersion);
    model->set_producer_name("paramscale");
    model->set_producer_version(PARAMSCALE_VERSION);
    auto* opset = model->add_opset_import();
    opset->set_domain("");
    opset->set_version(kOpset);
    g_ = model->mutable_graph();
    g_->set_name(arch::family_name(net_.family));
    std::string doc =
        std::string(arch::family_name(net_.family)) + " for " + net_.dataset.name + ", widths ";
    for (size_t i = 0; i < net_.widths.size(); ++i)
      doc += (i ? "," : "") + std::to_string(net_.widths[i]);
    g_->set_doc_string(doc);
    // The network itself, so tools reading the file (explain) can rebuild its IR and name layers.
    std::string widths;
    for (size_t i = 0; i < net_.widths.size(); ++i)
      widths += (i ? "," : "") + std::to_string(net_.widths[i]);
    for (const auto& [key, value] :
         {std::pair<std::string, std::string>{kMetaModel, arch::family_name(net_.family)},
          {kMetaDataset, net_.dataset.name},
          {kMetaWidths, widths}}) {
      auto* p = model->add_metadata_props();
      p->set_key(key);
      p->set_value(value);
    }
    plan();
    const Layer& in = net_.layers[0];
    add_value_info(g_->add_input(), "input", {in.out.c, in.out.h, in.out.w});
    for (int i = 1; i < n_; ++i) {
      Status s = emit(i);
      if (!s.ok()) return s.error();
    }
    const Layer& out = net_.output();
    if (rank_[source_[n_ - 1]] != 2)
      return failure("the network's output " + out.name + " is not a flat tensor");
    if (div_[source_[n_ - 1]] != 1.0)
      return failure("the network's output " + out.name + " is a ReLU6 output (not exportable)");
    add_value_info(g_->add_output(), "logits", {out.out.c});
    ExportedModel m;
    m.params = params_;
    m.nodes = g_->node_size();
    m.initializers = g_->initializer_size();
    m.folded_batchnorms = folded_;
    return m;
  }

  // Tensor name and expected per-sample dims of every emitted layer output (for the shape check).
  std::vector<std::pair<std::string, std::vector<int64_t>>> expected_shapes() const {
    std::vector<std::pair<std::string, std::vector<int64_t>>> e;
    for (int i = 1; i < n_; ++i) {
      const Layer& l = net_.layers[i];
      if (l.op == Op::Gate || fold_into_[i] >= 0) continue;
      if (rank_[i] == 2)
        e.push_back({tensor_[i], {l.out.c}});
      else
        e.push_back({tensor_[i], {l.out.c, l.out.h, l.out.w}});
    }
    return e;
  }

 private:
  void plan() {
    source_.resize(n_);
    std::vector<int> consumers(n_, 0);
    for (int i = 0; i < n_; ++i) {
      const Layer& l = net_.layers[i];
      source_[i] = l.op == Op::Gate ? source_[l.inputs[0]] : i;
      if (l.op != Op::Gate)
        for (int k : l.inputs) ++consumers[source_[k]];
    }
    ++consumers[source_[n_ - 1]];  // the graph output
    fold_into_.assign(n_, -1);
    if (opt_.fold_batchnorm)
      for (int j = 0; j < n_; ++j) {
        const Layer& l = net_.layers[j];
        if (l.op != Op::BatchNorm) continue;
        const int c = source_[l.inputs[0]];
        if (net_.layers[c].op == Op::Conv && consumers[c] == 1) fold_into_[c] = j;
      }
    tensor_.resize(n_);
    for (int i = 0; i < n_; ++i) tensor_[i] = i == 0 ? "input" : net_.layers[i].name;
    tensor_[source_[n_ - 1]] = "logits";
    for (int i = 0; i < n_; ++i) {
      if (fold_into_[i] >= 0) tensor_[i] = tensor_[fold_into_[i]];
    }
    for (int i = 0; i < n_; ++i) tensor_[i] = tensor_[source_[i]];
    rank_.assign(n_, 4);
    div_.assign(n_, 1.0);
  }

  void add_value_info(onnx::ValueInfoProto* v, const std::string& name,
                      const std::vector<int64_t>& dims) {
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    auto* shape = t->mutable_shape();
    if (opt_.batch > 0)
      shape->add_dim()->set_dim_value(opt_.batch);
    else
      shape->add_dim()->set_dim_param("batch");
    for (int64_t d : dims) shape->add_dim()->set_dim_value(d);
  }

  void add_init(const std::string& name, const std::vector<int64_t>& dims,
                const std::vector<float>& data) {
    auto* t = g_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t->add_dims(d);
    t->set_raw_data(
        std::string(reinterpret_cast<const char*>(data.data()), data.size() * sizeof(float)));
    if (is_param_name(name)) params_ += static_cast<int64_t>(data.size());
  }

  // Adds the named weight tensor, times `factor`, as an initializer; returns its name.
  std::string init(const std::string& name, double factor = 1.0) {
    const arch::Tensor& t = w_.at(name);
    if (factor == 1.0) {
      add_init(name, t.shape, t.data);
      return name;
    }
    std::vector<float> data = t.data;
    for (float& v : data) v = static_cast<float>(v * factor);
    add_init(name, t.shape, data);
    return name;
  }

  // Layer k's tensor at its true scale: a ReLU6 output is emitted divided by 6 (see emit), which
  // Conv and Gemm consumers absorb in their weights; any other consumer gets a Mul by "const.six".
  std::string unscaled(int k) {
    const int s = source_[k];
    if (div_[s] == 1.0) return tensor_[s];
    const std::string name = tensor_[s] + ".unscaled", factor = "const.six";
    if (unscaled_.empty()) add_init(factor, {}, {6.0f});
    if (unscaled_.insert(name).second) node("Mul", name, {tensor_[s], factor}, name);
    return name;
  }

  onnx::NodeProto* node(const char* op, const std::string& name, std::vector<std::string> inputs,
                        const std::string& output) {
    auto* nd = g_->add_node();
    nd->set_op_type(op);
    nd->set_name(name);
    for (auto& in : inputs) nd->add_input(in);
    nd->add_output(output);
    return nd;
  }

  // The conv's weight (times `in_div`, the divisor of its input tensor) and bias initializers.
  std::vector<std::string> conv_params(int i, double in_div) {
    const Layer& l = net_.layers[i];
    const std::string wname = l.name + ".weight", bname = l.name + ".bias";
    if (fold_into_[i] < 0) {
      std::vector<std::string> p = {init(wname, in_div)};
      if (l.bias) p.push_back(init(bname));
      return p;
    }
    // y = gamma * (conv(x) + b - mean) / sqrt(var + eps) + beta, per output channel.
    const std::string bn = net_.layers[fold_into_[i]].name;
    const auto& gamma = w_.at(bn + ".weight").data;
    const auto& beta = w_.at(bn + ".bias").data;
    const auto& mean = w_.at(bn + ".running_mean").data;
    const auto& var = w_.at(bn + ".running_var").data;
    arch::Tensor wt = w_.at(wname);
    std::vector<float> bias(static_cast<size_t>(l.out.c), 0.0f);
    if (l.bias) bias = w_.at(bname).data;
    const size_t per_out = wt.data.size() / static_cast<size_t>(l.out.c);
    for (size_t o = 0; o < static_cast<size_t>(l.out.c); ++o) {
      const double scale = gamma[o] / std::sqrt(static_cast<double>(var[o]) + kBatchNormEpsilon);
      for (size_t k = 0; k < per_out; ++k)
        wt.data[o * per_out + k] = static_cast<float>(wt.data[o * per_out + k] * scale * in_div);
      bias[o] = static_cast<float>((static_cast<double>(bias[o]) - mean[o]) * scale + beta[o]);
    }
    add_init(wname, wt.shape, wt.data);
    add_init(bname, {l.out.c}, bias);
    ++folded_;
    return {wname, bname};
  }

  void emit_conv(int i, std::vector<std::string> in, double xdiv) {
    const Layer& l = net_.layers[i];
    for (auto& p : conv_params(i, xdiv)) in.push_back(p);
    auto* nd = node("Conv", l.name, in, tensor_[i]);
    ints(nd, "kernel_shape", {l.kernel, l.kernel});
    ints(nd, "strides", {l.stride, l.stride});
    ints(nd, "pads", {l.padding, l.padding, l.padding, l.padding});
    ints(nd, "dilations", {1, 1});
    one_int(nd, "group", l.groups);
  }

  void emit_linear(int i, const std::string& x, int xr, double xdiv) {
    const Layer& l = net_.layers[i];
    std::vector<std::string> in = {x};
    if (xr == 4) {  // a Linear straight after a pool: flatten first
      in[0] = l.name + ".flatten";
      one_int(node("Flatten", in[0], {x}, in[0]), "axis", 1);
    }
    in.push_back(init(l.name + ".weight", xdiv));
    if (l.bias) in.push_back(init(l.name + ".bias"));
    one_int(node("Gemm", l.name, in, tensor_[i]), "transB", 1);
    rank_[i] = 2;
  }

  Status emit(int i) {
    const Layer& l = net_.layers[i];
    if (l.op == Op::Gate) {
      rank_[i] = rank_[source_[i]];
      return {};
    }
    const std::string x = tensor_[l.inputs[0]];
    const int xr = rank_[source_[l.inputs[0]]];
    const double xdiv = div_[source_[l.inputs[0]]];
    rank_[i] = xr;
    // Relu, MaxPool, GlobalAveragePool and Flatten commute with a positive scale: pass it on.
    if (l.op == Op::ReLU || l.op == Op::MaxPool || l.op == Op::GlobalAvgPool || l.op == Op::Flatten)
      div_[i] = xdiv;
    if (xr != 4 && (l.op == Op::Conv || l.op == Op::MaxPool || l.op == Op::GlobalAvgPool))
      return failure("layer " + l.name + " needs a 4-D input");
    std::vector<std::string> in = {x};
    switch (l.op) {
      case Op::Conv:
        emit_conv(i, in, xdiv);
        return {};
      case Op::BatchNorm:
        if (net_.layers[source_[l.inputs[0]]].op == Op::Conv &&
            fold_into_[source_[l.inputs[0]]] == i)
          return {};  // folded into its conv
        in[0] = unscaled(l.inputs[0]);
        for (const char* k : {".weight", ".bias", ".running_mean", ".running_var"})
          in.push_back(init(l.name + k));
        one_float(node("BatchNormalization", l.name, in, tensor_[i]), "epsilon", kBatchNormEpsilon);
        return {};
      case Op::ReLU:
        node("Relu", l.name, in, tensor_[i]);
        return {};
      case Op::ReLU6: {
        // relu6(x) / 6 = HardSigmoid(x; alpha 1/6, beta 0): one op that ONNX Runtime fuses into the
        // preceding Conv and OpenCV 4.6 imports (it rejects Clip with min/max inputs, opset >= 11).
        auto* nd = node("HardSigmoid", l.name, in, tensor_[i]);
        one_float(nd, "alpha", static_cast<float>(xdiv / 6.0));
        one_float(nd, "beta", 0.0f);
        div_[i] = 6.0;
        return {};
      }
      case Op::MaxPool: {
        auto* nd = node("MaxPool", l.name, in, tensor_[i]);
        ints(nd, "kernel_shape", {l.kernel, l.kernel});
        ints(nd, "strides", {l.stride, l.stride});
        return {};
      }
      case Op::GlobalAvgPool:
        node("GlobalAveragePool", l.name, in, tensor_[i]);
        return {};
      case Op::Add:
        node("Add", l.name, {unscaled(l.inputs[0]), unscaled(l.inputs[1])}, tensor_[i]);
        return {};
      case Op::Flatten:
        one_int(node("Flatten", l.name, in, tensor_[i]), "axis", 1);
        rank_[i] = 2;
        return {};
      case Op::Linear:
        emit_linear(i, x, xr, xdiv);
        return {};
      case Op::Input:
      case Op::Gate:
        break;
    }
    return failure(std::string("cannot export layer ") + l.name + " (" + arch::op_name(l.op) + ")");
  }

  const arch::Network& net_;
  const arch::Weights& w_;
  const Options opt_;
  const int n_;
  onnx::GraphProto* g_ = nullptr;
  std::vector<int> source_, fold_into_, rank_;
  std::vector<double> div_;  // true tensor = emitted tensor × div_ (6 for a ReLU6 output, else 1)
  std::set<std::string> unscaled_;
  std::vector<std::string> tensor_;
  int64_t params_ = 0;
  int folded_ = 0;
};
}  // namespace

Result<ExportedModel> export_onnx(const arch::Network& net, const arch::Weights& weights,
                                  const Options& options) {
  if (options.batch < 0) return bad_input("batch size must be positive (or 0 for dynamic)");
  if (net.layers.size() < 2 || net.layers[0].op != Op::Input)
    return bad_input("network has no layers to export");
  Status ok = arch::check_weights(net, weights);
  if (!ok.ok()) return ok.error();
  onnx::ModelProto model;
  GraphBuilder builder(net, weights, options);
  Result<ExportedModel> m = builder.build(&model);
  if (!m.ok()) return m;
  ok = validate_model(model, builder.expected_shapes(), options.batch);
  if (!ok.ok()) return ok.error();
  if (!model.SerializeToString(&m->bytes)) return failure("cannot serialize the ONNX model");
  return m;
}

Result<ExportedModel> write_onnx(const std::string& path, const arch::Network& net,
                                 const arch::Weights& weights, const Options& options) {
  Result<ExportedModel> m = export_onnx(net, weights, options);
  if (!m.ok()) return m;
  Status s = write_file_atomic(path, m->bytes);
  if (!s.ok()) return s.error();
  return m;
}

}  // namespace paramscale::onnx_export
