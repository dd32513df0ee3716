#include "scaling/budget.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "arch/analysis.h"
#include "util/limits.h"

namespace paramscale::scaling {

std::string Budget::text() const {
  std::ostringstream s;
  s << (kind == BudgetKind::Width ? "width:" : "params:") << value;
  return s.str();
}

Result<Budget> parse_budget(const std::string& text) {
  const auto colon = text.find(':');
  const std::string kind = colon == std::string::npos ? "" : text.substr(0, colon);
  if (kind != "width" && kind != "params")
    return bad_input("malformed budget '" + text + "' (expected width:R or params:P, e.g. params:0.5)");
  const std::string number = text.substr(colon + 1);
  char* end = nullptr;
  const double value = number.empty() ? NAN : std::strtod(number.c_str(), &end);
  if (number.empty() || end != number.c_str() + number.size() || !std::isfinite(value))
    return bad_input("malformed budget '" + text + "': '" + number + "' is not a number");
  if (value <= 0 || value > 64)
    return bad_input("budget '" + text + "' out of range: the ratio must be in (0, 64]");
  return Budget{kind == "width" ? BudgetKind::Width : BudgetKind::Params, value};
}

Result<CountMode> parse_count_mode(const std::string& text) {
  if (text == "true") return CountMode::True;
  if (text == "proxy") return CountMode::Proxy;
  return bad_input("unknown parameter count '" + text + "' (expected true or proxy)");
}

const char* count_mode_name(CountMode mode) { return mode == CountMode::True ? "true" : "proxy"; }

int64_t count_params(const arch::Network& net, CountMode mode) {
  return mode == CountMode::True ? arch::param_count(net) : arch::proxy_param_count(net);
}

int64_t count_params(arch::Family family, const arch::DatasetShape& dataset,
                     const std::vector<int>& widths, CountMode mode) {
  return count_params(*arch::build_network(family, dataset, widths), mode);
}

std::vector<int> uniform_widths(const std::vector<int>& base, double r) {
  std::vector<int> w(base.size());
  for (size_t i = 0; i < base.size(); ++i)
    // Clamped before the cast: solvers probe large multipliers, and no network is wider.
    w[i] = static_cast<int>(std::clamp(std::floor(base[i] * r), 1.0, double{kMaxWidth}));
  return w;
}

int64_t target_params(arch::Family family, const arch::DatasetShape& dataset, const Budget& budget,
                      CountMode mode) {
  const std::vector<int> base = arch::base_widths(family);
  if (budget.kind == BudgetKind::Width)
    return count_params(family, dataset, uniform_widths(base, budget.value), mode);
  return std::llround(budget.value * static_cast<double>(count_params(family, dataset, base, mode)));
}

}  // namespace paramscale::scaling
