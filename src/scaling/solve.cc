#include "scaling/solve.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "scaling/align.h"

namespace paramscale::scaling {

namespace {
Solution make(const std::vector<int>& widths, int64_t params, int64_t target, double x, int it) {
  Solution s;
  s.widths = widths;
  s.params = params;
  s.target_params = target;
  s.relative_error = (static_cast<double>(params) - target) / static_cast<double>(target);
  s.x = x;
  s.iterations = it;
  return s;
}

int widest(const std::vector<int>& w) {
  return w.empty() ? 0 : *std::max_element(w.begin(), w.end());
}
}  // namespace

Result<Solution> solve_closest(const WidthsAt& widths_at, const CountOf& count, int64_t target,
                               double x_lo, double x_hi, int max_width) {
  if (target <= 0) return bad_input("target parameter count must be positive");
  const std::vector<int> smallest = widths_at(x_lo);
  const int64_t smallest_params = count(smallest);
  if (smallest_params >= target) {
    if (smallest_params == target) return make(smallest, smallest_params, target, x_lo, 0);
    return bad_input("budget of " + std::to_string(target) +
                     " parameters is below the smallest network this scaling reaches (" +
                     std::to_string(smallest_params) + " parameters, every width " +
                     std::to_string(smallest.empty() ? 1 : smallest.front()) + ")");
  }
  // Grow the upper bracket until it reaches the target (or the widths get absurd).
  std::vector<int> hi_widths = widths_at(x_hi);
  int grow = 0;
  while (count(hi_widths) < target) {
    if (widest(hi_widths) >= max_width || ++grow > 64)
      return bad_input("budget of " + std::to_string(target) +
                       " parameters is out of reach (widths would exceed " +
                       std::to_string(max_width) + ")");
    x_hi += 1.0;  // widths grow by e^beta per step: no overflow before the max_width check
    hi_widths = widths_at(x_hi);
  }
  // Invariant: count(widths_at(lo)) < target <= count(widths_at(hi)).
  double lo = x_lo, hi = x_hi;
  int it = 0;
  for (; it < 200 && hi - lo > 1e-12 * std::max(1.0, std::fabs(hi)); ++it) {
    const double mid = 0.5 * (lo + hi);
    if (count(widths_at(mid)) < target)
      lo = mid;
    else
      hi = mid;
  }
  const std::vector<int> wl = widths_at(lo), wh = widths_at(hi);
  const int64_t pl = count(wl), ph = count(wh);
  if (target - pl < ph - target) return make(wl, pl, target, lo, it);
  return make(wh, ph, target, hi, it);
}

void refine_solution(Solution* s, int k, const CountOf& count) {
  s->widths = refine_aligned(s->widths, k, s->target_params, count);
  s->params = count(s->widths);
  s->relative_error = static_cast<double>(s->params - s->target_params) /
                      static_cast<double>(s->target_params);
}

}  // namespace paramscale::scaling
