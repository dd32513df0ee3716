// OpenCV DNN (Debian's 4.6) loads every family's export and agrees with ONNX Runtime: the ReLU6
// encoding (HardSigmoid, its 6 folded into the next weights) is one both importers accept.
#include <gtest/gtest.h>

#include <opencv2/core/utility.hpp>
#include <opencv2/dnn.hpp>

#include <algorithm>
#include <cmath>

#include "arch/families.h"
#include "export/onnx_export.h"
#include "export/ort_runner.h"
#include "support/ir_reference.h"

namespace paramscale {
namespace {

struct Case {
  arch::Family family;
  bool fold_batchnorm;
  bool uneven = false;  // NeuralScale-like widths (MobileNetV2: an identity shortcut on a ReLU6)
};

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  return std::string(arch::family_name(info.param.family)) +
         (info.param.fold_batchnorm ? "_folded" : "_kept") + (info.param.uneven ? "_uneven" : "");
}

std::vector<float> run_opencv(const std::string& bytes, const std::vector<float>& input,
                              const std::vector<int64_t>& shape64) {
  const std::vector<int> shape(shape64.begin(), shape64.end());
  cv::setNumThreads(1);
  cv::dnn::Net net = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
  net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  cv::Mat blob(static_cast<int>(shape.size()), shape.data(), CV_32F);
  std::copy(input.begin(), input.end(), blob.ptr<float>());
  net.setInput(blob);
  const cv::Mat out = net.forward().clone();
  return std::vector<float>(out.ptr<float>(), out.ptr<float>() + out.total());
}

class OpenCvParity : public ::testing::TestWithParam<Case> {};

// Small budget (width:0.25), calibrated BN statistics (logits O(1-10), as after training), one
// seeded input: OpenCV's logits equal ORT's to 1e-4, and ORT's equal the float64 IR reference.
TEST_P(OpenCvParity, OpenCvMatchesOrtWithin1e4) {
  const Case c = GetParam();
  std::vector<int> widths = arch::base_widths(c.family);
  for (size_t i = 0; i < widths.size(); ++i)
    widths[i] = c.uneven ? std::max(1, static_cast<int>(widths[i] * (0.12 + 0.11 * (i % 4))))
                         : std::max(1, widths[i] / 4);
  auto net = arch::build_network(c.family, *arch::dataset_preset("cifar10"), widths);
  ASSERT_TRUE(net.ok()) << net.error().message;
  arch::Weights weights = arch::random_weights(*net, 3);
  const arch::Shape in = net->layers[0].out;
  test::calibrate_batchnorm(*net, weights,
                            test::test_input(static_cast<size_t>(in.elements() * 2), 5), 2);
  const auto m = onnx_export::export_onnx(*net, weights, {1, c.fold_batchnorm});
  ASSERT_TRUE(m.ok()) << m.error().message;

  const std::vector<float> x = test::test_input(static_cast<size_t>(in.elements()), 17);
  const auto ort = test::run_ort(m->bytes, x, {1, in.c, in.h, in.w});
  std::vector<float> ocv;
  try {
    ocv = run_opencv(m->bytes, x, {1, in.c, in.h, in.w});
  } catch (const std::exception& e) {
    FAIL() << "OpenCV DNN rejected the export: " << e.what();
  }
  const std::vector<double> ref = test::reference_forward(*net, weights, x, 1);
  ASSERT_EQ(ocv.size(), static_cast<size_t>(net->dataset.classes));
  ASSERT_EQ(ort.values.size(), ocv.size());
  double worst = 0, worst_ref = 0, largest = 0;
  for (size_t i = 0; i < ocv.size(); ++i) {
    worst = std::max(worst, std::fabs(double(ocv[i]) - ort.values[i]));
    worst_ref = std::max(worst_ref, std::fabs(ort.values[i] - ref[i]));
    largest = std::max(largest, std::fabs(ref[i]));
  }
  std::printf("[ opencv ] %-28s max|logit| %8.3g  opencv-vs-ort %.2g  ort-vs-ref %.2g\n",
              case_name({c, 0}).c_str(), largest, worst, worst_ref);
  EXPECT_LE(worst, 1e-4);
  EXPECT_LE(worst_ref, 1e-4);
  EXPECT_GT(largest, 1e-2) << "degenerate outputs prove nothing";
}

INSTANTIATE_TEST_SUITE_P(AllFamilies, OpenCvParity,
                         ::testing::Values(Case{arch::Family::VGG11, false},
                                           Case{arch::Family::MobileNetV2, false},
                                           Case{arch::Family::MobileNetV2, true},
                                           Case{arch::Family::MobileNetV2, false, true},
                                           Case{arch::Family::PreActResNet18, false},
                                           Case{arch::Family::ResNet50, false},
                                           Case{arch::Family::ResNet50, true}),
                         case_name);

}  // namespace

}  // namespace paramscale
