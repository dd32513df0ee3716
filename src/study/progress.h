// study/progress: the study's progress lines on stderr — one per finished or failed cell, with the
// elapsed time and an ETA — shared by the local runner and the Slurm executor's wait, so both
// report the same way. Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>

#include "study/cell.h"
#include "study/runner.h"
#include "util/result.h"

namespace paramscale::study {

class Progress {
 public:
  Progress(RunSummary& sum, size_t total) : sum_(sum), total_(total) {}
  void skipped();
  // Counts the cell finished (ok) or failed and prints "[done/total] key: ... (elapsed, ETA)".
  void done(const Cell& cell, const Status& s, double took);
  static double seconds_since(std::chrono::steady_clock::time_point t);

 private:
  std::mutex mu_;
  RunSummary& sum_;
  size_t total_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace paramscale::study
