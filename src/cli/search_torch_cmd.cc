// paramscale search: the NeuralScale search (gated Taylor pruning while training, architecture
// descent) for a family on a dataset, into SEARCH_DIR (nn/search.h lists the files). Its
// SEARCH_DIR/fit.json feeds `paramscale scale --fit`. Progress on stderr; a summary on stdout.
#include <algorithm>
#include <cstdio>

#include "cli/checkpoint_options.h"
#include "cli/command.h"
#include "cli/torch_handoff.h"
#include "nn/dataset.h"
#include "nn/search.h"

namespace paramscale::cli {

namespace {

struct SearchArgs {
  std::string model, dataset = "fashion-mnist", count = "true", augment = "auto", start_widths;
  nn::SearchOptions search;
  nn::DataOptions data;
  int threads = 0;
  bool quiet = false;
};

// libtorch reports an allocation it cannot make by throwing, with a backtrace in its message: the
// first line is the error.
Result<nn::SearchSummary> search_guarded(arch::Family family, const arch::DatasetShape& shape,
                                         const nn::DataSplits& data, const nn::SearchOptions& o) {
  try {
    return nn::search(family, shape, data, o);
  } catch (const std::exception& e) {
    const std::string what = e.what();
    return failure("search failed: " + what.substr(0, what.find('\n')));
  }
}

int run_search(SearchArgs a) {
  nn::SearchOptions& o = a.search;
  o.threads = resolve_threads(a.threads);
  o.progress = !a.quiet;
  o.count = unwrap(scaling::parse_count_mode(a.count));
  if (!a.start_widths.empty())
    o.start_widths = unwrap(parse_int_list(a.start_widths, "--start-widths"));
  if (a.data.subset < 0) fail_usage("--subset must be positive (0: all images)");
  if (a.augment != "auto" && a.augment != "on" && a.augment != "off")
    fail_usage("--augment must be auto, on or off, got '" + a.augment + "'");
  unwrap(nn::validate(o));
  const arch::Family family = unwrap(arch::family_from_name(a.model));
  // The synthetic task has CIFAR-10's shape (3x32x32, 10 classes).
  const bool synthetic = a.dataset == "synthetic";
  const arch::DatasetShape shape = unwrap(arch::dataset_preset(synthetic ? "cifar10" : a.dataset));
  a.data.dataset = a.dataset;
  a.data.seed = o.seed;
  const nn::DataSplits data = unwrap(nn::load_dataset(a.data));
  o.augment = a.augment == "on" || (a.augment == "auto" && data.augment_default);

  const nn::SearchSummary s = unwrap(search_guarded(family, shape, data, o));
  if (!s.finished) {
    std::printf("stopped after %d pruning steps (--stop-after-steps); continue with --resume\n",
                o.stop_after_steps);
    return 0;
  }
  const nn::IterationResult& last = s.iterations.back();
  double min_r2 = 1;
  for (double r2 : last.laws.r2) min_r2 = std::min(min_r2, r2);
  std::printf(
      "%zu iterations; last: %d trace rows, min R^2 %.3f; %.0f s (pruning bookkeeping %.1f%% of "
      "training steps); fit: %s/fit.json\n",
      s.iterations.size(), last.trace_rows, min_r2, s.seconds,
      s.step_seconds > 0 ? 100 * s.bookkeeping_seconds / s.step_seconds : 0.0, o.dir.c_str());
  return 0;
}

}  // namespace

void add_search_command(CLI::App& app, Action* action) {
  auto a = std::make_shared<SearchArgs>();
  nn::SearchOptions& o = a->search;
  CLI::App* cmd = app.add_subcommand("search", torch_command_description("search"));
  cmd->add_option("-m,--model", a->model, "vgg11|mobilenetv2|preact_resnet18|resnet50")->required();
  cmd->add_option("-d,--dataset", a->dataset, "fashion-mnist|cifar10|cifar100|synthetic")
      ->capture_default_str();
  cmd->add_option("--data-dir", a->data.data_dir,
                  std::string("dataset folder (default for fashion-mnist: ") +
                      nn::default_fashion_mnist_dir() + ")");
  cmd->add_option(
      "--start-widths", a->start_widths,
      "iteration 1's widths, comma-separated in reference order (default: the base widths)");
  cmd->add_option("--subset", a->data.subset, "search on this many training images (0: all)");
  cmd->add_option("--iterations", o.iterations, "architecture-descent iterations")
      ->capture_default_str();
  cmd->add_option("--warmup", o.warmup_epochs, "epochs of plain training before pruning")
      ->capture_default_str();
  cmd->add_option("--prune-per-step,-k", o.prune_per_step, "channels pruned per pruning step")
      ->capture_default_str();
  cmd->add_option("--prune-fraction", o.prune_fraction,
                  "prune this fraction of the live channels per step instead of --prune-per-step "
                  "(faster on a CPU; 0: off)")
      ->capture_default_str();
  cmd->add_option("--frequency,-F", o.frequency, "minibatches between pruning steps")
      ->capture_default_str();
  cmd->add_option("--stop-fraction", o.stop_fraction,
                  "stop once this fraction of channels is pruned")
      ->capture_default_str();
  cmd->add_option("--min-width", o.min_width, "no layer is pruned below this width")
      ->capture_default_str();
  cmd->add_option("--max-epochs", o.max_epochs,
                  "per iteration; an error if pruning has not stopped")
      ->capture_default_str();
  cmd->add_option("--batch-size", o.batch_size, "minibatch size")->capture_default_str();
  cmd->add_option("--lr", o.lr, "learning rate during warm-up")->capture_default_str();
  cmd->add_option("--lr-after-warmup", o.lr_after_warmup, "learning rate from the end of warm-up")
      ->capture_default_str();
  cmd->add_option("--lr-decay", o.lr_decay, "then divided by this ...")->capture_default_str();
  cmd->add_option("--lr-decay-epochs", o.lr_decay_epochs, "... every this many epochs")
      ->capture_default_str();
  cmd->add_option("--momentum", o.momentum, "SGD momentum")->capture_default_str();
  cmd->add_option("--weight-decay", o.weight_decay, "L2 weight decay")->capture_default_str();
  cmd->add_option("--augment", a->augment,
                  "auto|on|off: random crop (pad 4) + flip; auto = on for CIFAR")
      ->capture_default_str();
  cmd->add_option("--count", a->count, "parameter count tau is measured with: true|proxy")
      ->capture_default_str();
  cmd->add_option("--threads,-t", a->threads, "threads (0: every core)")->capture_default_str();
  non_negative_seed(cmd->add_option("--seed", o.seed, "random seed")->capture_default_str());
  cmd->add_option("--device", o.device, "cpu|cuda[:N]")->capture_default_str();
  cmd->add_flag("--resume", o.resume, "continue the search in -o from its checkpoint");
  cmd->add_option("--stop-after-steps", o.stop_after_steps,
                  "stop after this many pruning steps as if killed (tests --resume)");
  add_checkpoint_options(cmd, &o.checkpoint_minutes, &o.kill_after_checkpoints);
  cmd->add_flag("--quiet,-q", a->quiet, "no progress on stderr");
  cmd->add_option("-o,--output", o.dir, "search directory")->required();
  cmd->callback([a, action] { *action = [a] { return run_search(*a); }; });
}

}  // namespace paramscale::cli
