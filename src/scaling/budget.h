// scaling/budget: what "N parameters" means, stated one of two ways, and how parameters are counted.
//
//   width:r   NeuralScale's convention: the target is the parameter count of the uniform network
//             with widths floor(base * r) (about r^2 of the 1.0x count);
//   params:p  the study's wording: the target is p x the 1.0x parameter count.
// CountMode picks the true count or the NeuralScale authors' proxy (arch/analysis.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "arch/families.h"
#include "util/result.h"

namespace paramscale::scaling {

enum class BudgetKind { Width, Params };

struct Budget {
  BudgetKind kind = BudgetKind::Params;
  double value = 1.0;
  std::string text() const;  // "width:0.25", "params:0.5"
};

// Accepts "width:R" or "params:P" with 0 < value <= 64, finite.
Result<Budget> parse_budget(const std::string& text);

enum class CountMode { True, Proxy };
Result<CountMode> parse_count_mode(const std::string& text);  // "true" | "proxy"
const char* count_mode_name(CountMode mode);

int64_t count_params(const arch::Network& net, CountMode mode);

// Parameter count of the family at these widths (widths must be valid for the family).
int64_t count_params(arch::Family family, const arch::DatasetShape& dataset,
                     const std::vector<int>& widths, CountMode mode);

// floor(base * r) per width, never below 1.
std::vector<int> uniform_widths(const std::vector<int>& base, double r);

// The target parameter count a budget stands for, in the given count mode.
int64_t target_params(arch::Family family, const arch::DatasetShape& dataset, const Budget& budget,
                      CountMode mode);

}  // namespace paramscale::scaling
