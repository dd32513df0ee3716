// nn/checkpoint: the trainer's resumable state on disk (torch archives), and its text log.
//
// A checkpoint holds the model's parameters and buffers, the optimizer state, the number of
// finished epochs, the per-epoch history (from which the best epoch follows), accumulated times,
// torch's CPU generator state, the run's settings (a resume with different settings is refused,
// naming the first one that differs) and, when written within an epoch (a time checkpoint), the
// position in that epoch: minibatches done, the epoch's generator state and the loss and accuracy
// sums its log row is made from. Saving writes the file atomically (util/atomic_file). Loading
// reports an unreadable or mismatched file as a one-line Error.
// Format version 2 (version 1 had no epoch position): a version-1 checkpoint is refused with one
// line, since version 1's settings named the family by number and cannot be compared either.
// Includes torch.
#pragma once

#include <string>
#include <vector>

#include "nn/trainer.h"
#include "nn/training.h"

namespace paramscale::nn {

// An epoch in progress, as a time checkpoint saves it (batch 0: the run is at an epoch's end).
struct EpochPosition {
  int64_t batch = 0;         // minibatches trained in epoch `epoch + 1`
  uint64_t shuffle_rng = 0;  // its generator after them (its order is drawn again from the seed)
  double loss_sum = 0;       // sum of minibatch loss x images
  int64_t correct = 0, seen = 0;
  double train_seconds = 0;
};

struct TrainState {
  int epoch = 0;  // finished epochs
  EpochPosition position;
  std::vector<EpochRecord> history;
  double train_seconds = 0, eval_seconds = 0, total_seconds = 0;
  std::string settings;  // "key=value" lines
};

Status save_checkpoint(const std::string& path, Learner& learner, const TrainState& state);
Status load_checkpoint(const std::string& path, Learner& learner, TrainState* state);

// Reads the archive's "version"; another version than `version` is a one-line error naming `what`
// ("checkpoint PATH"). Shared by the trainer and the search.
Status check_version(torch::serialize::InputArchive& archive, int64_t version,
                     const std::string& what);

// Writes the history as CSV (util/atomic_file).
Status write_log_csv(const std::string& path, const std::vector<EpochRecord>& history);

// Saves a torch archive to "<path>.tmp" and renames it over path; `what` names the file in errors
// ("checkpoint", "search checkpoint"). Shared by the trainer and the search.
Status save_archive(torch::serialize::OutputArchive& archive, const std::string& path,
                    const std::string& what);
// The first line of a (multi-line) libtorch exception message.
std::string first_line(const std::string& text);

}  // namespace paramscale::nn
