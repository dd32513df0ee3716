// paramscale arch: per-layer cost table and totals of a family at a budget or explicit widths.
#include <iostream>

#include "arch/analysis.h"
#include "arch/families.h"
#include "cli/arch_view.h"
#include "cli/command.h"
#include "cli/network_args.h"
#include "util/limits.h"

namespace paramscale::cli {

namespace {
struct ArchArgs {
  NetworkArgs net;
  int batch = 1;
  bool json = false;
  bool totals_only = false;
};

int run_arch(const ArchArgs& args) {
  if (args.batch < 1 || args.batch > kMaxBatch)
    fail_usage("--batch must be an integer from 1 to " + std::to_string(kMaxBatch));
  nlohmann::json all = nlohmann::json::array();
  for (arch::Family family : resolve_families(args.net)) {
    const ResolvedNetwork r = resolve_uniform(args.net, family);
    const arch::Network net = unwrap(arch::build_network(family, r.dataset, r.widths));
    const arch::Analysis a = arch::analyze(net, args.batch);
    if (args.json) {
      nlohmann::json j = {{"model", arch::family_name(family)},
                          {"dataset", r.dataset.name},
                          {"budget", r.budget_text},
                          {"count", scaling::count_mode_name(r.count)},
                          {"align", r.align.k},
                          {"align_requested", r.align.requested},
                          {"align_reason", r.align.reason},
                          {"widths", r.widths},
                          {"width_names", arch::width_names(family)},
                          {"totals", totals_json(net, a)}};
      if (!args.totals_only) j["layers"] = layers_json(net, a);
      all.push_back(j);
      continue;
    }
    std::cout << "## " << arch::family_name(family) << " on " << r.dataset.name << " ("
              << r.budget_text << ")\n\n"
              << align_text(r.align) << "\nwidths: ";
    for (size_t i = 0; i < r.widths.size(); ++i) std::cout << (i ? "," : "") << r.widths[i];
    std::cout << "\n\n";
    if (!args.totals_only) {
      print_layer_table(std::cout, net, a);
      std::cout << "\n(* = layer at which live activations peak)\n\n";
    }
    print_totals(std::cout, a, net);
    std::cout << '\n';
  }
  if (args.json) std::cout << (all.size() == 1 ? all[0] : all).dump(2) << '\n';
  return 0;
}
}  // namespace

void add_arch_command(CLI::App& app, Action* action) {
  auto args = std::make_shared<ArchArgs>();
  CLI::App* cmd = app.add_subcommand(
      "arch", "Per-layer params, MACs and activation memory of a family at a budget");
  add_network_options(cmd, args->net, /*allow_all=*/true);
  cmd->add_option("--batch", args->batch, "batch size for activation bytes")->capture_default_str();
  cmd->add_flag("--json", args->json, "print JSON instead of tables");
  cmd->add_flag("--totals", args->totals_only, "totals only, no per-layer table");
  cmd->callback([args, action] { *action = [args] { return run_arch(*args); }; });
}

}  // namespace paramscale::cli
