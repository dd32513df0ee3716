// The exported ONNX model computes what the trained libtorch model computes: for every family at two
// budgets, ONNX Runtime's logits equal libtorch's (eval mode, calibrated BN statistics) to <= 1e-4.
#include <gtest/gtest.h>

#include "arch/families.h"
#include "export/onnx_export.h"
#include "export/ort_runner.h"
#include "nn/model.h"
#include "scaling/budget.h"

using namespace paramscale;

class TorchOnnxParity : public ::testing::TestWithParam<std::tuple<arch::Family, double>> {};

TEST_P(TorchOnnxParity, OrtMatchesLibtorch) {
  const auto [family, ratio] = GetParam();
  torch::manual_seed(7);
  const auto dataset = *arch::dataset_preset("cifar10");
  const auto widths = scaling::uniform_widths(arch::base_widths(family), ratio);
  const arch::Network net = *arch::build_network(family, dataset, widths);
  nn::Model model(net);
  // Calibrate BN running statistics the way training leaves them (a few batches in train mode).
  {
    torch::NoGradGuard no_grad;
    model->train();
    for (int i = 0; i < 3; ++i) model->forward(torch::randn({8, 3, 32, 32}));
  }
  model->eval();
  const torch::Tensor x = torch::randn({2, 3, 32, 32});
  torch::Tensor expected;
  {
    torch::NoGradGuard no_grad;
    expected = model->forward(x).contiguous();
  }
  const auto exported = onnx_export::export_onnx(net, model->to_weights());
  ASSERT_TRUE(exported.ok()) << exported.error().message;
  const std::vector<float> input(x.data_ptr<float>(), x.data_ptr<float>() + x.numel());
  const auto got = test::run_ort(exported->bytes, input, {2, 3, 32, 32});
  ASSERT_EQ(got.shape, (std::vector<int64_t>{2, 10}));
  double max_diff = 0;
  for (int64_t i = 0; i < expected.numel(); ++i)
    max_diff = std::max(max_diff, std::fabs(double(got.values[i]) - expected.data_ptr<float>()[i]));
  EXPECT_LE(max_diff, 1e-4) << arch::family_name(family) << " width:" << ratio;
}

INSTANTIATE_TEST_SUITE_P(AllFamilies, TorchOnnxParity,
                         ::testing::Combine(::testing::ValuesIn(arch::all_families()),
                                            ::testing::Values(0.25, 0.5)));
