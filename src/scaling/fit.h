// scaling/fit: NeuralScale's per-layer power laws w_l = alpha_l * tau^beta_l, fitted to a trace.
//
// tau for each trace row is the parameter count of that row's widths (true or proxy count, see
// scaling/budget.h); every layer is fitted by ordinary least squares of ln w_l on ln tau, and its
// R^2 reported. Fitting the authors' iteration-15 traces with the proxy count gives back their
// published alpha/beta (to ~1e-13 relative). Pure computation; errors are Results.
#pragma once

#include <vector>

#include "arch/families.h"
#include "scaling/budget.h"
#include "scaling/trace.h"

namespace paramscale::scaling {

// One set of power laws (one architecture-descent iteration of a fit file).
struct PowerLaws {
  int iteration = 1;
  std::vector<double> alpha, beta;
  std::vector<double> r2;  // per layer; empty when the source did not record it
  int rows = 0;            // trace rows fitted (0 when unknown)
  int layer_count() const { return static_cast<int>(alpha.size()); }
};

struct LineFit {
  double slope = 0, intercept = 0, r2 = 0;
};

// Least squares y = slope * x + intercept. R^2 is 1 when y is constant and fitted exactly.
// Needs at least two distinct x values.
Result<LineFit> fit_line(const std::vector<double>& x, const std::vector<double>& y);

// tau of every trace row, counted for the family and dataset.
Result<std::vector<double>> trace_taus(arch::Family family, const arch::DatasetShape& dataset,
                                       const Trace& trace, CountMode mode);

// The power laws of one trace. The trace must have the family's width count and two or more rows
// whose tau differ.
Result<PowerLaws> fit_trace(arch::Family family, const arch::DatasetShape& dataset,
                            const Trace& trace, CountMode mode);

}  // namespace paramscale::scaling
