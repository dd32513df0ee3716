#include "runtime/stats.h"

#include <algorithm>
#include <cmath>

namespace paramscale::runtime {

double percentile(const std::vector<double>& sorted, double p) {
  const double h = (static_cast<double>(sorted.size()) - 1.0) * p / 100.0;
  const size_t lo = static_cast<size_t>(std::floor(h));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

LatencyStats summarize(const std::vector<double>& samples) {
  LatencyStats s;
  if (samples.empty()) return s;
  std::vector<double> sorted = samples;
  std::sort(sorted.begin(), sorted.end());
  s.runs = sorted.size();
  for (double x : sorted) s.total += x;
  s.mean = s.total / static_cast<double>(s.runs);
  double ss = 0;
  for (double x : sorted) ss += (x - s.mean) * (x - s.mean);
  s.stddev = s.runs > 1 ? std::sqrt(ss / static_cast<double>(s.runs - 1)) : 0.0;
  s.cv = s.mean > 0 ? s.stddev / s.mean : 0.0;
  s.min = sorted.front();
  s.max = sorted.back();
  s.median = percentile(sorted, 50);
  s.p90 = percentile(sorted, 90);
  s.p95 = percentile(sorted, 95);
  s.p99 = percentile(sorted, 99);
  return s;
}

MedianInterval median_ci95(std::vector<double> v) {
  MedianInterval m;
  const size_t n = v.size();
  if (n == 0) return m;
  const double half = 1.96 * std::sqrt(static_cast<double>(n)) / 2;
  const size_t lo_rank = static_cast<size_t>(std::max(1.0, std::floor(n / 2.0 - half)));
  const size_t hi_rank =
      static_cast<size_t>(std::min(static_cast<double>(n), std::ceil(n / 2.0 + 1 + half)));
  auto kth = [&](size_t k) {  // k-th smallest, 0-based
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
  };
  m.lo = kth(lo_rank - 1);
  m.hi = kth(hi_rank - 1);
  m.median = n % 2 ? kth(n / 2) : (kth(n / 2 - 1) + kth(n / 2)) / 2;
  m.relative = m.median > 0 ? std::max(m.median - m.lo, m.hi - m.median) / m.median : 0;
  return m;
}

}  // namespace paramscale::runtime
