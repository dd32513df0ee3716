// Activation ranges from calibration values; see calibration.h.
#include "quantize/calibration.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace paramscale::quantize {

Result<Calibration> parse_calibration(const std::string& name) {
  if (name == "minmax") return Calibration::MinMax;
  if (name == "percentile") return Calibration::Percentile;
  if (name == "entropy") return Calibration::Entropy;
  return bad_input("unknown calibration method '" + name + "' (minmax, percentile or entropy)");
}

const char* calibration_name(Calibration c) {
  switch (c) {
    case Calibration::MinMax:
      return "minmax";
    case Calibration::Percentile:
      return "percentile";
    case Calibration::Entropy:
      return "entropy";
  }
  return "?";
}

Histogram::Histogram(double lo_, double hi_, int bins, bool absolute_, bool skip_zeros_)
    : lo(lo_),
      hi(hi_),
      absolute(absolute_),
      skip_zeros(skip_zeros_),
      counts(static_cast<size_t>(std::max(bins, 1)), 0) {}

void Histogram::add(const float* values, size_t n) {
  const size_t bins = counts.size();
  // A zero-width histogram (every value equal) keeps everything in its first bin.
  const double per_unit = hi > lo ? static_cast<double>(bins) / (hi - lo) : 0.0;
  for (size_t i = 0; i < n; ++i) {
    const double v = absolute ? std::fabs(static_cast<double>(values[i])) : values[i];
    if (!std::isfinite(v) || (skip_zeros && v == 0)) continue;  // pass 1 refuses non-finite
    const double pos = (v - lo) * per_unit;
    const size_t bin = pos <= 0 ? 0 : std::min(static_cast<size_t>(pos), bins - 1);
    ++counts[bin];
  }
}

Range percentile_range(const Histogram& h, double percentile, bool nonnegative) {
  uint64_t total = 0;
  for (uint64_t c : h.counts) total += c;
  const double w = h.bin_width();
  const size_t bins = h.counts.size();
  Range r{h.lo, h.hi};
  if (total == 0) return r;
  // Targets compare with a tolerance so that exact fractions (90% of 100) behave as in exact
  // arithmetic instead of by the last bit of 0.9 * 100.
  const double slack = 1e-9 * static_cast<double>(total);
  const double upper_target = percentile / 100.0 * static_cast<double>(total) - slack;
  uint64_t cum = 0;
  for (size_t k = 0; k < bins; ++k) {
    cum += h.counts[k];
    if (static_cast<double>(cum) >= upper_target) {
      r.max = std::min(h.hi, h.lo + static_cast<double>(k + 1) * w);
      break;
    }
  }
  if (nonnegative) {
    r.min = 0;
    return r;
  }
  const double lower_target = (1.0 - percentile / 100.0) * static_cast<double>(total) + slack;
  cum = 0;
  for (size_t k = 0; k < bins; ++k) {
    cum += h.counts[k];
    if (static_cast<double>(cum) > lower_target) {
      r.min = std::max(h.lo, h.lo + static_cast<double>(k) * w);
      break;
    }
  }
  return r;
}

namespace {

// KL(P || Q) for the first i bins clipped at bin i (see calibration.h); +inf when Q has no mass
// where P has some (clipping mass into an empty quantization level).
double clipped_kl(const std::vector<uint64_t>& counts, size_t i, int levels, uint64_t total,
                  std::vector<double>& p, std::vector<double>& q) {
  uint64_t outliers = 0;
  for (size_t k = i; k < counts.size(); ++k) outliers += counts[k];
  p.assign(counts.begin(), counts.begin() + static_cast<std::ptrdiff_t>(i));
  p[i - 1] += static_cast<double>(outliers);
  // Q: the unclipped slice merged into `levels` groups (the last takes the remainder), each
  // group's mass spread evenly over the bins where P is non-zero.
  q.assign(i, 0.0);
  const size_t merged = i / static_cast<size_t>(levels);
  double q_total = 0;
  for (int j = 0; j < levels; ++j) {
    const size_t start = static_cast<size_t>(j) * merged;
    const size_t stop = j == levels - 1 ? i : start + merged;
    double mass = 0;
    size_t nonzero = 0;
    for (size_t k = start; k < stop; ++k) {
      mass += static_cast<double>(counts[k]);
      nonzero += p[k] != 0;
    }
    if (nonzero == 0) continue;
    for (size_t k = start; k < stop; ++k)
      if (p[k] != 0) q[k] = mass / static_cast<double>(nonzero);
    q_total += mass;
  }
  double kl = 0;
  for (size_t k = 0; k < i; ++k) {
    if (p[k] == 0) continue;
    if (q[k] == 0) return std::numeric_limits<double>::infinity();
    const double pk = p[k] / static_cast<double>(total), qk = q[k] / q_total;
    kl += pk * std::log(pk / qk);
  }
  return kl;
}

}  // namespace

size_t entropy_threshold_bins(const std::vector<uint64_t>& counts, int levels) {
  const size_t bins = counts.size();
  if (levels < 1 || bins <= static_cast<size_t>(levels)) return bins;
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  if (total == 0) return bins;
  std::vector<double> p, q;
  size_t best = bins;
  double best_kl = std::numeric_limits<double>::infinity();
  for (size_t i = static_cast<size_t>(levels); i <= bins; ++i) {
    const double kl = clipped_kl(counts, i, levels, total, p, q);
    if (kl < best_kl) {  // strict: ties keep the smaller threshold
      best_kl = kl;
      best = i;
    }
  }
  return best;
}

void TensorStats::observe(const float* values, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const double v = values[i];
    if (!std::isfinite(v)) {
      ++nonfinite_;
      continue;
    }
    if (count_ == 0 || v < min_) min_ = v;
    if (count_ == 0 || v > max_) max_ = v;
    ++count_;
  }
}

bool TensorStats::begin_histogram(Calibration method, int bins) {
  if (method == Calibration::MinMax) return false;
  if (method == Calibration::Percentile)
    hist_ = Histogram(min_ >= 0 ? 0.0 : min_, max_, bins, /*absolute=*/false);
  else
    hist_ = Histogram(0.0, std::max(std::fabs(min_), std::fabs(max_)), bins, /*absolute=*/true,
                      /*skip_zeros=*/true);
  return true;
}

void TensorStats::observe_histogram(const float* values, size_t n) { hist_.add(values, n); }

Result<Range> TensorStats::range(Calibration method, double percentile,
                                 const std::string& tensor) const {
  if (nonfinite_ > 0)
    return bad_input("activation '" + tensor + "' took " + std::to_string(nonfinite_) +
                     " NaN or Inf values on the calibration images: its range is not finite");
  if (count_ == 0) return bad_input("activation '" + tensor + "' produced no calibration values");
  const bool nonnegative = min_ >= 0;
  switch (method) {
    case Calibration::MinMax:
      return Range{min_, max_};
    case Calibration::Percentile:
      return percentile_range(hist_, percentile, nonnegative);
    case Calibration::Entropy: {
      const size_t i = entropy_threshold_bins(hist_.counts, kEntropyLevels);
      const double t = hist_.lo + static_cast<double>(i) * hist_.bin_width();
      if (nonnegative) return Range{0.0, std::min(max_, t)};
      return Range{std::max(min_, -t), std::min(max_, t)};
    }
  }
  return bad_input("unknown calibration method");
}

}  // namespace paramscale::quantize
