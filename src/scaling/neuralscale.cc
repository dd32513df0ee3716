#include "scaling/neuralscale.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>

#include "scaling/align.h"
#include "scaling/count_polynomial.h"
#include "util/limits.h"

namespace paramscale::scaling {

namespace {
// Widths are clamped to what build_network accepts, so every probe of a solver can be counted.
constexpr double kWidestWidth = kMaxWidth;

// The unfloored rule: bisection on ln tau for count(unfloored widths) = target, then floor.
Result<Solution> solve_paper(const PowerLaws& laws, const CountPolynomial& smooth,
                             const CountOf& count, int64_t target, double x_lo) {
  const auto smooth_at = [&](double x) {
    std::vector<double> w(laws.alpha.size());
    for (size_t l = 0; l < w.size(); ++l) w[l] = laws.alpha[l] * std::exp(laws.beta[l] * x);
    return smooth(w);
  };
  const double goal = static_cast<double>(target);
  double lo = x_lo, hi = std::max(x_lo + 1, std::log(goal));
  if (smooth_at(lo) >= goal)
    return bad_input("budget of " + std::to_string(target) +
                     " parameters is below what these power laws reach");
  for (int grow = 0; smooth_at(hi) < goal; ++grow) {
    const std::vector<int> w = neuralscale_widths(laws, hi);
    if (grow > 64 || *std::max_element(w.begin(), w.end()) >= kMaxWidth)
      return bad_input("budget of " + std::to_string(target) + " parameters is out of reach");
    hi += std::max(1.0, hi - lo);
  }
  int it = 0;
  for (; it < 200 && hi - lo > 1e-13 * std::max(1.0, std::fabs(hi)); ++it) {
    const double mid = 0.5 * (lo + hi);
    (smooth_at(mid) < goal ? lo : hi) = mid;
  }
  Solution s;
  s.x = 0.5 * (lo + hi);
  s.widths = neuralscale_widths(laws, s.x);
  s.params = count(s.widths);
  s.target_params = target;
  s.relative_error = (static_cast<double>(s.params) - goal) / goal;
  s.iterations = it;
  return s;
}
}  // namespace

Result<TauRule> parse_tau_rule(const std::string& text) {
  if (text == "closest") return TauRule::Closest;
  if (text == "unfloored") return TauRule::Unfloored;
  if (text == "paper") return TauRule::Paper;
  return bad_input("unknown tau rule '" + text + "' (expected closest, unfloored or paper)");
}

const char* tau_rule_name(TauRule rule) {
  switch (rule) {
    case TauRule::Closest:
      return "closest";
    case TauRule::Unfloored:
      return "unfloored";
    case TauRule::Paper:
      return "paper";
  }
  return "closest";
}

std::vector<int> neuralscale_widths(const PowerLaws& laws, double ln_tau) {
  std::vector<int> w(laws.alpha.size());
  for (size_t l = 0; l < w.size(); ++l) {
    const double v = std::floor(laws.alpha[l] * std::exp(laws.beta[l] * ln_tau));
    w[l] = static_cast<int>(std::clamp(std::isnan(v) ? 1.0 : v, 1.0, kWidestWidth));
  }
  return w;
}

Status check_power_laws(const PowerLaws& laws, arch::Family family) {
  const std::vector<std::string> names = arch::width_names(family);
  for (size_t l = 0; l < laws.alpha.size(); ++l) {
    const std::string layer =
        "layer " + std::to_string(l) + (l < names.size() ? " (" + names[l] + ")" : std::string());
    std::ostringstream value;
    value.precision(6);
    if (!(laws.alpha[l] > 0) || !std::isfinite(laws.alpha[l])) {
      value << laws.alpha[l];
      return bad_input("fit iteration " + std::to_string(laws.iteration) + ": " + layer +
                       " has alpha = " + value.str() + "; alpha must be positive");
    }
    if (!(laws.beta[l] > 0) || !std::isfinite(laws.beta[l])) {
      value << laws.beta[l];
      return bad_input("fit iteration " + std::to_string(laws.iteration) + ": " + layer +
                       " has beta = " + value.str() +
                       " <= 0, so its width does not grow with tau and no budget can be solved");
    }
  }
  return {};
}

Result<Solution> scale_neuralscale(arch::Family family, const arch::DatasetShape& dataset,
                                   const PowerLaws& laws, const Budget& budget, CountMode mode,
                                   TauRule rule, int align) {
  if (laws.alpha.size() != arch::base_widths(family).size())
    return bad_input(std::string("fit has ") + std::to_string(laws.alpha.size()) + " widths, but " +
                     arch::family_name(family) + " has " +
                     std::to_string(arch::base_widths(family).size()));
  const Status valid = check_power_laws(laws, family);
  if (!valid.ok()) return valid.error();
  const CountOf count = [&](const std::vector<int>& w) {
    return count_params(family, dataset, w, mode);
  };
  if (align < 1) return bad_input("alignment must be a positive integer");
  if (align > 1 && rule != TauRule::Closest)
    return bad_input(
        std::string("tau rule '") + tau_rule_name(rule) +
        "' cannot be combined with alignment; aligned widths are solved with 'closest'");
  const WidthsAt at = [&](double x) { return align_widths(neuralscale_widths(laws, x), align); };
  // Below x_lo every alpha_l * tau^beta_l < 1: every width is 1, the smallest network.
  double x_lo = 0;
  for (size_t l = 0; l < laws.alpha.size(); ++l)
    x_lo = std::min(x_lo, -std::log(laws.alpha[l]) / laws.beta[l]);
  const int64_t target = target_params(family, dataset, budget, mode);
  if (rule == TauRule::Paper)
    rule = family == arch::Family::MobileNetV2 ? TauRule::Unfloored : TauRule::Closest;
  if (rule == TauRule::Unfloored)
    return solve_paper(laws, CountPolynomial::of(family, dataset, mode), count, target, x_lo - 1);
  const double x_hi = std::max(x_lo + 1, std::log(static_cast<double>(target)));
  Result<Solution> s = solve_closest(at, count, target, x_lo - 1, x_hi, kMaxWidth);
  if (s.ok() && align > 1) refine_solution(&*s, align, count);
  return s;
}

}  // namespace paramscale::scaling
