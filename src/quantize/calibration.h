// quantize/calibration: the range of an activation tensor from the values it took on calibration
// images — min/max, percentile, or the entropy (KL-divergence) threshold.
//
// What it promises:
// - Torch- and runtime-free: values arrive as plain float arrays, so every method is unit-testable
//   with exact expectations.
// - Two passes over the same values: pass 1 (observe) records count, min, max and whether any value
//   was NaN or Inf; pass 2 (observe_histogram, only for percentile and entropy) fills a histogram
//   whose bounds come from pass 1, so it never has to be re-binned.
// - min/max: [min, max]. percentile P: a non-negative tensor gets [0, P-th percentile]; a signed
// one
//   [(100-P)-th percentile, P-th percentile], both read from a kHistogramBins-bin histogram over
//   [min, max] (a bound is the edge of the bin where the cumulative count crosses the target).
// - entropy: a histogram of |x| over [0, max|x|], exact zeros left out (0 is always exactly
//   representable, and a ReLU output's spike at 0 would otherwise dominate the divergence and pull
//   the threshold far down); the threshold t is the bin edge whose clipped distribution P and its
//   quantized version Q have the least KL(P||Q) — the method NVIDIA described for TensorRT's INT8
//   calibration, with its sizes: 2048 bins, Q on kEntropyLevels = 128 levels (integer groups of
//   bins, the last taking the remainder). 128 also for u8 tensors, which have 256 codes: with 256
//   levels, every threshold below 512 of the 2048 bins merges no bins, its rounding error is
//   invisible to the divergence, and the choice lands there (a quarter of the maximum; measured:
//   VGG-11 lost 1.35 points). Ties go to the smaller t. The range is [0, t] for a non-negative
//   tensor, else [max(min, -t), min(max, t)].
// - A tensor that held a NaN or Inf has no range: range() is a bad-input Error naming the tensor.
// Not thread-safe per object; distinct objects are independent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "util/result.h"

namespace paramscale::quantize {

enum class Calibration { MinMax, Percentile, Entropy };

Result<Calibration> parse_calibration(const std::string& name);  // minmax | percentile | entropy
const char* calibration_name(Calibration c);

constexpr int kHistogramBins = 2048;
constexpr int kEntropyLevels = 128;
constexpr double kDefaultPercentile = 99.999;

struct Range {
  double min = 0, max = 0;
};

// Counts of values (or of their absolute values) in equal-width bins over [lo, hi]; values
// outside fall into the first or last bin.
struct Histogram {
  double lo = 0, hi = 0;
  bool absolute = false;
  bool skip_zeros = false;  // leave exact zeros out (entropy)
  std::vector<uint64_t> counts;

  Histogram() = default;
  Histogram(double lo, double hi, int bins, bool absolute, bool skip_zeros = false);
  void add(const float* values, size_t n);
  double bin_width() const { return (hi - lo) / static_cast<double>(counts.size()); }
};

// The P-th percentile range of the histogram's values (see the header comment).
Range percentile_range(const Histogram& h, double percentile, bool nonnegative);

// The entropy threshold as a bin count i in [levels, counts.size()]: the threshold is i bin widths.
// counts.size() < levels returns counts.size().
size_t entropy_threshold_bins(const std::vector<uint64_t>& counts, int levels);

class TensorStats {
 public:
  void observe(const float* values, size_t n);  // pass 1
  // Whether `method` needs pass 2; if so, sets up its histogram from pass 1's extremes.
  bool begin_histogram(Calibration method, int bins = kHistogramBins);
  void observe_histogram(const float* values, size_t n);  // pass 2
  // The calibrated range; `tensor` names it in errors (no values, NaN or Inf seen).
  Result<Range> range(Calibration method, double percentile, const std::string& tensor) const;

  uint64_t count() const { return count_; }
  double min() const { return min_; }
  double max() const { return max_; }
  bool finite() const { return nonfinite_ == 0; }

 private:
  uint64_t count_ = 0, nonfinite_ = 0;
  double min_ = 0, max_ = 0;
  Histogram hist_;
};

}  // namespace paramscale::quantize
