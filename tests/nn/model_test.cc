// nn/model: forward shapes, parameter counts, names, initialisation, gates and weight round trips.
#include "nn/model.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "arch/analysis.h"
#include "arch/families.h"
#include "support/temp_dir.h"

using namespace paramscale;

namespace {

// Small widths: every base width divided by `div` (at least 2).
std::vector<int> small_widths(arch::Family f, int div) {
  std::vector<int> w = arch::base_widths(f);
  for (int& x : w) x = std::max(2, x / div);
  return w;
}

arch::Network small_net(arch::Family f, const std::string& dataset = "cifar10", bool gated = false) {
  auto ds = arch::dataset_preset(dataset);
  auto net = arch::build_network(f, *ds, small_widths(f, 16), gated);
  EXPECT_TRUE(net.ok()) << net.error().message;
  return *net;
}

}  // namespace

TEST(Model, ForwardShapesAndParamCountsForEveryFamily) {
  torch::manual_seed(0);
  for (arch::Family f : arch::all_families()) {
    for (const char* dataset : {"cifar100", "fashion-mnist"}) {
      const arch::Network net = small_net(f, dataset);
      nn::Model m(net);
      m->eval();
      const auto& in = net.layers[0].out;
      const torch::Tensor y = m->forward(torch::randn({3, in.c, in.h, in.w}));
      EXPECT_EQ(y.sizes(), (std::vector<int64_t>{3, net.dataset.classes})) << arch::family_name(f);
      int64_t params = 0;
      for (const auto& p : m->parameters()) params += p.numel();
      EXPECT_EQ(params, arch::param_count(net)) << arch::family_name(f) << " " << dataset;
    }
  }
}

TEST(Model, FullSizeVggMatchesPublishedParamCount) {
  auto net = arch::build_network(arch::Family::VGG11, *arch::dataset_preset("cifar10"),
                                 arch::base_widths(arch::Family::VGG11));
  ASSERT_TRUE(net.ok());
  nn::Model m(*net);
  int64_t params = 0;
  for (const auto& p : m->parameters()) params += p.numel();
  EXPECT_EQ(params, 9231114);
}

TEST(Model, SubmodulesNamedAfterIrLayers) {
  const arch::Network net = small_net(arch::Family::PreActResNet18);
  nn::Model m(net);
  const auto named = m->named_parameters();
  EXPECT_TRUE(named.contains("layer2_0_conv1.weight"));
  EXPECT_TRUE(named.contains("layer2_0_shortcut.weight"));
  EXPECT_TRUE(named.contains("final_bn.bias"));
  EXPECT_EQ(m->ir_name("layer2_0_conv1"), "layer2.0.conv1");
  EXPECT_EQ(nn::ModelImpl::torch_name("features.conv1.bn"), "features_conv1_bn");
}

TEST(Model, VggReferenceInitialisation) {
  torch::manual_seed(1);
  nn::Model m(small_net(arch::Family::VGG11));
  const auto p = m->named_parameters();
  EXPECT_TRUE(torch::all(p["features_conv1_bn.weight"] == 0.5).item<bool>());
  EXPECT_TRUE(torch::all(p["features_conv1_bn.bias"] == 0).item<bool>());
  EXPECT_TRUE(torch::all(p["features_conv3.bias"] == 0).item<bool>());
  EXPECT_TRUE(torch::all(p["classifier.bias"] == 0).item<bool>());
  EXPECT_LT(p["classifier.weight"].std().item<double>(), 0.02);
  // Kaiming-normal fan-out: std = sqrt(2 / (out * 3 * 3)).
  const torch::Tensor w = p["features_conv8.weight"];
  const double expected = std::sqrt(2.0 / (w.size(0) * 9));
  EXPECT_NEAR(w.std().item<double>(), expected, 0.15 * expected);
}

TEST(Model, GatesAreUntrainedBuffersOfOnes) {
  const arch::Network net = small_net(arch::Family::VGG11, "cifar10", /*gated=*/true);
  nn::Model m(net);
  m->eval();
  ASSERT_EQ(m->gates().size(), 8u);
  for (const auto& [layer, g] : m->gates()) {
    EXPECT_TRUE(torch::all(g == 1).item<bool>());
    EXPECT_FALSE(g.requires_grad());
  }
  EXPECT_TRUE(m->named_buffers().contains("features_conv1_gate"));
  int64_t params = 0;
  for (const auto& p : m->parameters()) params += p.numel();
  EXPECT_EQ(params, arch::param_count(net));
  const torch::Tensor x = torch::randn({2, 3, 32, 32});
  const torch::Tensor before = m->forward(x);
  m->gates().begin()->second.zero_();  // width 0
  EXPECT_FALSE(torch::allclose(before, m->forward(x)));
}

TEST(Model, WeightsRoundTripThroughFile) {
  paramscale::test::TempDir dir;
  for (arch::Family f : arch::all_families()) {
    const arch::Network net = small_net(f);
    torch::manual_seed(2);
    nn::Model a(net);
    {  // make the BN running statistics non-trivial
      torch::NoGradGuard g;
      a->train();
      a->forward(torch::randn({4, 3, 32, 32}));
    }
    a->eval();
    const arch::Weights w = a->to_weights();
    ASSERT_TRUE(arch::check_weights(net, w).ok());
    ASSERT_TRUE(arch::write_weights(dir / "w.psw", w).ok());
    auto back = arch::read_weights(dir / "w.psw");
    ASSERT_TRUE(back.ok()) << back.error().message;
    torch::manual_seed(3);
    nn::Model b(net);
    ASSERT_TRUE(b->load_weights(*back).ok());
    b->eval();
    const torch::Tensor x = torch::randn({2, 3, 32, 32});
    EXPECT_TRUE(torch::equal(a->forward(x), b->forward(x))) << arch::family_name(f);
    const arch::Weights again = b->to_weights();
    for (const auto& [name, t] : w) EXPECT_EQ(again.at(name).data, t.data) << name;
  }
}

TEST(Model, LoadWeightsRejectsWrongShapes) {
  nn::Model m(small_net(arch::Family::VGG11));
  arch::Weights w = m->to_weights();
  w["classifier.weight"].shape = {3, 3};
  const Status s = m->load_weights(w);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("classifier.weight"), std::string::npos);
}
