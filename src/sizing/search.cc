#include "sizing/search.h"
#include "util/text.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace paramscale::sizing {

namespace {

bool meets(const Limits& l, const Measurement& m) {
  return m.latency_ms <= l.max_latency_ms && (!l.max_memory_mb || m.memory_mb <= *l.max_memory_mb);
}

class Search {
 public:
  Search(const Limits& l, const MeasureFn& f, const SearchOptions& o) : limits_(l), f_(f), o_(o) {}

  // The point at budget p, measuring it if it was not measured yet.
  Result<size_t> probe(double p) {
    for (size_t i = 0; i < r_.points.size(); ++i)
      if (std::fabs(r_.points[i].budget - p) <= 1e-12 * p) return i;
    if (static_cast<int>(r_.points.size()) >= o_.max_points)
      return failure("size: more than " + std::to_string(o_.max_points) + " budgets measured");
    auto probe = f_(p, o_.repeats);
    if (!probe.ok()) return probe.error();
    if (static_cast<int>(probe->runs.size()) < std::max(2, o_.repeats))
      return failure("size: the measurement of params:" + format("%g", p) + " returned " +
                     std::to_string(probe->runs.size()) + " run(s), not " +
                     std::to_string(std::max(2, o_.repeats)));
    Point pt{p, probe->params, probe->macs, probe->widths, probe->runs, false, false, ""};
    judge(limits_, pt);
    r_.points.push_back(std::move(pt));
    return r_.points.size() - 1;
  }
  bool feasible(size_t i) const { return r_.points[i].feasible; }

  Result<SizeResult> run() {
    const double start = std::clamp(1.0, o_.lo, o_.hi);
    auto first = probe(start);
    if (!first.ok()) return first.error();
    double below = 0, above = 0;  // the bracket: feasible below, infeasible above
    if (feasible(*first)) {
      below = start;
      while (above == 0) {
        const double next = std::min(below * 2, o_.hi);
        if (next <= below) break;  // feasible at the top of the range
        auto i = probe(next);
        if (!i.ok()) return i.error();
        (feasible(*i) ? below : above) = next;
      }
    } else {
      above = start;
      while (below == 0) {
        const double next = std::max(above / 2, o_.lo);
        if (next >= above) break;  // infeasible at the bottom of the range
        auto i = probe(next);
        if (!i.ok()) return i.error();
        (feasible(*i) ? below : above) = next;
      }
    }
    while (below > 0 && above > 0 && above / below - 1 > o_.tolerance) {
      const double mid = std::sqrt(below * above);
      auto i = probe(mid);
      if (!i.ok()) return i.error();
      (feasible(*i) ? below : above) = mid;
    }
    // Larger budgets can be faster (ONNX Runtime's channel blocks): look a little above.
    if (below > 0 && above > 0)
      for (double m : o_.scan_above)
        if (above * m <= o_.hi)
          if (auto i = probe(above * m); !i.ok()) return i.error();
    finish(above);
    return r_;
  }

 private:
  void finish(double above) {
    for (size_t i = 0; i < r_.points.size(); ++i) {
      const Point& p = r_.points[i];
      if (p.feasible && (!r_.best || p.budget > r_.points[*r_.best].budget)) r_.best = i;
      if (above > 0 && std::fabs(p.budget - above) <= 1e-12 * above)
        r_.smallest_infeasible_above = i;
    }
    for (const Point& a : r_.points)
      for (const Point& b : r_.points)
        if (a.feasible && !b.feasible && a.budget > b.budget)
          r_.non_monotone.push_back("params:" + format("%.4g", a.budget) +
                                    " meets the limits, params:" + format("%.4g", b.budget) +
                                    " (smaller) does not");
    if (r_.best) r_.noise_warning = r_.points[*r_.best].within_noise;
    if (r_.smallest_infeasible_above)
      r_.noise_warning = r_.noise_warning || r_.points[*r_.smallest_infeasible_above].within_noise;
    if (!r_.best) {
      const Point* fastest = &r_.points.front();
      for (const Point& p : r_.points)
        if (p.runs.front().latency_ms < fastest->runs.front().latency_ms) fastest = &p;
      r_.summary = "no budget in params:" + format("%g", o_.lo) +
                   "..params:" + format("%g", o_.hi) +
                   " meets the limits: the smallest, params:" + format("%g", fastest->budget) +
                   ", measured " + fastest->broken;
      return;
    }
    const Point& b = r_.points[*r_.best];
    r_.summary =
        "largest measured budget that meets the limits: params:" + format("%.4g", b.budget) + " (" +
        std::to_string(b.params) + " parameters)";
    if (r_.smallest_infeasible_above)
      r_.summary += "; params:" + format("%.4g", r_.points[*r_.smallest_infeasible_above].budget) +
                    " does not (" + r_.points[*r_.smallest_infeasible_above].broken + ")";
    else
      r_.summary += "; the whole range up to params:" + format("%g", o_.hi) + " meets them";
    if (r_.noise_warning)
      r_.summary +=
          "; the limit lies within the measurement noise there (repeated runs "
          "straddle it)";
  }

  const Limits& limits_;
  const MeasureFn& f_;
  const SearchOptions& o_;
  SizeResult r_;
};

}  // namespace

Status check_limits(const Limits& l) {
  if (!std::isfinite(l.max_latency_ms) || l.max_latency_ms <= 0)
    return bad_input("--max-latency-ms must be a positive number of milliseconds");
  if (l.max_memory_mb && (!std::isfinite(*l.max_memory_mb) || *l.max_memory_mb <= 0))
    return bad_input("--max-memory-mb must be a positive number of megabytes");
  return {};
}

void judge(const Limits& l, Point& p) {
  int ok = 0;
  const Measurement* worst = nullptr;
  double worst_excess = -1e300;
  for (const Measurement& m : p.runs) {
    ok += meets(l, m) ? 1 : 0;
    double excess = m.latency_ms / l.max_latency_ms - 1;
    if (l.max_memory_mb) excess = std::max(excess, m.memory_mb / *l.max_memory_mb - 1);
    if (excess > worst_excess) {
      worst_excess = excess;
      worst = &m;
    }
  }
  p.feasible = !p.runs.empty() && ok == static_cast<int>(p.runs.size());
  p.within_noise = ok > 0 && ok < static_cast<int>(p.runs.size());
  p.broken.clear();
  if (!worst) return;
  if (worst->latency_ms > l.max_latency_ms)
    p.broken = format("latency %.3f ms > %g ms (%+.1f%%)", worst->latency_ms, l.max_latency_ms,
                      100 * (worst->latency_ms / l.max_latency_ms - 1));
  if (l.max_memory_mb && worst->memory_mb > *l.max_memory_mb)
    p.broken += (p.broken.empty() ? "" : ", ") +
                format("memory %.1f MB > %g MB (%+.1f%%)", worst->memory_mb, *l.max_memory_mb,
                       100 * (worst->memory_mb / *l.max_memory_mb - 1));
  if (p.broken.empty())
    p.broken = format("latency %.3f ms within %g ms", worst->latency_ms, l.max_latency_ms);
}

Result<SizeResult> size_to_limits(const Limits& limits, const MeasureFn& measure,
                                  const SearchOptions& options) {
  if (Status s = check_limits(limits); !s.ok()) return s.error();
  if (!(options.lo > 0) || !(options.hi > options.lo) || !(options.tolerance > 0) ||
      options.repeats < 2)
    return bad_input("size: the budget range must be 0 < lo < hi, tolerance > 0, repeats >= 2");
  Search s(limits, measure, options);
  return s.run();
}

}  // namespace paramscale::sizing
