// Within an epoch, for train and search: time checkpoints (--checkpoint-minutes) that a SIGKILL in
// the middle of an epoch resumes from to the uninterrupted run's results, byte for byte; progress
// lines when stderr is not a terminal; bad --checkpoint-minutes values.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <sstream>

#include "nn/tiny_runs.h"

namespace {

using paramscale::test::kTinySearch;
using paramscale::test::kTinyTrain;

// Every minibatch is a checkpoint: a minibatch takes far longer than 6 microseconds.
const std::string kEveryMinibatch = "--checkpoint-minutes 0.0000001 ";
constexpr int kKilled = 128 + SIGKILL;

// 6 minibatches per epoch, augmentation on (its generator state must survive the kill).
const std::string kTrainEpoch =
    kTinyTrain + "--threads 1 --batch-size 32 --subset 192 --augment on ";
const std::string kTrainRun = kTrainEpoch + "--epochs 2 ";
// One short iteration; a pruning step every 2 minibatches, so a checkpoint can fall between two.
const std::string kSearchRun = kTinySearch +
                               "--prune-fraction 0.1 --frequency 2 --stop-fraction 0.6 "
                               "--iterations 1 --threads 1 --augment on ";

// log.csv without its timing columns (images/s, epoch and elapsed seconds differ between any two
// runs): epoch, lr, train loss and accuracy, val and test accuracy, as written.
std::string log_without_times(const std::string& path) {
  std::istringstream in(slurp(path));
  std::string line, out;
  while (std::getline(in, line)) {
    size_t cut = line.size();
    for (int i = 0; i < 3; ++i) cut = line.rfind(',', cut - 1);
    out += line.substr(0, cut) + "\n";
  }
  return out;
}

// A run killed right after its `checkpoints`-th checkpoint (all but epoch ends are time
// checkpoints), then resumed with progress on: returns the resume's stderr.
std::string kill_and_resume(const std::string& run, const std::filesystem::path& out,
                            int checkpoints) {
  const std::string o = "-o " + out.string();
  const auto killed = run_paramscale(run + kEveryMinibatch + "-q --kill-after-checkpoints " +
                                     std::to_string(checkpoints) + " " + o);
  EXPECT_EQ(killed.exit_code, kKilled) << killed.err;
  EXPECT_TRUE(std::filesystem::exists(out / "checkpoint.pt"));
  const auto resumed = run_paramscale(run + "--resume " + o);
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
  return resumed.err;
}

}  // namespace

TEST(WithinEpoch, TrainKilledAfterATimeCheckpointResumesToTheSameWeightsAndLog) {
  TempDir dir;
  ASSERT_EQ(run_paramscale(kTrainRun + "-q -o " + (dir / "whole")).exit_code, 0);
  const std::string weights = slurp(dir / "whole/weights.psw"), log = dir / "whole/log.csv";
  ASSERT_GT(weights.size(), 1000u);
  // Killed after 8 checkpoints: epoch 1's 5 time checkpoints, its end, then minibatches 1 and 2 of
  // epoch 2 — after an epoch's end and within the next, with one log row written.
  const std::filesystem::path out = dir / "killed";
  const std::string err = kill_and_resume(kTrainRun, out, 8);
  EXPECT_NE(err.find("train: resuming epoch 2 at minibatch 2 of 6"), std::string::npos) << err;
  EXPECT_TRUE(slurp(out / "weights.psw") == weights) << "weights.psw differs";
  EXPECT_EQ(log_without_times(out / "log.csv"), log_without_times(log));
}

