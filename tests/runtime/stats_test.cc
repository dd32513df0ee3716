// runtime/stats: exact percentiles and moments on hand-made samples.
#include "runtime/stats.h"

#include <gtest/gtest.h>

using paramscale::runtime::percentile;
using paramscale::runtime::summarize;

TEST(Stats, OneToTenInAnyOrder) {
  const auto s = summarize({7, 3, 10, 1, 5, 2, 9, 4, 8, 6});
  EXPECT_EQ(s.runs, 10u);
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 10);
  EXPECT_DOUBLE_EQ(s.mean, 5.5);
  EXPECT_DOUBLE_EQ(s.total, 55);
  EXPECT_DOUBLE_EQ(s.median, 5.5);                   // h = 4.5
  EXPECT_DOUBLE_EQ(s.p90, 9.1);                      // h = 8.1
  EXPECT_DOUBLE_EQ(s.p95, 9.55);                     // h = 8.55
  EXPECT_DOUBLE_EQ(s.p99, 9.91);                     // h = 8.91
  EXPECT_NEAR(s.stddev, 3.0276503540974917, 1e-12);  // sqrt(82.5 / 9)
  EXPECT_NEAR(s.cv, 3.0276503540974917 / 5.5, 1e-12);
}

TEST(Stats, OddCountMedianIsMiddleSample) {
  const auto s = summarize({2, 100, 1});
  EXPECT_DOUBLE_EQ(s.median, 2);
  EXPECT_DOUBLE_EQ(s.p90, 80.4);  // h = 1.8: 2 + 0.8 * 98
}

TEST(Stats, SingleSampleHasZeroSpread) {
  const auto s = summarize({4.25});
  EXPECT_DOUBLE_EQ(s.median, 4.25);
  EXPECT_DOUBLE_EQ(s.p99, 4.25);
  EXPECT_DOUBLE_EQ(s.stddev, 0);
}

TEST(Stats, EmptyIsAllZero) {
  const auto s = summarize({});
  EXPECT_EQ(s.runs, 0u);
  EXPECT_DOUBLE_EQ(s.mean, 0);
}

TEST(Stats, PercentileEndpoints) {
  const std::vector<double> v = {1, 2, 4, 8};
  EXPECT_DOUBLE_EQ(percentile(v, 0), 1);
  EXPECT_DOUBLE_EQ(percentile(v, 100), 8);
  EXPECT_DOUBLE_EQ(percentile(v, 50), 3);
}
