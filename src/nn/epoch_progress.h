// nn/epoch_progress: what a long epoch tells the user while it runs, and when it writes a
// checkpoint before its end — shared by the trainer and the search.
//
// Progress (EpochProgress): one line per refresh with minibatches done/total, images/s, the running
// loss (mean over the minibatches this process has trained in the epoch), the epoch's ETA and,
// when the caller knows how many epochs follow, the run's. Where it goes depends on stderr:
// - a terminal: one live line, refreshed at most once a second in place (carriage return and
//   erase-to-end), ended with a newline when the epoch ends; other lines printed meanwhile go
//   through line() so they never mix with it;
// - anything else (a log file, a pipe): a plain line at most every 30 seconds, the first 30 seconds
//   into the epoch — so an epoch shorter than 30 s prints none and a one-hour epoch 120 — and
//   nothing at the epoch's end (the caller's epoch line follows). The hidden environment variable
//   PARAMSCALE_PROGRESS_SECONDS overrides the 30 s (tests use 0: a line after every minibatch).
// Quiet runs (-q) construct it disabled: it prints nothing.
//
// Checkpoints (CheckpointTimer): due once `minutes` have passed since the last checkpoint of any
// kind; 0 minutes: never (only the callers' epoch or pruning-step checkpoints). RunClock: a run's
// elapsed seconds across resumes.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace paramscale::nn {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t);
std::string duration_text(double seconds);  // "4m05s", "1h02m"

class EpochProgress {
 public:
  explicit EpochProgress(bool enabled);

  // A new epoch of `total` minibatches of which `done` are already trained (a resumed epoch);
  // `title` leads every line ("epoch 3/10"); `later_epochs` full epochs follow it (-1: unknown).
  void start_epoch(const std::string& title, int64_t total, int64_t done, int later_epochs = -1);
  // One more minibatch of `images` images trained with mean loss `loss`.
  void batch_done(int64_t images, double loss);
  // Ends the live line (terminal) so the caller's epoch line starts on its own line.
  void end_epoch();
  // Prints `text` (no newline) as a line of its own, clearing the live line first (terminal).
  void line(const std::string& text);

 private:
  std::string text() const;
  void show();

  bool enabled_, terminal_;
  double interval_seconds_;
  std::string title_;
  int64_t total_ = 0, done_ = 0, done_here_ = 0, images_here_ = 0;
  int later_epochs_ = -1;
  double loss_sum_ = 0;
  Clock::time_point started_, last_shown_;
  bool live_ = false;  // a live line is on the terminal
};

class CheckpointTimer {
 public:
  // `kill_after` > 0: a hook for the mid-epoch resume tests — saved() SIGKILLs the process after
  // that many checkpoints (as a user's kill would, with no clean-up).
  CheckpointTimer(double minutes, int kill_after)
      : seconds_(minutes * 60), kill_after_(kill_after), last_(Clock::now()) {}
  bool due() const;
  // After every checkpoint, scheduled or due.
  void saved();

 private:
  double seconds_;
  int kill_after_, saved_ = 0;
  Clock::time_point last_;
};

// The seconds a run has taken across its resumes: what its checkpoint recorded plus this process's.
class RunClock {
 public:
  void start(double seconds_before) {
    before_ = seconds_before;
    started_ = Clock::now();
  }
  double elapsed() const;

 private:
  double before_ = 0;
  Clock::time_point started_ = Clock::now();
};

}  // namespace paramscale::nn
