#include "scaling/count_polynomial.h"

namespace paramscale::scaling {

CountPolynomial CountPolynomial::of(arch::Family family, const arch::DatasetShape& dataset,
                                    CountMode mode) {
  const size_t n = arch::base_widths(family).size();
  // Pairwise distinct, and still distinct after adding 0..2 to any two of them.
  std::vector<int> w0(n);
  for (size_t i = 0; i < n; ++i) w0[i] = 16 + 5 * static_cast<int>(i);
  const auto count = [&](const std::vector<int>& w) {
    return static_cast<double>(count_params(family, dataset, w, mode));
  };
  const auto bumped = [&](size_t i, int di, size_t j, int dj) {
    std::vector<int> w = w0;
    w[i] += di;
    w[j] += dj;
    return count(w);
  };
  const double p0 = count(w0);
  std::vector<double> p1(n);
  for (size_t i = 0; i < n; ++i) p1[i] = bumped(i, 1, i, 0);
  CountPolynomial p;
  p.quadratic_.assign(n, std::vector<double>(n, 0.0));
  for (size_t i = 0; i < n; ++i) {
    p.quadratic_[i][i] = (bumped(i, 2, i, 0) - 2 * p1[i] + p0) / 2;
    for (size_t j = i + 1; j < n; ++j) p.quadratic_[i][j] = bumped(i, 1, j, 1) - p1[i] - p1[j] + p0;
  }
  // a_i = dP/dw_i at w0 minus the quadratic terms' share.
  p.linear_.assign(n, 0.0);
  for (size_t i = 0; i < n; ++i) {
    double a = p1[i] - p0 - p.quadratic_[i][i] * (2 * w0[i] + 1);
    for (size_t j = 0; j < n; ++j)
      if (j != i) a -= (i < j ? p.quadratic_[i][j] : p.quadratic_[j][i]) * w0[j];
    p.linear_[i] = a;
  }
  std::vector<double> w0_real(w0.begin(), w0.end());
  p.constant_ = 0;
  p.constant_ = p0 - p(w0_real);
  return p;
}

double CountPolynomial::operator()(const std::vector<double>& w) const {
  double total = constant_;
  for (size_t i = 0; i < linear_.size(); ++i) {
    double row = linear_[i];
    for (size_t j = i; j < linear_.size(); ++j) row += quadratic_[i][j] * w[j];
    total += row * w[i];
  }
  return total;
}

double CountPolynomial::operator()(const std::vector<int>& w) const {
  return (*this)(std::vector<double>(w.begin(), w.end()));
}

}  // namespace paramscale::scaling
