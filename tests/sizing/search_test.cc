// sizing/search against synthetic latency curves: where it measures, what it answers.
#include "sizing/search.h"

#include <gtest/gtest.h>

#include <cmath>

namespace paramscale::sizing {
namespace {

// Latency proportional to the budget (1 ms at P = 1), memory 100 MB x P, optional per-run jitter.
MeasureFn linear(std::vector<double>* probed, double jitter = 0) {
  return [probed, jitter](double p, int repeats) -> Result<Probe> {
    probed->push_back(p);
    Probe out{static_cast<int64_t>(p * 1e6), static_cast<int64_t>(p * 1e8), {1}, {}};
    for (int r = 0; r < repeats; ++r)
      out.runs.push_back({p * (1 + (r % 2 ? jitter : -jitter)), 100 * p});
    return out;
  };
}

TEST(Search, BracketsThenBisectsToTheTolerance) {
  std::vector<double> probed;
  const auto r = size_to_limits({0.3, std::nullopt}, linear(&probed));
  ASSERT_TRUE(r.ok()) << r.error().message;
  // 1 -> 0.5 -> 0.25 brackets [0.25, 0.5]; bisection in log P to within 2%.
  ASSERT_GE(probed.size(), 4u);
  EXPECT_DOUBLE_EQ(probed[0], 1.0);
  EXPECT_DOUBLE_EQ(probed[1], 0.5);
  EXPECT_DOUBLE_EQ(probed[2], 0.25);
  EXPECT_NEAR(probed[3], std::sqrt(0.125), 1e-12);
  ASSERT_TRUE(r->best.has_value());
  ASSERT_TRUE(r->smallest_infeasible_above.has_value());
  const double best = r->points[*r->best].budget,
               above = r->points[*r->smallest_infeasible_above].budget;
  EXPECT_LE(best, 0.3);
  EXPECT_GT(above, 0.3);
  EXPECT_LE(above / best - 1, 0.02);
  EXPECT_FALSE(r->noise_warning);
  EXPECT_TRUE(r->non_monotone.empty());
  for (const Point& p : r->points) EXPECT_EQ(p.runs.size(), 2u);  // every point twice
  EXPECT_NE(r->summary.find("params:0.3"), std::string::npos) << r->summary;
}

TEST(Search, MemoryLimitBindsAndRangeEnds) {
  std::vector<double> probed;
  auto r = size_to_limits({10.0, 40.0}, linear(&probed));  // memory binds at P = 0.4
  ASSERT_TRUE(r.ok());
  EXPECT_LE(r->points[*r->best].budget, 0.4);
  EXPECT_NE(r->points[*r->smallest_infeasible_above].broken.find("memory"), std::string::npos);
  // Everything fits: the answer is the top of the range, measured.
  probed.clear();
  r = size_to_limits({100.0, std::nullopt}, linear(&probed));
  ASSERT_TRUE(r.ok());
  EXPECT_DOUBLE_EQ(r->points[*r->best].budget, 2.0);
  EXPECT_EQ(probed, (std::vector<double>{1.0, 2.0}));
  EXPECT_NE(r->summary.find("whole range"), std::string::npos);
  // Nothing fits: no answer, and the smallest measured point says by how much.
  probed.clear();
  r = size_to_limits({0.001, std::nullopt}, linear(&probed));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->best.has_value());
  EXPECT_DOUBLE_EQ(probed.back(), 0.02);
  EXPECT_NE(r->summary.find("no budget"), std::string::npos);
  EXPECT_NE(r->summary.find("params:0.02"), std::string::npos) << r->summary;
}

TEST(Search, NoiseAndNonMonotoneStepsAreReported) {
  std::vector<double> probed;
  // +-10% jitter: around the limit the two runs straddle it.
  auto r = size_to_limits({0.3, std::nullopt}, linear(&probed, 0.1));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->noise_warning);
  EXPECT_NE(r->summary.find("noise"), std::string::npos);
  // Budgets in (0.74, 0.78) are fast (their widths fill the runtime's channel blocks); just below
  // the limit's crossing, latency grows with P. The scan above the bracket finds the fast region.
  MeasureFn blocky = [](double p, int repeats) -> Result<Probe> {
    const double ms = p > 0.74 && p < 0.78 ? 0.3 : p;
    Probe out{static_cast<int64_t>(p * 1e6), 0, {1}, {}};
    for (int i = 0; i < repeats; ++i) out.runs.push_back({ms, 1});
    return out;
  };
  r = size_to_limits({0.6, std::nullopt}, blocky);
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(r->non_monotone.empty());
  const double best = r->points[*r->best].budget;
  EXPECT_GT(best, 0.74);
  EXPECT_LT(best, 0.78);
  bool smaller_fails = false;
  for (const Point& p : r->points)
    smaller_fails = smaller_fails || (!p.feasible && p.budget < best);
  EXPECT_TRUE(smaller_fails);
  // Without the scan (a monotone search), the answer stays below the crossing.
  SearchOptions plain;
  plain.scan_above = {};
  r = size_to_limits({0.6, std::nullopt}, blocky, plain);
  ASSERT_TRUE(r.ok());
  EXPECT_LE(r->points[*r->best].budget, 0.6);
  EXPECT_TRUE(r->non_monotone.empty());
}

TEST(Search, BadLimitsAndFailingMeasurements) {
  std::vector<double> probed;
  EXPECT_EQ(size_to_limits({0, std::nullopt}, linear(&probed)).error().exit_code, 2);
  EXPECT_EQ(size_to_limits({-1, std::nullopt}, linear(&probed)).error().exit_code, 2);
  EXPECT_EQ(size_to_limits({1, -5.0}, linear(&probed)).error().exit_code, 2);
  EXPECT_EQ(size_to_limits({NAN, std::nullopt}, linear(&probed)).error().exit_code, 2);
  EXPECT_TRUE(probed.empty());
  MeasureFn broken = [](double, int) -> Result<Probe> { return failure("device gone"); };
  const auto r = size_to_limits({1, std::nullopt}, broken);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "device gone");
  MeasureFn once = [](double p, int) -> Result<Probe> { return Probe{1, 1, {1}, {{p, 1}}}; };
  EXPECT_NE(size_to_limits({1, std::nullopt}, once).error().message.find("1 run(s)"),
            std::string::npos);
}

}  // namespace
}  // namespace paramscale::sizing
