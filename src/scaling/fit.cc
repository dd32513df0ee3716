#include "scaling/fit.h"

#include <cmath>
#include <string>

namespace paramscale::scaling {

Result<LineFit> fit_line(const std::vector<double>& x, const std::vector<double>& y) {
  const size_t n = x.size();
  if (n < 2 || y.size() != n) return bad_input("a line fit needs two or more points");
  double mx = 0, my = 0;
  for (size_t i = 0; i < n; ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= static_cast<double>(n);
  my /= static_cast<double>(n);
  double sxx = 0, sxy = 0, syy = 0;
  for (size_t i = 0; i < n; ++i) {
    sxx += (x[i] - mx) * (x[i] - mx);
    sxy += (x[i] - mx) * (y[i] - my);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (!(sxx > 0)) return bad_input("a line fit needs two or more distinct x values");
  LineFit f;
  f.slope = sxy / sxx;
  f.intercept = my - f.slope * mx;
  double ss_res = 0;
  for (size_t i = 0; i < n; ++i) {
    const double r = y[i] - (f.slope * x[i] + f.intercept);
    ss_res += r * r;
  }
  f.r2 = syy > 0 ? 1.0 - ss_res / syy : 1.0;
  return f;
}

Result<std::vector<double>> trace_taus(arch::Family family, const arch::DatasetShape& dataset,
                                       const Trace& trace, CountMode mode) {
  const size_t n = arch::base_widths(family).size();
  if (static_cast<size_t>(trace.layer_count()) != n)
    return bad_input(std::string("trace has ") + std::to_string(trace.layer_count()) +
                     " widths per row, but " + arch::family_name(family) + " has " +
                     std::to_string(n));
  std::vector<double> taus;
  for (const std::vector<int>& row : trace.rows) {
    const Result<arch::Network> net = arch::build_network(family, dataset, row);
    if (!net.ok()) return net.error();
    taus.push_back(static_cast<double>(count_params(*net, mode)));
  }
  return taus;
}

Result<PowerLaws> fit_trace(arch::Family family, const arch::DatasetShape& dataset,
                            const Trace& trace, CountMode mode) {
  const Result<std::vector<double>> taus = trace_taus(family, dataset, trace, mode);
  if (!taus.ok()) return taus.error();
  std::vector<double> ln_tau;
  for (double t : *taus) ln_tau.push_back(std::log(t));
  PowerLaws laws;
  laws.rows = static_cast<int>(trace.rows.size());
  for (int l = 0; l < trace.layer_count(); ++l) {
    std::vector<double> ln_w;
    for (const std::vector<int>& row : trace.rows) ln_w.push_back(std::log(row[l]));
    const Result<LineFit> f = fit_line(ln_tau, ln_w);
    if (!f.ok())
      return bad_input("cannot fit a trace of " + std::to_string(laws.rows) +
                       " rows: it needs two or more rows with different parameter counts");
    laws.alpha.push_back(std::exp(f->intercept));
    laws.beta.push_back(f->slope);
    laws.r2.push_back(f->r2);
  }
  return laws;
}

}  // namespace paramscale::scaling
