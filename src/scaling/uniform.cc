#include "scaling/uniform.h"

#include <cmath>

#include "scaling/align.h"

namespace paramscale::scaling {

Result<Solution> scale_uniform(arch::Family family, const arch::DatasetShape& dataset,
                               const Budget& budget, CountMode mode, int align) {
  const std::vector<int> base = arch::base_widths(family);
  const CountOf count = [&](const std::vector<int>& w) {
    return count_params(family, dataset, w, mode);
  };
  const int64_t target = target_params(family, dataset, budget, mode);
  if (align < 1) return bad_input("alignment must be a positive integer");
  if (budget.kind == BudgetKind::Width && align == 1) {
    Solution s;
    s.widths = uniform_widths(base, budget.value);
    s.params = s.target_params = target;
    s.x = std::log(budget.value);
    return s;
  }
  const WidthsAt at = [&](double x) {
    return align_widths(uniform_widths(base, std::exp(x)), align);
  };
  // Below 1/max(base) every width is 1: the smallest network.
  int widest = 1;
  for (int b : base) widest = std::max(widest, b);
  Result<Solution> s = solve_closest(at, count, target, std::log(0.5 / widest), 0.0);
  if (s.ok() && align > 1) refine_solution(&*s, align, count);
  return s;
}

}  // namespace paramscale::scaling
