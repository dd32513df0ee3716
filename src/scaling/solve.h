// scaling/solve: find the widths whose parameter count comes closest to a target.
//
// Both scaling methods map one scalar x (ln of the uniform multiplier, or ln tau for NeuralScale) to
// integer widths that never shrink as x grows, so the parameter count is a non-decreasing step
// function of x. solve_closest() brackets the target, bisects on x for a fixed number of steps (it
// always terminates), and returns whichever side of the last step is closer to the target.
// Out-of-range targets (below the all-ones network, or beyond the widths' sane range) are errors.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "util/limits.h"
#include "util/result.h"

namespace paramscale::scaling {

struct Solution {
  std::vector<int> widths;
  int64_t params = 0;
  int64_t target_params = 0;
  double relative_error = 0;  // (params - target) / target
  double x = 0;               // the solved scalar (ln multiplier or ln tau)
  int iterations = 0;         // bisection steps taken
};

using WidthsAt = std::function<std::vector<int>(double x)>;
using CountOf = std::function<int64_t(const std::vector<int>& widths)>;

// widths_at must be non-decreasing in x for every width; x_lo must give the smallest network.
// Widths reaching max_width (widths_at clamps there) mean the target is out of reach.
Result<Solution> solve_closest(const WidthsAt& widths_at, const CountOf& count, int64_t target,
                               double x_lo, double x_hi_start, int max_width = kMaxWidth);

// Applies refine_aligned (scaling/align.h) to an aligned solution and updates its count and error.
void refine_solution(Solution* s, int k, const CountOf& count);

}  // namespace paramscale::scaling
