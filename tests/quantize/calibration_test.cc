// quantize/calibration: min/max, percentile and entropy ranges against hand-computed answers.
#include "quantize/calibration.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace paramscale::quantize {
namespace {

TEST(Calibration, ParsesMethodNames) {
  EXPECT_EQ(*parse_calibration("minmax"), Calibration::MinMax);
  EXPECT_EQ(*parse_calibration("percentile"), Calibration::Percentile);
  EXPECT_EQ(*parse_calibration("entropy"), Calibration::Entropy);
  const auto bad = parse_calibration("kl");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("'kl'"), std::string::npos);
}

TEST(Calibration, MinMaxSpansEveryBatch) {
  TensorStats s;
  const float a[] = {-1.0f, 3.0f, 2.0f}, b[] = {0.5f, -0.25f};
  s.observe(a, 3);
  s.observe(b, 2);
  EXPECT_FALSE(s.begin_histogram(Calibration::MinMax));  // one pass is enough
  const auto r = s.range(Calibration::MinMax, 0, "t");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->min, -1.0);
  EXPECT_EQ(r->max, 3.0);
  EXPECT_EQ(s.count(), 5u);
}

TEST(Calibration, NanOrInfIsAnErrorNamingTheTensor) {
  for (float bad :
       {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    TensorStats s;
    const float v[] = {1.0f, bad, 2.0f};
    s.observe(v, 3);
    EXPECT_FALSE(s.finite());
    const auto r = s.range(Calibration::MinMax, 0, "conv3_out");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().exit_code, 2);
    EXPECT_NE(r.error().message.find("conv3_out"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("NaN or Inf"), std::string::npos) << r.error().message;
  }
}

TEST(Calibration, NoValuesIsAnError) {
  TensorStats s;
  EXPECT_FALSE(s.range(Calibration::MinMax, 0, "empty").ok());
}

// 100 bins of width 1; one value in the middle of each.
Histogram one_per_bin(double lo) {
  Histogram h(lo, lo + 100, 100, false);
  for (int k = 0; k < 100; ++k) {
    const float v = static_cast<float>(lo + k + 0.5);
    h.add(&v, 1);
  }
  return h;
}

TEST(Calibration, PercentileReadsBinEdgesWhereTheCountCrossesTheTarget) {
  // Non-negative: the 95th percentile is reached in bin 94, whose right edge is 95.
  const Range up = percentile_range(one_per_bin(0), 95, /*nonnegative=*/true);
  EXPECT_EQ(up.min, 0);
  EXPECT_EQ(up.max, 95);
  // Signed, two-sided at 90: 90 values lie at or below bin 89 (right edge -50 + 90 = 40); more
  // than 10 lie at or below bin 10 (left edge -50 + 10 = -40).
  const Range two = percentile_range(one_per_bin(-50), 90, /*nonnegative=*/false);
  EXPECT_EQ(two.min, -40);
  EXPECT_EQ(two.max, 40);
  // 100 keeps everything.
  const Range all = percentile_range(one_per_bin(-50), 100, false);
  EXPECT_EQ(all.min, -50);
  EXPECT_EQ(all.max, 50);
}

TEST(Calibration, PercentileThroughTwoPassesClipsTheOutlier) {
  // Three values below 1 and one at 1000: the 75th percentile is the right edge of the first bin
  // of [0, 1000] / 2048 bins, where the three small ones fall.
  const std::vector<float> v = {0.1f, 0.2f, 0.3f, 1000.0f};
  TensorStats s;
  s.observe(v.data(), v.size());
  ASSERT_TRUE(s.begin_histogram(Calibration::Percentile));
  s.observe_histogram(v.data(), v.size());
  const auto r = s.range(Calibration::Percentile, 75, "t");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->min, 0);
  EXPECT_DOUBLE_EQ(r->max, 1000.0 / 2048);
  // At 100 the outlier stays in.
  EXPECT_EQ(s.range(Calibration::Percentile, 100, "t")->max, 1000.0);
}

TEST(Calibration, EntropyPicksTheLeastDivergentClipping) {
  // Computed by hand: with 2 levels, clipping [8,4,2,1,1,0,1,0] after 3 bins gives KL 0.0238,
  // every other threshold more (2: 0.081, 4: 0.071, 5: 0.058, 8: 0.220).
  EXPECT_EQ(entropy_threshold_bins({8, 4, 2, 1, 1, 0, 1, 0}, 2), 3u);
  EXPECT_EQ(entropy_threshold_bins({10, 6, 3, 2, 1, 1, 0, 1}, 2), 3u);
  // A slowly decaying histogram loses least by keeping everything (KL 0.0158 at 8 bins, 0.0251 at
  // 7).
  EXPECT_EQ(entropy_threshold_bins({5, 3, 2, 2, 1, 1, 1, 1}, 4), 8u);
}

TEST(Calibration, EntropyOfAUniformBlockIsItsEdge) {
  // Mass spread evenly over the first 512 of 2048 bins quantizes without loss at 512 bins (KL 0);
  // any tighter clipping piles mass into the last bin, and ties go to the smaller threshold.
  std::vector<uint64_t> counts(2048, 0);
  for (int k = 0; k < 512; ++k) counts[k] = 1000;
  EXPECT_EQ(entropy_threshold_bins(counts, 128), 512u);
}

TEST(Calibration, EntropyRangeOfASignedTensorStaysWithinItsValues) {
  // Values in [-0.5, 2]: the symmetric threshold t from |x| is cut back to the observed minimum.
  std::vector<float> v;
  for (int k = 0; k <= 250; ++k) v.push_back(-0.5f + k / 100.0f);
  TensorStats s;
  s.observe(v.data(), v.size());
  ASSERT_TRUE(s.begin_histogram(Calibration::Entropy));
  s.observe_histogram(v.data(), v.size());
  const auto r = s.range(Calibration::Entropy, 0, "t");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->min, -0.5f);
  EXPECT_GT(r->max, 0.0);
  EXPECT_LE(r->max, 2.0f);
}

TEST(Calibration, EntropyOfAReluLikeTensorIgnoresItsZeros) {
  // A ReLU output: half exact zeros, the rest exponentially distributed (quantiles of exp(-x), the
  // largest 10.6). The zeros stay out of the divergence, so the threshold clips only the sparse
  // tail: above an eighth of the maximum (where 128 levels start merging bins), below the maximum.
  std::vector<float> v(20000, 0.0f);
  for (int k = 0; k < 20000; ++k)
    v.push_back(static_cast<float>(-std::log(1 - (k + 0.5) / 20000.0)));
  TensorStats s;
  s.observe(v.data(), v.size());
  ASSERT_TRUE(s.begin_histogram(Calibration::Entropy));
  s.observe_histogram(v.data(), v.size());
  const auto r = s.range(Calibration::Entropy, 0, "relu");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->min, 0);
  EXPECT_GT(r->max, s.max() / 8);
  EXPECT_LT(r->max, s.max());
}

}  // namespace
}  // namespace paramscale::quantize
