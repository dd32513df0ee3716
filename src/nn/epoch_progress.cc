// Progress within an epoch and the checkpoint timer; see epoch_progress.h.
#include "nn/epoch_progress.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "util/text.h"

namespace paramscale::nn {

namespace {

constexpr double kTerminalSeconds = 1;
constexpr double kLogSeconds = 30;

double log_interval() {
  const char* env = std::getenv("PARAMSCALE_PROGRESS_SECONDS");
  if (!env || !*env) return kLogSeconds;
  char* end = nullptr;
  const double v = std::strtod(env, &end);
  return (*end == '\0' && v >= 0) ? v : kLogSeconds;
}

}  // namespace

EpochProgress::EpochProgress(bool enabled)
    : enabled_(enabled),
      terminal_(enabled && isatty(STDERR_FILENO)),
      interval_seconds_(terminal_ ? kTerminalSeconds : log_interval()) {}

void EpochProgress::start_epoch(const std::string& title, int64_t total, int64_t done,
                                int later_epochs) {
  title_ = title;
  total_ = total;
  done_ = done;
  done_here_ = images_here_ = 0;
  later_epochs_ = later_epochs;
  loss_sum_ = 0;
  started_ = last_shown_ = Clock::now();
}

void EpochProgress::batch_done(int64_t images, double loss) {
  ++done_, ++done_here_;
  images_here_ += images;
  loss_sum_ += loss;
  if (!enabled_ || done_ >= total_) return;  // the epoch's own line follows the last minibatch
  if (seconds_since(last_shown_) >= interval_seconds_) show();
}

void EpochProgress::end_epoch() {
  if (!live_) return;
  show();  // the epoch's final state stays on screen
  std::fputc('\n', stderr);
  live_ = false;
}

void EpochProgress::line(const std::string& text) {
  if (!enabled_) return;
  std::fprintf(stderr, "%s%s\n", live_ ? "\r\033[K" : "", text.c_str());
  live_ = false;
}

std::string EpochProgress::text() const {
  const double elapsed = seconds_since(started_);
  const double per_batch = done_here_ > 0 ? elapsed / static_cast<double>(done_here_) : 0;
  const double epoch_left = per_batch * static_cast<double>(total_ - done_);
  std::string s =
      format("%s  minibatch %lld/%lld  %.0f images/s  loss %.4f  eta epoch %s", title_.c_str(),
             static_cast<long long>(done_), static_cast<long long>(total_),
             elapsed > 0 ? static_cast<double>(images_here_) / elapsed : 0.0,
             done_here_ > 0 ? loss_sum_ / static_cast<double>(done_here_) : 0.0,
             duration_text(epoch_left).c_str());
  if (later_epochs_ >= 0)
    s += "  eta run " +
         duration_text(epoch_left + per_batch * static_cast<double>(total_) * later_epochs_);
  return s;
}

void EpochProgress::show() {
  last_shown_ = Clock::now();
  if (terminal_) {
    std::fprintf(stderr, "\r%s\033[K", text().c_str());
    std::fflush(stderr);
    live_ = true;
  } else {
    std::fprintf(stderr, "%s\n", text().c_str());
  }
}

bool CheckpointTimer::due() const { return seconds_ > 0 && seconds_since(last_) >= seconds_; }

void CheckpointTimer::saved() {
  last_ = Clock::now();
  if (kill_after_ > 0 && ++saved_ >= kill_after_) ::kill(::getpid(), SIGKILL);
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string duration_text(double s) {
  char buf[32];
  const int t = static_cast<int>(s + 0.5);
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%dh%02dm", t / 3600, t / 60 % 60);
  else
    std::snprintf(buf, sizeof buf, "%dm%02ds", t / 60, t % 60);
  return buf;
}

double RunClock::elapsed() const { return before_ + seconds_since(started_); }

}  // namespace paramscale::nn
