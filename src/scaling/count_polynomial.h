// scaling/count_polynomial: a family's parameter count as a polynomial in real-valued widths.
//
// With its width-dependent shortcuts fixed, a family's parameter count (true or proxy) is a
// quadratic polynomial in its widths: c + sum a_i w_i + sum_{i<=j} b_ij w_i w_j. The NeuralScale
// authors evaluated it at the unfloored widths alpha_l * tau^beta_l to solve for tau; real widths
// (almost) never coincide, so every "input width != output width" shortcut is present. of()
// recovers the exact coefficients from integer networks (arch/ stays the one source of truth)
// by finite differences around widths that are pairwise distinct, so every such shortcut exists.
#pragma once

#include <vector>

#include "arch/families.h"
#include "scaling/budget.h"

namespace paramscale::scaling {

class CountPolynomial {
 public:
  static CountPolynomial of(arch::Family family, const arch::DatasetShape& dataset, CountMode mode);
  double operator()(const std::vector<double>& widths) const;
  // Same value as the integer count wherever all widths are pairwise distinct.
  double operator()(const std::vector<int>& widths) const;

 private:
  double constant_ = 0;
  std::vector<double> linear_;
  std::vector<std::vector<double>> quadratic_;  // [i][j] for j >= i
};

}  // namespace paramscale::scaling
