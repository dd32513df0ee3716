// nn/trainer: trains an arch::Network on a dataset with libtorch, resumably and reproducibly.
//
// Torch-free interface (the CLI includes it; the implementation is in trainer.cc). The trainer
// writes into run_dir: checkpoint.pt at the end of every epoch and every `checkpoint_minutes`
// within one (model, optimizer, epoch, the position within the epoch, RNG state, log, best epoch,
// settings; nn/checkpoint.h; temp file + rename, so a crash never leaves a half-written or lost
// checkpoint), log.csv (one row per finished epoch) and, when done, weights.psw (arch/weights
// format). Progress within an epoch goes to stderr as nn/epoch_progress.h describes.
//
// Reproducibility: model initialisation draws from torch's generator seeded with `seed`; the
// shuffle and augmentation of epoch e draw from a generator seeded with (seed, e), whose state the
// checkpoint keeps, so a run resumed from any checkpoint — an epoch's end or within an epoch —
// replays exactly what an uninterrupted run does. Same seed and the same thread count on CPU give
// bit-identical weights. A resume must use the same settings (threads, device and the checkpoint
// interval may differ, the first two at the price of bit-identity); a checkpoint that cannot be
// read is an error and is never overwritten. Starting a fresh run in a directory that holds a
// checkpoint is refused.
//
// Schedules: "multistep" multiplies the rate by `gamma` at each milestone epoch (default: at 1/3,
// 2/3 and 5/6 of the epochs — the reference's 100/200/250 of 300); "cosine" anneals to 0 per step.
// Both can start with a linear warm-up over `warmup_epochs` (per step).
// Best epoch: highest validation accuracy when a validation split exists, else highest test
// accuracy (the paper's convention; the summary says which).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "arch/network.h"
#include "nn/dataset.h"
#include "util/result.h"

namespace paramscale::nn {

struct TrainOptions {
  int epochs = 300;
  int batch_size = 128;
  double lr = 0.1;
  double momentum = 0.5;  // the NeuralScale reference's final-training value
  bool nesterov = false;
  double weight_decay = 5e-4;
  std::string schedule = "multistep";  // multistep | cosine
  std::vector<int> milestones;         // empty: 1/3, 2/3, 5/6 of the epochs
  double gamma = 0.1;
  double warmup_epochs = 0;
  bool augment = false;  // random crop (padding 4) + horizontal flip
  uint64_t seed = 0;
  int threads = 1;
  std::string device = "cpu";  // cpu | cuda | cuda:N
  std::string run_dir;
  bool resume = false;
  int stop_after = 0;              // >0: stop after this epoch as if killed (to test --resume)
  double checkpoint_minutes = 10;  // also checkpoint within an epoch this often; 0: epoch ends only
  int kill_after_checkpoints = 0;  // >0: SIGKILL itself after this many checkpoints (tests)
  bool progress = true;            // progress within each epoch and a line per epoch on stderr
};

struct EpochRecord {
  int epoch = 0;
  double lr = 0, train_loss = 0, train_accuracy = 0;
  double val_accuracy = -1, test_accuracy = 0;  // accuracies in [0, 1]; -1: no validation split
  double images_per_second = 0, epoch_seconds = 0, elapsed_seconds = 0;
};

struct TrainSummary {
  int epochs_done = 0;
  bool finished = false;  // false when stopped early by stop_after
  double final_test_accuracy = 0;
  double best_test_accuracy = 0;  // test accuracy at the best epoch
  int best_epoch = 0;
  std::string best_selected_by;  // "validation" or "test"
  double images_per_second = 0;  // training images / training-loop seconds, over all epochs
  double train_seconds = 0, eval_seconds = 0, total_seconds = 0;
  int threads = 0;
  int resumed_from_epoch = 0;
  int64_t parameters = 0;
  std::vector<EpochRecord> history;
};

Status validate(const TrainOptions& options);
// The one check of --checkpoint-minutes, shared with the search: a finite number, at least 0.
Status validate_checkpoint_minutes(double minutes);

// Trains `net` on `data`; see the header comment for what lands in options.run_dir.
Result<TrainSummary> train(const arch::Network& net, const DataSplits& data,
                           const TrainOptions& options);

}  // namespace paramscale::nn
