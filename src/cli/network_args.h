// cli/network_args: the flags that name a network (--model, --dataset, --budget, --widths, --count,
// --align) shared by every subcommand that builds one, and their resolution into widths.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "arch/families.h"
#include "scaling/align.h"
#include "scaling/budget.h"
#include "scaling/fit.h"

namespace paramscale::cli {

struct NetworkArgs {
  std::string model;
  std::string dataset = "cifar10";
  std::string budget;  // width:r | params:p; empty = 1.0x
  std::string widths;  // explicit comma list; overrides budget
  std::string count = "true";
  std::string align = "1";  // width multiple K, or "auto" (scaling/align.h); 1 = no alignment
  std::string method = "uniform";  // uniform | neuralscale (only where add_method_options is used)
  std::string fit;                 // NeuralScale fit file
  int iteration = 0;               // fit iteration; 0 = the last one in the file
  std::string tau_rule = "closest";  // closest | paper (scaling/neuralscale.h)
};

// Declares the flags; allow_all lets --model take "all".
void add_network_options(CLI::App* app, NetworkArgs& args, bool allow_all = false);

struct ResolvedNetwork {
  arch::Family family;
  arch::DatasetShape dataset;
  std::vector<int> widths;
  std::string budget_text;  // what the widths stand for: "width:1", "params:0.5", "widths"
  scaling::CountMode count = scaling::CountMode::True;
  scaling::Alignment align;
};

// Declares --method, --fit, --iteration, --tau-rule (commands that can build NeuralScale networks).
void add_method_options(CLI::App* app, NetworkArgs& args);

// Families named by --model ("all" expands to every family). Throws CliError on bad input.
std::vector<arch::Family> resolve_families(const NetworkArgs& args);
// Uniform widths for the budget (or the explicit widths). Throws CliError on bad input.
ResolvedNetwork resolve_uniform(const NetworkArgs& args, arch::Family family);
// Widths by --method (uniform or NeuralScale from --fit) for the budget. Throws CliError.
ResolvedNetwork resolve_network(const NetworkArgs& args, arch::Family family);

// The alignment named by --align ("auto" resolved for this machine). Throws CliError.
scaling::Alignment resolve_align(const NetworkArgs& args);
// One line saying which K was used and why, e.g. "align: 16 (auto: ONNX Runtime NCHWc ...)".
std::string align_text(const scaling::Alignment& a);

// The budget named by --budget (width:1 when empty). Throws CliError.
scaling::Budget resolve_budget(const NetworkArgs& args);
// The power laws named by --fit and --iteration, checked against the family. Throws CliError.
scaling::PowerLaws resolve_fit(const NetworkArgs& args, arch::Family family);

}  // namespace paramscale::cli
