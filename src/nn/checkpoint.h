// nn/checkpoint: the trainer's resumable state on disk (torch archives), and its text log.
//
// A checkpoint holds the model's parameters and buffers, the optimizer state, the number of
// finished epochs, the per-epoch history (from which the best epoch follows), accumulated times,
// torch's CPU generator state and the run's settings (a resume with different settings is refused,
// naming the first one that differs). Saving writes "<path>.tmp" and renames it over <path>.
// Loading reports an unreadable or mismatched file as a one-line Error. Includes torch.
#pragma once

#include <string>
#include <vector>

#include "nn/model.h"
#include "nn/trainer.h"

namespace paramscale::nn {

struct TrainState {
  int epoch = 0;  // finished epochs
  std::vector<EpochRecord> history;
  double train_seconds = 0, eval_seconds = 0, total_seconds = 0;
  std::string settings;  // "key=value" lines
};

Status save_checkpoint(const std::string& path, Model& model, torch::optim::Optimizer& optimizer,
                       const TrainState& state);
Status load_checkpoint(const std::string& path, Model& model, torch::optim::Optimizer& optimizer,
                       TrainState* state);

// Writes the history as CSV (util/atomic_file).
Status write_log_csv(const std::string& path, const std::vector<EpochRecord>& history);

// Saves a torch archive to "<path>.tmp" and renames it over path; `what` names the file in errors
// ("checkpoint", "search checkpoint"). Shared by the trainer and the search.
Status save_archive(torch::serialize::OutputArchive& archive, const std::string& path,
                    const std::string& what);
// The first line of a (multi-line) libtorch exception message.
std::string first_line(const std::string& text);

}  // namespace paramscale::nn
