#include "study/progress.h"

#include <iostream>

#include "study/stages.h"

namespace paramscale::study {

void Progress::skipped() {
  std::lock_guard<std::mutex> g(mu_);
  ++sum_.skipped;
}

void Progress::done(const Cell& cell, const Status& s, double took) {
  std::lock_guard<std::mutex> g(mu_);
  (s.ok() ? sum_.finished : sum_.failed)++;
  const int done = sum_.finished + sum_.failed;
  const double elapsed = seconds_since(start_);
  const double eta = elapsed / done * (static_cast<double>(total_) - done);
  std::cerr << "[" << done << "/" << total_ << "] " << cell.key() << ": "
            << (s.ok() ? "done" : "FAILED: " + s.error().message) << " in " << duration_text(took)
            << " (elapsed " << duration_text(elapsed) << ", ETA " << duration_text(eta) << ")\n";
}

double Progress::seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace paramscale::study
