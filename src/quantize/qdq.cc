// The QDQ rewrite: checks, the plan of where Q/DQ pairs go, and the quantized model; see qdq.h.
#include "quantize/qdq.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "export/onnx_validate.h"
#include "quantize/onnx_graph.h"
#include "quantize/qdq_plan.h"
#include "quantize/qdq_rewrite.h"

namespace paramscale::quantize {

using detail::Anchor;
using detail::GraphIndex;
using detail::Kind;
using detail::Plan;
using detail::QTensor;

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
    if (Status s = detail::check_float_model(impl->model, idx, &impl->input_shape); !s.ok())
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
    const Plan p = detail::make_plan(*g, idx, outputs);
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
    plan = detail::make_plan(*g, idx, options.conv_outputs);
  }
  for (const auto& n : g->node()) sum.convs += n.op_type() == "Conv";
  for (const Anchor& a : plan.anchors) {
    ++sum.quantized_ops;
    const std::string& out =
        a.absorbed >= 0 ? g->node(a.absorbed).output(0) : g->node(a.node).output(0);
    sum.quantized_convs += a.kind == Kind::Conv && plan.index.count(out);
  }
  sum.qdq_tensors = static_cast<int>(plan.tensors.size());
  if (Status s = detail::rewrite_qdq(g, plan, options, ranges, &sum); !s.ok()) return s.error();
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
