// nn/pruning: Taylor scores of gated channels, the global pruning step, and the PreAct gate sites.
#include "nn/pruning.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "arch/families.h"

using namespace paramscale;

namespace {

arch::Network gated(arch::Family f, int div) {
  std::vector<int> w = arch::base_widths(f);
  for (int& x : w) x = std::max(4, x / div);
  auto net = arch::build_network(f, *arch::dataset_preset("cifar10"), w, /*gated=*/true);
  EXPECT_TRUE(net.ok()) << net.error().message;
  return *net;
}

// One minibatch's backward pass on random data, with gates that record gradients.
void backward_once(nn::Model& m) {
  for (auto& [w, g] : m->gates()) g.requires_grad_(true);
  const torch::Tensor x = torch::randn({16, 3, 32, 32});
  const torch::Tensor y = torch::randint(0, 10, {16});
  torch::nn::functional::cross_entropy(m->forward(x), y).backward();
}

}  // namespace

TEST(Pruning, ClosedGatesScoreZeroAndDeadChannelsArePrunedFirst) {
  torch::manual_seed(3);
  nn::Model m(gated(arch::Family::VGG11, 16));
  m->train();
  {
    torch::NoGradGuard no_grad;
    m->gates().at(2)[1] = 0.0f;  // a channel pruned earlier
    // Dead channels: BN weight and bias 0 make their output 0, so their gate gradient is 0.
    auto params = m->named_parameters();
    params["features_conv4_bn.weight"][2] = 0.0f;
    params["features_conv4_bn.bias"][2] = 0.0f;
    params["features_conv6_bn.weight"][0] = 0.0f;
    params["features_conv6_bn.bias"][0] = 0.0f;
  }
  nn::ChannelScores scores(m);
  backward_once(m);
  scores.accumulate();
  backward_once(m);
  scores.accumulate();
  EXPECT_EQ(scores.batches(), 2);
  const auto avg = scores.average();
  EXPECT_EQ(avg.at(2)[1].item<double>(), 0.0);
  EXPECT_EQ(avg.at(3)[2].item<double>(), 0.0);
  EXPECT_EQ(avg.at(5)[0].item<double>(), 0.0);
  int positive = 0, total = 0;
  for (const auto& [w, s] : avg) {
    positive += s.gt(0).sum().item<int>();
    total += static_cast<int>(s.numel());
  }
  EXPECT_GT(positive, total * 3 / 4);  // live channels carry signal

  std::vector<int> live = nn::live_widths(m);
  const std::vector<int> before = live;
  EXPECT_EQ(live[2],
            static_cast<int>(m->gates().at(2).size(0)) - 1);  // the closed gate is not live
  ASSERT_EQ(nn::prune_lowest(m, avg, 2, 1, &live), 2);
  EXPECT_EQ(m->gates().at(3)[2].item<float>(), 0.0f);
  EXPECT_EQ(m->gates().at(5)[0].item<float>(), 0.0f);
  EXPECT_EQ(live[3], before[3] - 1);
  EXPECT_EQ(live[5], before[5] - 1);
  EXPECT_EQ(nn::live_widths(m), live);
  scores.reset();
  EXPECT_EQ(scores.batches(), 0);
  EXPECT_EQ(scores.average().at(0).sum().item<double>(), 0.0);
}

TEST(Pruning, RespectsMinimumWidthAndBreaksTiesByPosition) {
  nn::Model m(gated(arch::Family::VGG11, 16));
  std::map<int, torch::Tensor> scores;
  for (const auto& [w, g] : m->gates())
    scores[w] = torch::full({g.size(0)}, 1.0 + w, torch::kFloat64);
  scores[0].fill_(0.0);  // width 0 (4 channels) scores lowest, but may only lose one
  std::vector<int> live = nn::live_widths(m);
  ASSERT_EQ(live[0], 4);
  ASSERT_EQ(nn::prune_lowest(m, scores, 3, 3, &live), 3);
  EXPECT_EQ(live[0], 3);
  // Then the next-lowest width (1) in channel order.
  EXPECT_EQ(m->gates().at(0).eq(0).nonzero().view(-1)[0].item<int64_t>(), 0);
  EXPECT_EQ(m->gates().at(1)[0].item<float>(), 0.0f);
  EXPECT_EQ(m->gates().at(1)[1].item<float>(), 0.0f);
  EXPECT_EQ(m->gates().at(1)[2].item<float>(), 1.0f);
}

// A closed gate on a PreAct stream width removes the channel from the next pre-activation too:
// that channel's BN bias (which BatchNorm would turn into a constant input) no longer matters.
TEST(Pruning, PreActStreamGateMasksTheNextPreActivation) {
  torch::manual_seed(5);
  nn::Model m(gated(arch::Family::PreActResNet18, 16));
  m->eval();
  const torch::Tensor x = torch::randn({2, 3, 32, 32});
  torch::NoGradGuard no_grad;
  auto params = m->named_parameters();
  auto run_with_bias = [&](float b) {
    params["layer1_0_bn1.bias"][1] = b;
    return m->forward(x);
  };
  ASSERT_FALSE(torch::allclose(run_with_bias(0.0f), run_with_bias(5.0f)));  // open: it matters
  m->gates().at(0)[1] = 0.0f;
  EXPECT_TRUE(torch::equal(run_with_bias(0.0f), run_with_bias(5.0f)));
  // The stem width's two gate sites share one tensor.
  EXPECT_EQ(m->gates().size(), arch::base_widths(arch::Family::PreActResNet18).size());
}
