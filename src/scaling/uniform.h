// scaling/uniform: uniform width scaling (MobileNet's width multiplier) for any budget.
//
// width:r gives floor(base * r) exactly; params:p solves for the multiplier whose floored widths
// come closest to p x the 1.0x count (scaling/solve.h). Widths never fall below 1.
// With align = K > 1 (scaling/align.h) every width is a multiple of K and the multiplier is solved
// so that the *aligned* widths come closest to the target, for width:r budgets too (whose target
// stays the unaligned floor(base * r) network's count).
#pragma once

#include "arch/families.h"
#include "scaling/budget.h"
#include "scaling/solve.h"

namespace paramscale::scaling {

// Solution::x is ln(multiplier).
Result<Solution> scale_uniform(arch::Family family, const arch::DatasetShape& dataset,
                               const Budget& budget, CountMode mode, int align = 1);

}  // namespace paramscale::scaling