TEST(WithinEpoch, SearchKilledBetweenPruningStepsResumesToTheSameFit) {
  TempDir dir;
  ASSERT_EQ(run_paramscale(kSearchRun + "-q -o " + (dir / "whole")).exit_code, 0);
  // Killed after 9 checkpoints: the warm-up's 5 time checkpoints and its end, minibatch 7, the
  // pruning step at 8, then minibatch 9 — between pruning steps (at 8, 10, ...), with one
  // minibatch's Taylor scores and loss accumulated.
  const std::filesystem::path out = dir / "killed";
  const std::string err = kill_and_resume(kSearchRun, out, 9);
  EXPECT_NE(err.find("resuming iteration 1 at minibatch 9 (pruning step 1 of it)"),
            std::string::npos)
      << err;
  for (const char* f : {"fit.json", "fit_1.json", "trace_1.csv"})
    EXPECT_EQ(slurp(out / f), slurp(dir / (std::string("whole/") + f))) << f;
}

TEST(WithinEpoch, ProgressLinesWhenStderrIsNotATerminal) {
  TempDir dir;
  // The hidden interval knob at 0: a line after every minibatch but an epoch's last.
  const std::string knob = "PARAMSCALE_PROGRESS_SECONDS=0 " + std::string(PARAMSCALE_BINARY) + " ";
  const auto train = run_command(knob + kTrainEpoch + "--epochs 1 -o " + (dir / "train"));
  ASSERT_EQ(train.exit_code, 0) << train.err;
  for (int b = 1; b <= 5; ++b)
    EXPECT_NE(train.err.find("epoch 1/1  minibatch " + std::to_string(b) + "/6  "),
              std::string::npos)
        << train.err;
  EXPECT_EQ(train.err.find("minibatch 6/6"), std::string::npos) << train.err;
  EXPECT_EQ(train.err.find('\r'), std::string::npos) << "terminal output in a log";
  std::istringstream lines(train.err);
  int progress_lines = 0;
  for (std::string line; std::getline(lines, line);)
    if (line.find("minibatch") != std::string::npos) {
      ++progress_lines;
      for (const char* part : {" images/s  loss ", "  eta epoch ", "  eta run "})
        EXPECT_NE(line.find(part), std::string::npos) << line;
    }
  EXPECT_EQ(progress_lines, 5) << train.err;
  EXPECT_NE(train.err.find("epoch 1/1  lr "), std::string::npos) << "the epoch line stays";

  // Paused at its first pruning step (minibatch 2 of epoch 2).
  const auto search =
      run_command(knob + kSearchRun + "--stop-after-steps 1 -o " + (dir / "search"));
  ASSERT_EQ(search.exit_code, 0) << search.err;
  for (const char* line : {"search iteration 1/1  epoch 1  minibatch 1/6  ",
                           "search iteration 1/1  epoch 2  minibatch 1/6  "})
    EXPECT_NE(search.err.find(line), std::string::npos) << search.err;
  EXPECT_NE(search.err.find(" images/s  loss "), std::string::npos) << search.err;

  // Without the knob, an epoch shorter than 30 s prints no progress line: test logs stay small.
  const auto quiet = run_paramscale(kTrainEpoch + "--epochs 1 -o " + (dir / "default"));
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.err.find("minibatch"), std::string::npos) << quiet.err;
}

TEST(WithinEpoch, BadCheckpointMinutesAreOneLineAndExitCode2) {
  TempDir dir;
  const std::string o = " -o " + (dir / "out");
  const std::string train = kTinyTrain + "--subset 192 -q ",
                    search = kTinySearch + "--prune-fraction 0.05 -q ";
  const std::string rule = "--checkpoint-minutes must be a finite number of minutes, at least 0";
  for (const std::string& args :
       {train + "--checkpoint-minutes -1", train + "--checkpoint-minutes nan",
        search + "--checkpoint-minutes -0.5", search + "--checkpoint-minutes inf"})
    expect_one_line_error(run_paramscale(args + o), rule);
  // Not a number, or none: CLI11's own one-line message names the flag.
  for (const std::string& args :
       {train + "--checkpoint-minutes ten", search + "--checkpoint-minutes"})
    expect_one_line_error(run_paramscale(args + o), "--checkpoint-minutes");
  EXPECT_FALSE(std::filesystem::exists(dir / "out/checkpoint.pt"));
}
