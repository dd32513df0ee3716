// sizing/search: the largest parameter budget whose network meets a device's limits, found by
// measuring — NeuralScale's question with a latency and memory budget instead of a parameter one.
//
// size_to_limits() searches the budget P (params:P, a fraction of the 1.0x network's parameters)
// in [lo, hi]: it measures P = 1 (or the range's end nearest it) and steps by factors of 2 towards
// the limit until one measured budget meets the limits and a larger one does not (the bracket),
// then bisects in log P until the bracket is within `tolerance` of P. Since latency need not be
// monotone in P, it then also measures a few budgets above the bracket (`scan_above`: 1.05x, 1.1x,
// 1.25x its upper end, within the range); one that meets the limits is a non-monotone step and
// becomes the answer if it is the largest. Every budget is measured
// `repeats` times (at least 2); a budget is feasible when its worst measurement meets every limit,
// and "within noise" when its measurements straddle a limit (some meet it, some do not) — the
// answer then says so instead of pretending precision. Latency need not be monotone in P (ONNX
// Runtime's channel blocks): every measured point is kept, non-monotone steps (a feasible budget
// above an infeasible one) are reported, and the answer is the largest *measured* feasible budget.
// The measure callback does the work (export, bench, cache); this module only decides where to
// measure. Pure logic: deterministic for a deterministic callback.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

namespace paramscale::sizing {

struct Limits {
  double max_latency_ms = 0;            // > 0
  std::optional<double> max_memory_mb;  // > 0 when given
};

struct Measurement {
  double latency_ms = 0;  // the chosen latency statistic (median, p90, ...)
  double memory_mb = 0;   // runtime memory
};

struct Point {
  double budget = 0;  // P
  int64_t params = 0, macs = 0;
  std::vector<int> widths;
  std::vector<Measurement> runs;
  bool feasible = false;      // every run meets every limit
  bool within_noise = false;  // runs straddle a limit
  std::string broken;         // which limit the worst run breaks, and by how much ("" if none)
};

// What the callback returns for one budget: the network it measured and one measurement per run.
struct Probe {
  int64_t params = 0, macs = 0;
  std::vector<int> widths;
  std::vector<Measurement> runs;
};

using MeasureFn = std::function<Result<Probe>(double budget, int repeats)>;

struct SearchOptions {
  double lo = 0.02, hi = 2.0;
  double tolerance = 0.02;  // stop when hi / lo - 1 <= tolerance
  int repeats = 2;
  int max_points = 40;                                 // a guard; the bisection needs far fewer
  std::vector<double> scan_above = {1.05, 1.1, 1.25};  // multiples of the bracket's upper end
};

struct SizeResult {
  std::vector<Point> points;                        // in the order measured
  std::optional<size_t> best;                       // index of the largest measured feasible budget
  std::optional<size_t> smallest_infeasible_above;  // the bracket's upper end
  std::vector<std::string> non_monotone;            // "P=0.41 meets the limits, P=0.38 does not"
  bool noise_warning = false;  // the answer's bracket is within measurement noise
  std::string summary;         // one line for the user
};

Result<SizeResult> size_to_limits(const Limits& limits, const MeasureFn& measure,
                                  const SearchOptions& options = {});

// Feasibility of one point's runs against the limits (fills feasible, within_noise, broken).
void judge(const Limits& limits, Point& p);

Status check_limits(const Limits& limits);

}  // namespace paramscale::sizing
