// paramscale fit: NeuralScale power laws from pruning traces, written as a fit file.
//
// Every --trace becomes one iteration of the fit file, numbered 1, 2, ... in the order given (an
// architecture descent's traces in order). Without -o the fit file's JSON goes to stdout; with -o
// it is written there and a per-layer summary of the last iteration is printed.
#include <iostream>
#include <memory>

#include "arch/families.h"
#include "cli/command.h"
#include "cli/table.h"
#include "scaling/fit.h"
#include "scaling/fit_file.h"
#include "scaling/trace.h"

namespace paramscale::cli {

namespace {
struct FitArgs {
  std::string model;
  std::string dataset = "cifar10";
  std::vector<std::string> traces;
  std::string count = "true";
  std::string output;
};

int run_fit(const FitArgs& args) {
  const arch::Family family = unwrap(arch::family_from_name(args.model));
  const arch::DatasetShape dataset = unwrap(arch::dataset_preset(args.dataset));
  scaling::FitFile fit;
  fit.model = arch::family_name(family);
  fit.dataset = dataset.name;
  fit.num_classes = dataset.classes;
  fit.count = unwrap(scaling::parse_count_mode(args.count));
  fit.traces = args.traces;
  for (const std::string& path : args.traces) {
    const scaling::Trace trace = unwrap(scaling::read_trace(path));
    Result<scaling::PowerLaws> laws = scaling::fit_trace(family, dataset, trace, fit.count);
    if (!laws.ok()) fail_usage("trace '" + path + "': " + laws.error().message);
    laws->iteration = static_cast<int>(fit.iterations.size()) + 1;
    fit.iterations.push_back(std::move(*laws));
  }
  if (args.output.empty()) {
    std::cout << scaling::fit_json(fit);
    return 0;
  }
  unwrap(scaling::write_fit_file(args.output, fit));
  const scaling::PowerLaws& last = fit.iterations.back();
  std::cout << "## NeuralScale fit of " << fit.model << " on " << fit.dataset << " ("
            << scaling::count_mode_name(fit.count) << " count): " << fit.iterations.size()
            << " iteration(s) -> " << args.output << "\n\niteration " << last.iteration << ", "
            << last.rows << " trace rows:\n\n";
  Table t({"#", "width", "alpha", "beta", "R^2"});
  const std::vector<std::string> names = arch::width_names(family);
  for (int l = 0; l < last.layer_count(); ++l)
    t.add({std::to_string(l), names[l], fixed(last.alpha[l], 6), fixed(last.beta[l], 6),
           fixed(last.r2[l], 4)});
  t.print(std::cout);
  return 0;
}
}  // namespace

void add_fit_command(CLI::App& app, Action* action) {
  auto args = std::make_shared<FitArgs>();
  CLI::App* cmd = app.add_subcommand(
      "fit", "Fit NeuralScale power laws (w = alpha * tau^beta per width) to pruning traces");
  cmd->add_option("--model,-m", args->model, "vgg11|mobilenetv2|preact_resnet18|resnet50")
      ->required();
  cmd->add_option("--dataset,-d", args->dataset, "cifar10|cifar100|tinyimagenet|fashion-mnist")
      ->capture_default_str();
  cmd->add_option("--trace", args->traces, "trace CSV files, one per iteration, in order")
      ->required();
  cmd->add_option("--count", args->count, "parameter count tau is measured with: true|proxy")
      ->capture_default_str();
  cmd->add_option("--output,-o", args->output, "fit file to write (default: JSON to stdout)");
  cmd->callback([args, action] { *action = [args] { return run_fit(*args); }; });
}

}  // namespace paramscale::cli
