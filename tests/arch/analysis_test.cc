#include <gtest/gtest.h>

#include "arch/analysis.h"
#include "arch/families.h"

using namespace paramscale::arch;

namespace {
// input 1x4x4 -> conv(2ch,3x3) -> relu -> conv(1ch,1x1) -> add(with input) -> flatten -> linear(3)
Network residual_toy() {
  Network net;
  net.dataset = {"toy", 1, 4, 4, 3, false};
  NetworkBuilder b(net);
  const int in = b.input({1, 4, 4});
  int x = b.conv("a", in, 2, 3, 1, 1, true);
  x = b.relu("b", x);
  x = b.conv("c", x, 1, 1, 1, 0, false);
  x = b.add("d", x, in);
  x = b.flatten("e", x);
  b.linear("f", x, 3);
  return net;
}
}  // namespace

// Hand-computed: bytes are fp32 x batch; the input stays alive until the add reads it.
TEST(PeakActivation, ResidualBranchKeepsInputAlive) {
  const Network net = residual_toy();
  const std::vector<int64_t> live = live_activation_bytes(net, 1);
  EXPECT_EQ(live, (std::vector<int64_t>{64, 192, 320, 256, 192, 64, 76}));
  const Analysis a = analyze(net, 1);
  EXPECT_EQ(a.peak_activation_bytes, 320);
  EXPECT_EQ(a.peak_layer, 2);
  EXPECT_EQ(a.activation_sum_bytes, 64 + 128 + 128 + 64 + 64 + 0 + 12);
}

TEST(PeakActivation, ScalesLinearlyWithBatch) {
  const Network net = residual_toy();
  EXPECT_EQ(analyze(net, 8).peak_activation_bytes, 8 * 320);
}

TEST(Analysis, ToyParamsMacsAndWeightBytes) {
  const Analysis a = analyze(residual_toy());
  // conv a: 1*2*9 + 2 = 20; conv c: 2*1 = 2; linear f: 16*3 + 3 = 51.
  EXPECT_EQ(a.params, 20 + 2 + 51);
  // conv a: 2*4*4 outputs x 9; conv c: 16 x 2; linear: 16*3.
  EXPECT_EQ(a.macs, 2 * 16 * 9 + 16 * 2 + 48);
  EXPECT_EQ(a.weight_bytes, 4 * a.params);
}

TEST(Analysis, BatchNormRunningStatsCountAsWeightBytesNotParams) {
  Network net;
  NetworkBuilder b(net);
  b.batch_norm("bn", b.input({5, 2, 2}));
  const Analysis a = analyze(net);
  EXPECT_EQ(a.params, 10);
  EXPECT_EQ(a.weight_bytes, 4 * 20);
}

TEST(Analysis, DepthwiseConvCountsPerGroup) {
  Network net;
  NetworkBuilder b(net);
  b.conv("dw", b.input({8, 4, 4}), 8, 3, 2, 1, true, 8);
  const Layer& l = net.layers[1];
  EXPECT_EQ(l.out, (Shape{8, 2, 2}));
  EXPECT_EQ(layer_params(l), 8 * 9 + 8);
  EXPECT_EQ(layer_macs(l), 8 * 2 * 2 * 9);
}

// The proxy count equals the true count at 1.0x for VGG-11 and ResNet-50, misses MobileNetV2's 3x3
// stem factor (768 at 1.0x), and for PreAct-ResNet-18 misses the TinyImageNet stride-only shortcut.
TEST(ProxyCount, DiffersFromTrueCountExactlyWhereDocumented) {
  const auto c10 = *dataset_preset("cifar10");
  const auto tin = *dataset_preset("tinyimagenet");
  auto both = [](Family f, const DatasetShape& d) {
    const Network n = *build_network(f, d, base_widths(f));
    return std::make_pair(param_count(n), proxy_param_count(n));
  };
  auto [vt, vp] = both(Family::VGG11, c10);
  EXPECT_EQ(vt, vp);
  auto [rt, rp] = both(Family::ResNet50, c10);
  EXPECT_EQ(rt, rp);
  auto [mt, mp] = both(Family::MobileNetV2, c10);
  EXPECT_EQ(mt - mp, 768);
  auto [pt, pp] = both(Family::PreActResNet18, c10);
  EXPECT_EQ(pt, pp);
  auto [qt, qp] = both(Family::PreActResNet18, tin);
  EXPECT_EQ(qt - qp, 64 * 64);
}

TEST(ProxyCount, PreActFormulaAtOddWidths) {
  // Widths where every block output differs from its input: every shortcut counted.
  std::vector<int> w(17);
  for (int i = 0; i < 17; ++i) w[i] = 3 + i;
  const Network n = *build_network(Family::PreActResNet18, *dataset_preset("cifar10"), w);
  int64_t expect = 3 * w[0] * 9 + 2 * w[0];
  for (int i = 1; i < 17; ++i) expect += int64_t{w[i - 1]} * w[i] * 9 + 2 * w[i];
  for (int i = 2; i < 17; i += 2) expect += int64_t{w[i - 2]} * w[i];
  expect += w[16] * 10 + 10;
  EXPECT_EQ(proxy_param_count(n), expect);
  EXPECT_EQ(param_count(n), expect);  // same network, all shortcuts present: proxy == true
}
