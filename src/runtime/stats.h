// runtime/stats: summary statistics of latency samples, computed after the timed loop.
//
// summarize() never reorders the caller's samples (it sorts a copy). Percentiles use linear
// interpolation between closest ranks (numpy's default, "type 7"): p-th percentile of n sorted
// samples x[0..n-1] is x[h] interpolated at h = (n-1)*p/100. stddev is the sample standard
// deviation (n-1 denominator; 0 for one sample); cv = stddev / mean. An empty sample set gives all
// zeros.
#pragma once

#include <cstddef>
#include <vector>

namespace paramscale::runtime {

struct LatencyStats {
  size_t runs = 0;
  double min = 0, mean = 0, median = 0, p90 = 0, p95 = 0, p99 = 0, max = 0;
  double stddev = 0, cv = 0;  // cv: coefficient of variation (stddev / mean)
  double total = 0;           // sum of the samples
};

// p in [0, 100]; `sorted` ascending and non-empty.
double percentile(const std::vector<double>& sorted, double p);

LatencyStats summarize(const std::vector<double>& samples);

// The distribution-free 95% confidence interval of the median from order statistics: with n
// samples sorted, the ranks n/2 -+ 1.96 sqrt(n)/2 (1-based, lower rounded down, upper up, clamped
// to the sample). `relative` = the larger distance from the median to an end, over the median.
// Needs at least 1 sample; `samples` is taken by value (it is partially reordered).
struct MedianInterval {
  double lo = 0, hi = 0, median = 0, relative = 0;
};
MedianInterval median_ci95(std::vector<double> samples);

}  // namespace paramscale::runtime
