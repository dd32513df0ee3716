#include "cli/network_args.h"

#include "cli/command.h"
#include "scaling/fit_file.h"
#include "scaling/neuralscale.h"
#include "scaling/uniform.h"

namespace paramscale::cli {

void add_network_options(CLI::App* app, NetworkArgs& args, bool allow_all) {
  app->add_option(
         "--model,-m", args.model,
         std::string("vgg11|mobilenetv2|preact_resnet18|resnet50") + (allow_all ? "|all" : ""))
      ->required();
  app->add_option("--dataset,-d", args.dataset, "cifar10|cifar100|tinyimagenet|fashion-mnist")
      ->capture_default_str();
  app->add_option("--budget,-b", args.budget, "width:R or params:P (default: the 1.0x network)");
  app->add_option("--widths", args.widths, "explicit comma-separated widths in reference order")
      ->excludes(app->get_option("--budget"));
  app->add_option("--count", args.count, "parameter count for budgets: true|proxy")
      ->capture_default_str();
  app->add_option("--align", args.align,
                  "round every width to a multiple of K (nearest, never below K) and solve the "
                  "budget for the aligned widths; 'auto' = ONNX Runtime's NCHWc block on this CPU")
      ->capture_default_str();
}

scaling::Alignment resolve_align(const NetworkArgs& args) {
  return unwrap(scaling::parse_align(args.align));
}

std::string align_text(const scaling::Alignment& a) {
  std::string t = "align: " + std::to_string(a.k);
  if (a.requested == "auto") return t + " (auto: " + a.reason + ")";
  return t + (a.k == 1 ? " (none)" : "");
}

std::vector<arch::Family> resolve_families(const NetworkArgs& args) {
  if (args.model == "all") {
    if (!args.widths.empty()) fail_usage("--widths needs a single --model, not 'all'");
    return arch::all_families();
  }
  return {unwrap(arch::family_from_name(args.model))};
}

ResolvedNetwork resolve_uniform(const NetworkArgs& args, arch::Family family) {
  ResolvedNetwork r{family,    unwrap(arch::dataset_preset(args.dataset)),    {},
                    "width:1", unwrap(scaling::parse_count_mode(args.count)), resolve_align(args)};
  if (!args.widths.empty()) {
    if (r.align.k > 1) fail_usage("--align cannot be combined with explicit --widths");
    r.widths = unwrap(parse_int_list(args.widths, "--widths"));
    const size_t n = arch::base_widths(family).size();
    if (r.widths.size() != n)
      fail_usage(std::string("--widths: ") + arch::family_name(family) + " takes " +
                 std::to_string(n) + " widths, got " + std::to_string(r.widths.size()));
    r.budget_text = "widths";
    return r;
  }
  if (args.budget.empty() && r.align.k == 1) {
    r.widths = arch::base_widths(family);
    return r;
  }
  const scaling::Budget budget = resolve_budget(args);
  r.widths = unwrap(scaling::scale_uniform(family, r.dataset, budget, r.count, r.align.k)).widths;
  r.budget_text = budget.text();
  return r;
}

}  // namespace paramscale::cli

namespace paramscale::cli {

void add_method_options(CLI::App* app, NetworkArgs& args) {
  app->add_option("--method", args.method, "uniform|neuralscale")->capture_default_str();
  app->add_option("--fit", args.fit, "NeuralScale fit file (JSON)");
  app->add_option("--iteration", args.iteration, "fit iteration (1-based; default: the last)");
  app->add_option("--tau-rule", args.tau_rule,
                  "NeuralScale tau: closest (floored widths' count closest to the budget), "
                  "unfloored (unfloored widths' count = budget, then floor) or paper (the "
                  "authors' rule for the family; reproduces published widths)")
      ->capture_default_str();
}

scaling::Budget resolve_budget(const NetworkArgs& args) {
  if (args.budget.empty()) return scaling::Budget{scaling::BudgetKind::Width, 1.0};
  return unwrap(scaling::parse_budget(args.budget));
}

scaling::PowerLaws resolve_fit(const NetworkArgs& args, arch::Family family) {
  if (args.fit.empty()) fail_usage("--method neuralscale needs --fit FILE");
  if (args.iteration < 0) fail_usage("--iteration must be a positive integer (or 0 for the last)");
  const scaling::FitFile fit = unwrap(scaling::read_fit_file(args.fit));
  return unwrap(scaling::select_iteration(fit, args.iteration, family, args.fit));
}

ResolvedNetwork resolve_network(const NetworkArgs& args, arch::Family family) {
  if (args.method == "uniform") {
    if (!args.fit.empty()) fail_usage("--fit is only used with --method neuralscale");
    return resolve_uniform(args, family);
  }
  if (args.method != "neuralscale")
    fail_usage("unknown --method '" + args.method + "' (expected uniform or neuralscale)");
  if (!args.widths.empty()) fail_usage("--widths cannot be combined with --method neuralscale");
  ResolvedNetwork r{family,    unwrap(arch::dataset_preset(args.dataset)),    {},
                    "width:1", unwrap(scaling::parse_count_mode(args.count)), resolve_align(args)};
  const scaling::Budget budget = resolve_budget(args);
  const scaling::PowerLaws laws = resolve_fit(args, family);
  const scaling::TauRule rule = unwrap(scaling::parse_tau_rule(args.tau_rule));
  r.widths =
      unwrap(scaling::scale_neuralscale(family, r.dataset, laws, budget, r.count, rule, r.align.k))
          .widths;
  r.budget_text = budget.text();
  return r;
}

}  // namespace paramscale::cli
