// paramscale export: an ONNX model of a network at a budget (or of a training run) for measurement.
#include <iostream>
#include <memory>

#include "arch/analysis.h"
#include "arch/families.h"
#include "arch/weights.h"
#include "cli/command.h"
#include "cli/network_args.h"
#include "export/onnx_export.h"
#include "rundir/run_dir.h"
#include "util/sha256.h"

namespace paramscale::cli {

namespace {
struct ExportArgs {
  NetworkArgs net;
  std::string run;
  std::string weights;
  uint64_t seed = 0;
  std::string batch = "dynamic";
  bool fold_bn = false;
  std::string output;
};

int64_t parse_batch(const std::string& text) {
  if (text == "dynamic") return 0;
  size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || v < 1 || v > 1000000)
    fail_usage("--batch must be a positive integer or 'dynamic', got '" + text + "'");
  return v;
}

int run_export(const ExportArgs& args) {
  onnx_export::Options options;
  options.batch = parse_batch(args.batch);
  options.fold_batchnorm = args.fold_bn;
  arch::Network net;
  arch::Weights weights;
  std::string source, what;
  if (!args.run.empty()) {
    rundir::RunDir run = unwrap(rundir::read_run_dir(args.run));
    net = std::move(run.network);
    weights = std::move(run.weights);
    source = "run:" + args.run;
    what = "run";
  } else {
    if (args.net.model.empty()) fail_usage("--model or --run is required");
    const arch::Family family = unwrap(arch::family_from_name(args.net.model));
    const ResolvedNetwork r = resolve_network(args.net, family);
    net = unwrap(arch::build_network(family, r.dataset, r.widths));
    unwrap(arch::check_materialisable(net));
    what = r.budget_text + " " + args.net.method + " align=" + std::to_string(r.align.k);
    if (r.align.requested == "auto") std::cerr << align_text(r.align) << '\n';
    if (!args.weights.empty()) {
      weights = unwrap(arch::read_weights(args.weights));
      source = "file:" + args.weights;
    } else {
      weights = arch::random_weights(net, args.seed);
      source = "random:" + std::to_string(args.seed);
    }
  }
  const onnx_export::ExportedModel m =
      unwrap(onnx_export::write_onnx(args.output, net, weights, options));
  std::cout << args.output << ": " << arch::family_name(net.family) << " " << net.dataset.name
            << " " << what << " params=" << m.params << " nodes=" << m.nodes
            << " batch=" << (options.batch ? std::to_string(options.batch) : "dynamic")
            << " bn=" << (args.fold_bn ? "folded:" + std::to_string(m.folded_batchnorms) : "kept")
            << " weights=" << source << " sha256=" << sha256_hex(m.bytes) << '\n';
  return 0;
}
}  // namespace

void add_export_command(CLI::App& app, Action* action) {
  auto args = std::make_shared<ExportArgs>();
  CLI::App* cmd = app.add_subcommand(
      "export", "Write an ONNX model (opset 13) of a network at a budget, or of a training run");
  add_network_options(cmd, args->net);
  add_method_options(cmd, args->net);
  cmd->get_option("--model")->required(false);
  CLI::Option* run =
      cmd->add_option("--run", args->run, "training run directory (arch.json + weights.psw)");
  for (const char* other : {"--model", "--dataset", "--budget", "--widths", "--method", "--fit",
                            "--iteration", "--count", "--tau-rule", "--align"})
    if (CLI::Option* o = cmd->get_option_no_throw(other)) run->excludes(o);
  CLI::Option* weights =
      cmd->add_option("--weights", args->weights, "weights file (default: seeded random weights)");
  CLI::Option* seed =
      cmd->add_option("--seed", args->seed, "seed of the random weights")->capture_default_str();
  non_negative_seed(seed);
  weights->excludes(seed);
  run->excludes(weights)->excludes(seed);
  cmd->add_option("--batch", args->batch, "batch dimension: N or dynamic")->capture_default_str();
  cmd->add_flag("--fold-bn", args->fold_bn, "fold batch-norm into the preceding convolution");
  cmd->add_option("-o,--output", args->output, "the .onnx file to write")->required();
  cmd->callback([args, action] { *action = [args] { return run_export(*args); }; });
}

}  // namespace paramscale::cli
