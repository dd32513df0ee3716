// cli/checkpoint_options: the checkpoint flags `train` and `search` share — --checkpoint-minutes
// (nn/epoch_progress.h) and the mid-epoch resume tests' hidden --kill-after-checkpoints.
#pragma once

#include <CLI/CLI.hpp>

namespace paramscale::cli {

inline void add_checkpoint_options(CLI::App* cmd, double* minutes, int* kill_after) {
  cmd->add_option("--checkpoint-minutes", *minutes,
                  "also checkpoint this often (minutes, fractions allowed) within an epoch; 0: "
                  "only at its end")
      ->capture_default_str();
  cmd->add_option("--kill-after-checkpoints", *kill_after)->group("");  // tests only
}

}  // namespace paramscale::cli
