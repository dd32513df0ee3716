// scaling/uniform: uniform width scaling (MobileNet's width multiplier) for any budget.
//
// width:r gives floor(base * r) exactly; params:p solves for the multiplier whose floored widths
// come closest to p x the 1.0x count (scaling/solve.h). Widths never fall below 1.
#pragma once

#include "arch/families.h"
#include "scaling/budget.h"
#include "scaling/solve.h"

namespace paramscale::scaling {

// Solution::x is ln(multiplier).
Result<Solution> scale_uniform(arch::Family family, const arch::DatasetShape& dataset,
                               const Budget& budget, CountMode mode);

}  // namespace paramscale::scaling
