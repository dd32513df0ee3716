// paramscale scale: a family's widths for a budget by uniform scaling or NeuralScale, side by side
// with the uniform widths for the same budget, with both networks' params, MACs and memory. With
// --align K both are aligned to the same K, and the output records K and (for auto) why.
#include <cmath>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "arch/analysis.h"
#include "arch/families.h"
#include "cli/command.h"
#include "cli/network_args.h"
#include "cli/table.h"
#include "scaling/neuralscale.h"
#include "scaling/uniform.h"
#include "util/limits.h"

namespace paramscale::cli {

namespace {
struct ScaleArgs {
  NetworkArgs net;
  int batch = 1;
  bool json = false;
};

// One scaled network and what it costs.
struct Scaled {
  scaling::Solution solution;
  arch::Analysis analysis;
};

Scaled costed(arch::Family family, const arch::DatasetShape& dataset, scaling::Solution s,
              int batch) {
  const arch::Network net = unwrap(arch::build_network(family, dataset, s.widths));
  return Scaled{std::move(s), arch::analyze(net, batch)};
}

nlohmann::json costs_json(const Scaled& s) {
  return {{"params", s.solution.params},
          {"relative_error", s.solution.relative_error},
          {"true_params", s.analysis.params},
          {"proxy_params", s.analysis.proxy_params},
          {"macs", s.analysis.macs},
          {"weight_bytes", s.analysis.weight_bytes},
          {"peak_activation_bytes", s.analysis.peak_activation_bytes}};
}

// The solved budget: the chosen method's network and uniform's, with how they were solved.
struct ScaleResult {
  arch::Family family;
  arch::DatasetShape dataset;
  scaling::CountMode count;
  scaling::Budget budget;
  scaling::Alignment align;
  scaling::TauRule rule;
  std::optional<scaling::PowerLaws> laws;  // NeuralScale only
  Scaled uniform, chosen;                  // chosen = uniform for the uniform method
  bool neuralscale() const { return laws.has_value(); }
};

ScaleResult solve(const ScaleArgs& args) {
  if (args.batch < 1 || args.batch > kMaxBatch)
    fail_usage("--batch must be an integer from 1 to " + std::to_string(kMaxBatch));
  if (!args.net.widths.empty())
    fail_usage("scale solves a --budget; for explicit --widths use 'paramscale arch'");
  const arch::Family family = unwrap(arch::family_from_name(args.net.model));
  const arch::DatasetShape dataset = unwrap(arch::dataset_preset(args.net.dataset));
  const scaling::CountMode count = unwrap(scaling::parse_count_mode(args.net.count));
  const scaling::Budget budget = resolve_budget(args.net);
  const scaling::Alignment align = resolve_align(args.net);
  const bool neuralscale = args.net.method == "neuralscale";
  if (!neuralscale) (void)resolve_network(args.net, family);  // validates --method and --fit
  const scaling::TauRule rule = unwrap(scaling::parse_tau_rule(args.net.tau_rule));
  std::optional<scaling::PowerLaws> laws;
  if (neuralscale) laws = resolve_fit(args.net, family);
  Scaled uniform =
      costed(family, dataset,
             unwrap(scaling::scale_uniform(family, dataset, budget, count, align.k)), args.batch);
  Scaled chosen = neuralscale ? costed(family, dataset,
                                       unwrap(scaling::scale_neuralscale(
                                           family, dataset, *laws, budget, count, rule, align.k)),
                                       args.batch)
                              : uniform;
  return {family, dataset, count, budget, align, rule, laws, std::move(uniform), std::move(chosen)};
}

void print_json(const ScaleArgs& args, const ScaleResult& r) {
  const scaling::Solution& s = r.chosen.solution;
  nlohmann::json j = {{"model", arch::family_name(r.family)},
                      {"dataset", r.dataset.name},
                      {"method", args.net.method},
                      {"budget", r.budget.text()},
                      {"count", scaling::count_mode_name(r.count)},
                      {"align", r.align.k},
                      {"align_requested", r.align.requested},
                      {"align_reason", r.align.reason},
                      {"batch", args.batch},
                      {"width_names", arch::width_names(r.family)},
                      {"widths", s.widths},
                      {"uniform_widths", r.uniform.solution.widths},
                      {"target_params", s.target_params},
                      {"iterations", s.iterations}};
  j.update(costs_json(r.chosen));
  j["uniform"] = costs_json(r.uniform);
  j["uniform"]["multiplier"] = std::exp(r.uniform.solution.x);
  if (r.neuralscale()) {
    j["tau"] = std::exp(s.x);
    j["fit"] = {{"file", args.net.fit}, {"iteration", r.laws->iteration}};
    j["tau_rule"] = scaling::tau_rule_name(r.rule);
  }
  std::cout << j.dump(2) << '\n';
}

void print_tables(const ScaleArgs& args, const ScaleResult& r) {
  const scaling::Solution& s = r.chosen.solution;
  const std::vector<std::string> names = arch::width_names(r.family);
  const char* count_name = scaling::count_mode_name(r.count);
  std::cout << "## " << arch::family_name(r.family) << " on " << r.dataset.name << ": "
            << args.net.method << " at " << r.budget.text() << " (" << count_name << " count)\n\n"
            << align_text(r.align);
  if (r.neuralscale())
    std::cout << "\n\nfit: " << args.net.fit << ", iteration " << r.laws->iteration
              << "; tau = " << fixed(std::exp(s.x), 1)
              << " (rule: " << scaling::tau_rule_name(r.rule) << ") after " << s.iterations
              << " bisection steps";
  std::cout << "\n\n";
  Table widths({"#", "width", args.net.method, "uniform"});
  for (size_t l = 0; l < names.size(); ++l)
    widths.add({std::to_string(l), names[l], std::to_string(s.widths[l]),
                std::to_string(r.uniform.solution.widths[l])});
  widths.print(std::cout);
  std::cout << '\n';
  Table totals({"total", args.net.method, "uniform"});
  const auto row = [&](const std::string& what, auto value) {
    totals.add({what, value(r.chosen), value(r.uniform)});
  };
  row(std::string("params (") + count_name + " count)",
      [](const Scaled& x) { return with_commas(x.solution.params); });
  row("target params", [](const Scaled& x) { return with_commas(x.solution.target_params); });
  row("relative error %",
      [](const Scaled& x) { return fixed(100 * x.solution.relative_error, 4); });
  row("true params", [](const Scaled& x) { return with_commas(x.analysis.params); });
  row("MACs", [](const Scaled& x) { return with_commas(x.analysis.macs); });
  row("weight MB", [](const Scaled& x) { return megabytes(x.analysis.weight_bytes); });
  row("peak activation MB (batch " + std::to_string(args.batch) + ")",
      [](const Scaled& x) { return megabytes(x.analysis.peak_activation_bytes); });
  totals.print(std::cout);
}

int run_scale(const ScaleArgs& args) {
  const ScaleResult r = solve(args);
  if (args.json)
    print_json(args, r);
  else
    print_tables(args, r);
  return 0;
}
}  // namespace

void add_scale_command(CLI::App& app, Action* action) {
  auto args = std::make_shared<ScaleArgs>();
  CLI::App* cmd = app.add_subcommand(
      "scale", "Widths for a budget by uniform scaling or NeuralScale, next to uniform's");
  add_network_options(cmd, args->net);
  add_method_options(cmd, args->net);
  cmd->add_option("--batch", args->batch, "batch size for activation bytes")->capture_default_str();
  cmd->add_flag("--json", args->json, "print JSON instead of tables");
  cmd->callback([args, action] { *action = [args] { return run_scale(*args); }; });
}

}  // namespace paramscale::cli
