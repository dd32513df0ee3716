// nn/search: the NeuralScale search — gated first-order-Taylor pruning while training, one trace
// per architecture-descent iteration, and the power-law fit of each trace.
//
// Torch-free interface (the CLI includes it; the implementation is in search.cc). What it does,
// following the NeuralScale reference implementation:
//   iteration 1 builds the family at its base widths (or start_widths), iteration i > 1 at the
//   widths the fit of iteration i-1 gives for iteration 1's parameter count (the 1.0x budget,
//   closest tau rule); with gates at every
//   scalable width (nn/model.h: one tensor per width, so PreAct's twice-gated widths share it);
//   trains `warmup_epochs`, then keeps training while every `frequency` minibatches the `k`
//   lowest-scoring live channels (global ranking, no per-layer normalisation) get gate 0. A
//   channel's score is (g_c * dL/dg_c)^2 averaged over the minibatches since the last pruning
//   step. k is `prune_per_step`, or ceil(prune_fraction * live channels) when that is set (a CPU
//   affordance: the search shrinks geometrically). A layer never drops below `min_width`; the
//   iteration stops once `stop_fraction` of all gated channels are pruned or a layer is at its
//   minimum. After every pruning step where every layer has lost a channel, the live widths are a
//   trace row. The trace is fitted (scaling/fit.h, count mode `count`).
// Learning rate: `lr` during warm-up, `lr_after_warmup` from its end, divided by `lr_decay` every
// `lr_decay_epochs` epochs (the paper's rule). Every option is recorded in the summary.
//
// Files in dir: trace_<i>.csv (header, widths, tau), fit_<i>.json (iteration i's laws alone),
// fit.json (every iteration so far: feed it to `paramscale scale --fit`), search.json (settings,
// per-iteration rows, R^2, epochs, seconds), checkpoint.pt (after every pruning step and warm-up
// epoch, and every `checkpoint_minutes` in between; temp file + rename; format version 2 holds the
// Taylor scores and loss/accuracy sums since the last pruning step, a version-1 file is refused
// with one line). A killed search resumed with the same settings continues from the last
// checkpoint and ends with the same files as an uninterrupted run (same threads, CPU): each
// minibatch's order and augmentation depend only on (seed, iteration, minibatch). Starting afresh
// in a directory with a checkpoint is refused.
//
// Structure (search.cc): search() runs one SearchIteration per descent iteration — set_up() (the
// network and its nn/training Learner, shared with the trainer), prune_until_stop() (minibatch,
// scoring, pruning step, stop rule, checkpoints, progress) and finish() (trace, fit, files).
// Progress within an epoch is nn/epoch_progress's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "arch/families.h"
#include "nn/dataset.h"
#include "scaling/budget.h"
#include "scaling/fit.h"
#include "util/result.h"

namespace paramscale::nn {

struct SearchOptions {
  std::vector<int> start_widths;  // iteration 1's network; empty: the family's base widths
  int iterations = 15;
  double warmup_epochs = 10;
  int prune_per_step = 10;      // k
  double prune_fraction = 0;    // > 0: k = ceil(fraction * live channels) instead of prune_per_step
  int frequency = 50;           // minibatches between pruning steps (F)
  double stop_fraction = 0.95;  // of all gated channels
  int min_width = 1;
  int max_epochs = 1000;  // safety bound per iteration (an error if pruning has not stopped)
  int batch_size = 256;
  double lr = 0.1, lr_after_warmup = 0.01, lr_decay = 1.5;
  int lr_decay_epochs = 10;
  double momentum = 0.5, weight_decay = 5e-4;
  bool augment = false;
  scaling::CountMode count = scaling::CountMode::True;
  uint64_t seed = 0;
  int threads = 1;
  std::string device = "cpu";
  std::string dir;
  bool resume = false;
  int stop_after_steps =
      0;  // > 0: stop after this many pruning steps in total, as if killed (tests)
  double checkpoint_minutes = 10;  // also checkpoint between scheduled ones this often; 0: never
  int kill_after_checkpoints = 0;  // >0: SIGKILL itself after this many checkpoints (tests)
  bool progress = true;
};

struct IterationResult {
  int iteration = 0;
  std::vector<int> start_widths;  // the 1.0x network this iteration pruned
  int trace_rows = 0;
  int pruning_steps = 0;
  double epochs = 0;  // epochs trained, warm-up included
  double seconds = 0;
  double final_train_accuracy = 0;  // over the last pruning interval
  scaling::PowerLaws laws;
};

struct SearchSummary {
  bool finished = false;  // false when stopped by stop_after_steps
  std::vector<IterationResult> iterations;
  double seconds = 0;
  double bookkeeping_seconds = 0;  // score accumulation + ranking (the search's own overhead)
  double step_seconds = 0;         // forward + backward + optimizer of all minibatches
};

Status validate(const SearchOptions& options);

// Runs (or resumes) the search for `family` on `data` (`dataset` is the network's input shape).
Result<SearchSummary> search(arch::Family family, const arch::DatasetShape& dataset,
                             const DataSplits& data, const SearchOptions& options);

}  // namespace paramscale::nn
