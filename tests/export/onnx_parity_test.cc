// Exported models run by ONNX Runtime agree with the naive IR reference, with BN kept or folded,
// for every family at two budgets; node, initializer and parameter counts equal the IR's.
#include <gtest/gtest.h>
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "arch/analysis.h"
#include "arch/families.h"
#include "export/onnx_export.h"
#include "export/ort_runner.h"
#include "support/ir_reference.h"

namespace paramscale {
namespace {

using arch::Op;

struct Case {
  arch::Family family;
  const char* dataset;
  double width;  // uniform width multiplier (width:r budget); < 0: uneven NeuralScale-like widths
  int batch;
};

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  std::string s =
      std::string(arch::family_name(info.param.family)) + "_" + info.param.dataset +
      (info.param.width > 0 ? "_w" + std::to_string(static_cast<int>(info.param.width * 100))
                            : std::string("_uneven"));
  std::replace(s.begin(), s.end(), '-', '_');
  return s;
}

arch::Network network_for(const Case& c) {
  std::vector<int> widths = arch::base_widths(c.family);
  for (size_t i = 0; i < widths.size(); ++i) {
    const double r = c.width > 0 ? c.width : 0.12 + 0.11 * static_cast<double>(i % 4);
    widths[i] = std::max(1, static_cast<int>(std::floor(widths[i] * r)));
  }
  auto net = arch::build_network(c.family, *arch::dataset_preset(c.dataset), widths);
  if (!net.ok()) throw std::runtime_error(net.error().message);
  return *net;
}

double max_abs_diff(const std::vector<float>& a, const std::vector<double>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

struct Diffs {
  double ref_max = 0;  // largest |logit|
  double noise = 0;    // float32 storage error alone (reference rounded per layer vs not)
  double kept = 0, folded = 0, folded_vs_kept = 0;
};

// Runs the model exported with BN kept and with BN folded on ORT and compares with the reference.
Diffs compare(const arch::Network& net, const arch::Weights& weights, int batch) {
  const arch::Shape in = net.layers[0].out;
  const std::vector<float> x = test::test_input(static_cast<size_t>(in.elements() * batch), 11);
  const std::vector<double> ref = test::reference_forward(net, weights, x, batch);
  const std::vector<double> rounded = test::reference_forward(net, weights, x, batch, true);
  Diffs d;
  for (size_t i = 0; i < ref.size(); ++i) {
    d.ref_max = std::max(d.ref_max, std::abs(ref[i]));
    d.noise = std::max(d.noise, std::abs(ref[i] - rounded[i]));
  }
  const auto kept = onnx_export::export_onnx(net, weights);
  const auto folded = onnx_export::export_onnx(net, weights, {0, true});
  if (!kept.ok() || !folded.ok()) throw std::runtime_error("export failed");
  const std::vector<int64_t> shape = {batch, in.c, in.h, in.w};
  const auto out_kept = test::run_ort(kept->bytes, x, shape);
  const auto out_folded = test::run_ort(folded->bytes, x, shape);
  EXPECT_EQ(out_kept.shape, (std::vector<int64_t>{batch, net.dataset.classes}));
  EXPECT_EQ(out_folded.shape, out_kept.shape);
  d.kept = max_abs_diff(out_kept.values, ref);
  d.folded = max_abs_diff(out_folded.values, ref);
  d.folded_vs_kept =
      max_abs_diff(out_folded.values, {out_kept.values.begin(), out_kept.values.end()});
  return d;
}

void print(const char* kind, const Case& c, const Diffs& d) {
  std::printf(
      "[ %s ] %-30s max|logit| %8.3g  fp32-noise %.2g  kept %.2g  folded %.2g  "
      "folded-vs-kept %.2g\n",
      kind, case_name({c, 0}).c_str(), d.ref_max, d.noise, d.kept, d.folded, d.folded_vs_kept);
}

// A runtime that accumulates in float32 errs by a small multiple of the float32 storage error; an
// export bug (wrong padding, layout, fold) errs by O(1). 1e-4 is the requirement where the
// network's float32 noise allows it; beyond that, 16x the noise.
double bound(const Diffs& d) { return std::max(1e-4, 16 * d.noise); }

class ExportParity : public ::testing::TestWithParam<Case> {};

// Weights as training leaves them (BN statistics match the data): logits are O(1-10) for every
// family, so the absolute bound means the same everywhere.
TEST_P(ExportParity, OrtMatchesReferenceOnCalibratedWeights) {
  const Case c = GetParam();
  const arch::Network net = network_for(c);
  arch::Weights weights = arch::random_weights(net, 7);
  const arch::Shape in = net.layers[0].out;
  test::calibrate_batchnorm(net, weights,
                            test::test_input(static_cast<size_t>(in.elements() * 2), 5), 2);
  const Diffs d = compare(net, weights, c.batch);
  print("calibrated", c, d);
  // Uniform budgets: the plain 1e-4 requirement. Uneven widths (extra cases) may be worse
  // conditioned (narrow layers next to wide ones): the noise-relative bound.
  const double b = c.width > 0 ? 1e-4 : bound(d);
  EXPECT_LE(d.kept, b);
  EXPECT_LE(d.folded, b);
  EXPECT_LE(d.folded_vs_kept, b);
  EXPECT_GT(d.ref_max, 1e-2) << "degenerate outputs prove nothing";
}

// The CLI's default: seeded random weights with identity BN statistics. Deep residual families then
// produce logits in the hundreds (variance doubles per residual add), where float32 itself is
// coarser than 1e-4: the noise-relative bound.
TEST_P(ExportParity, OrtMatchesReferenceOnRawRandomWeights) {
  const Case c = GetParam();
  const arch::Network net = network_for(c);
  const Diffs d = compare(net, arch::random_weights(net, 7), c.batch);
  print("raw random", c, d);
  EXPECT_LE(d.kept, bound(d));
  EXPECT_LE(d.folded, bound(d));
  EXPECT_LE(d.folded_vs_kept, bound(d));
}

TEST_P(ExportParity, CountsEqualTheIrs) {
  const arch::Network net = network_for(GetParam());
  const arch::Weights weights = arch::random_weights(net, 1);
  int layers = 0, batchnorms = 0, foldable = 0;
  for (size_t i = 1; i < net.layers.size(); ++i) {
    const arch::Layer& l = net.layers[i];
    layers += l.op != Op::Gate;
    batchnorms += l.op == Op::BatchNorm;
    // Foldable: BN right after a conv (through a gate) whose output feeds nothing else.
    if (l.op == Op::BatchNorm) {
      int src = l.inputs[0];
      while (net.layers[src].op == Op::Gate) src = net.layers[src].inputs[0];
      int uses = 0;
      for (const auto& other : net.layers)
        if (other.op != Op::Gate)
          for (int k : other.inputs) {
            while (net.layers[k].op == Op::Gate) k = net.layers[k].inputs[0];
            uses += k == src;
          }
      foldable += net.layers[src].op == Op::Conv && uses == 1;
    }
  }
  const auto m = onnx_export::export_onnx(net, weights);
  ASSERT_TRUE(m.ok()) << m.error().message;
  // ReLU6 is one HardSigmoid node (its 6 lives in the next Conv's weights); a ReLU6 output read by
  // anything but a Conv or Linear (an identity shortcut's Add) goes through one Mul by "const.six".
  std::set<int> rescaled;
  for (const auto& l : net.layers)
    if (l.op == Op::Add || l.op == Op::BatchNorm)
      for (int k : l.inputs) {
        while (net.layers[k].op == Op::Gate) k = net.layers[k].inputs[0];
        if (net.layers[k].op == Op::ReLU6) rescaled.insert(k);
      }
  const int extra = static_cast<int>(rescaled.size());
  EXPECT_EQ(m->nodes, layers + extra);
  EXPECT_EQ(m->initializers, static_cast<int>(arch::weight_shapes(net).size()) + (extra ? 1 : 0));
  EXPECT_EQ(m->params, arch::param_count(net));
  EXPECT_EQ(m->folded_batchnorms, 0);

  onnx::ModelProto model;
  ASSERT_TRUE(model.ParseFromString(m->bytes));
  EXPECT_NO_THROW(onnx::checker::check_model(model));
  EXPECT_EQ(model.ir_version(), 8);
  ASSERT_EQ(model.opset_import_size(), 1);
  EXPECT_EQ(model.opset_import(0).version(), 13);
  EXPECT_EQ(model.graph().node_size(), layers + extra);
  int64_t params = 0;
  for (const auto& t : model.graph().initializer()) {
    const std::string& n = t.name();
    if (n.find("running_") != std::string::npos || n.rfind("const.", 0) == 0) continue;
    int64_t e = 1;
    for (int64_t d : t.dims()) e *= d;
    params += e;
    EXPECT_EQ(static_cast<int64_t>(t.raw_data().size()), e * 4) << n;
  }
  EXPECT_EQ(params, arch::param_count(net));

  const auto f = onnx_export::export_onnx(net, weights, {0, true});
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_GT(foldable, 0);
  EXPECT_EQ(f->folded_batchnorms, foldable);
  EXPECT_EQ(f->nodes, layers + extra - foldable);
  EXPECT_LT(f->initializers, m->initializers);
  onnx::ModelProto fm;
  ASSERT_TRUE(fm.ParseFromString(f->bytes));
  int bn_nodes = 0;
  for (const auto& n : fm.graph().node()) bn_nodes += n.op_type() == "BatchNormalization";
  EXPECT_EQ(bn_nodes, batchnorms - foldable);
}

INSTANTIATE_TEST_SUITE_P(Families, ExportParity,
                         ::testing::Values(Case{arch::Family::VGG11, "cifar10", 0.25, 2},
                                           Case{arch::Family::VGG11, "fashion-mnist", 0.5, 1},
                                           Case{arch::Family::PreActResNet18, "cifar10", 0.25, 2},
                                           Case{arch::Family::PreActResNet18, "cifar100", 0.5, 1},
                                           Case{arch::Family::MobileNetV2, "cifar10", 0.25, 2},
                                           Case{arch::Family::MobileNetV2, "tinyimagenet", 0.5, 1},
                                           Case{arch::Family::ResNet50, "cifar10", 0.25, 2},
                                           Case{arch::Family::ResNet50, "fashion-mnist", 0.5, 1},
                                           Case{arch::Family::VGG11, "cifar10", -1, 1},
                                           Case{arch::Family::PreActResNet18, "cifar10", -1, 1},
                                           Case{arch::Family::MobileNetV2, "cifar10", -1, 1},
                                           Case{arch::Family::ResNet50, "cifar10", -1, 1}),
                         case_name);

}  // namespace
}  // namespace paramscale
