#include "scaling/fit.h"

#include <gtest/gtest.h>

#include <cmath>

#include "reference_data.h"
#include "scaling/fit_file.h"

namespace paramscale::scaling {
namespace {

TEST(FitLine, ExactLine) {
  const Result<LineFit> f = fit_line({0, 1, 2}, {1, 3, 5});
  ASSERT_TRUE(f.ok());
  EXPECT_DOUBLE_EQ(f->slope, 2);
  EXPECT_DOUBLE_EQ(f->intercept, 1);
  EXPECT_DOUBLE_EQ(f->r2, 1);
}

TEST(FitLine, HandComputedLeastSquares) {
  // slope = Sxy/Sxx = 3/5, intercept = 1 - 0.6 * 1.5, SSres = 0.2, SStot = 2.
  const Result<LineFit> f = fit_line({0, 1, 2, 3}, {0, 1, 1, 2});
  ASSERT_TRUE(f.ok());
  EXPECT_NEAR(f->slope, 0.6, 1e-15);
  EXPECT_NEAR(f->intercept, 0.1, 1e-15);
  EXPECT_NEAR(f->r2, 0.9, 1e-15);
}

TEST(FitLine, NeedsTwoDistinctPoints) {
  EXPECT_FALSE(fit_line({1}, {1}).ok());
  EXPECT_FALSE(fit_line({2, 2}, {1, 3}).ok());
}

TEST(FitTrace, RejectsWrongWidthCountAndSingleRow) {
  const arch::DatasetShape cifar10;
  Trace seven;
  seven.rows = {{1, 2, 3, 4, 5, 6, 7}, {2, 3, 4, 5, 6, 7, 8}};
  const Result<PowerLaws> a = fit_trace(arch::Family::VGG11, cifar10, seven, CountMode::True);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().message, "trace has 7 widths per row, but vgg11 has 8");
  Trace one;
  one.rows = {{8, 8, 8, 8, 8, 8, 8, 8}};
  const Result<PowerLaws> b = fit_trace(arch::Family::VGG11, cifar10, one, CountMode::True);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message.find("two or more rows"), std::string::npos);
}

// The authors' iteration-15 traces, fitted with the proxy count, give back their published fit.
struct PublishedCase {
  const char* trace;
  const char* fit;
  arch::Family family;
  const char* dataset;
};

class PublishedFit : public ::testing::TestWithParam<PublishedCase> {};

TEST_P(PublishedFit, Iteration15IsReproducedTo1e9) {
  const std::string dir = test::neuralscale_dir();
  if (dir.empty()) GTEST_SKIP() << "NeuralScale reference data not found beside the repository";
  const PublishedCase& c = GetParam();
  const Result<Trace> trace = read_trace(dir + "/traces/" + c.trace);
  ASSERT_TRUE(trace.ok()) << trace.error().message;
  const Result<FitFile> published = read_fit_file(dir + "/fits/" + c.fit);
  ASSERT_TRUE(published.ok()) << published.error().message;
  const PowerLaws& want = published->iterations.at(14);
  ASSERT_EQ(want.iteration, 15);
  const Result<PowerLaws> got =
      fit_trace(c.family, *arch::dataset_preset(c.dataset), *trace, CountMode::Proxy);
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_EQ(got->layer_count(), want.layer_count());
  for (int l = 0; l < want.layer_count(); ++l) {
    EXPECT_NEAR(got->alpha[l], want.alpha[l], 1e-9 * std::fabs(want.alpha[l])) << "layer " << l;
    EXPECT_NEAR(got->beta[l], want.beta[l], 1e-9 * std::fabs(want.beta[l])) << "layer " << l;
    EXPECT_GT(got->r2[l], 0.5);
    EXPECT_LE(got->r2[l], 1.0);
  }
  EXPECT_EQ(got->rows, static_cast<int>(trace->rows.size()));
}

INSTANTIATE_TEST_SUITE_P(
    Traces, PublishedFit,
    ::testing::Values(PublishedCase{"vgg_10_eff_c10_14.csv", "vgg11_cifar10.json",
                                    arch::Family::VGG11, "cifar10"},
                      PublishedCase{"mobilenetv2_10_eff_c100_14.csv", "mobilenetv2_cifar100.json",
                                    arch::Family::MobileNetV2, "cifar100"},
                      PublishedCase{"resnet18_10_eff_c100_14.csv", "preact_resnet18_cifar100.json",
                                    arch::Family::PreActResNet18, "cifar100"}));

}  // namespace
}  // namespace paramscale::scaling
