// scaling/neuralscale: NeuralScale widths for any parameter budget from a fit's power laws.
//
// Widths are w_l = floor(alpha_l * tau^beta_l), never below 1. scale_neuralscale() finds tau by
// bisection on ln tau, by one of two rules:
//   closest  (default) the parameter count of the floored widths comes closest to the target
//            (scaling/solve.h) — within a fraction of a percent for the published fits;
//   unfloored  the count of the *unfloored* widths alpha_l * tau^beta_l equals the target
//            (scaling/count_polynomial.h), then floor: lands below the budget (~1-4%);
//   paper    the rule the authors' code used for the family, to reproduce published widths:
//            unfloored for MobileNetV2, closest for the others (their VGG and PreAct-ResNet
//            code iterated on floored widths; PreAct stopped within 0.7%, so only VGG-11 and
//            MobileNetV2 widths are reproduced exactly).
// With align = K > 1 (scaling/align.h) every width is rounded to a multiple of K and tau is solved
// by the closest rule on the *aligned* widths (unfloored and paper are rejected with K > 1).
// Both always terminate. Laws with some beta_l <= 0 (a width that does not grow with tau) and
// budgets outside the reachable range are reported as Errors, not searched.
#pragma once

#include <string>
#include <vector>

#include "arch/families.h"
#include "scaling/budget.h"
#include "scaling/fit.h"
#include "scaling/solve.h"

namespace paramscale::scaling {

enum class TauRule { Closest, Unfloored, Paper };
Result<TauRule> parse_tau_rule(const std::string& text);  // "closest" | "unfloored" | "paper"
const char* tau_rule_name(TauRule rule);

// floor(alpha_l * exp(ln_tau * beta_l)) per layer, clamped to [1, 2^30].
std::vector<int> neuralscale_widths(const PowerLaws& laws, double ln_tau);

// Ok when every alpha_l > 0 and beta_l > 0 (finite); otherwise names the first offending layer.
Status check_power_laws(const PowerLaws& laws, arch::Family family);

// Solution::x is ln tau.
Result<Solution> scale_neuralscale(arch::Family family, const arch::DatasetShape& dataset,
                                   const PowerLaws& laws, const Budget& budget, CountMode mode,
                                   TauRule rule = TauRule::Closest, int align = 1);

}  // namespace paramscale::scaling
